// Algorithm entry of the GF-CF graph-filter model (models/gfcf.h): "gfcf".
#include "algo/algorithm_options.h"
#include "algo/algorithms.h"
#include "algo/gfcf_scorer.h"

namespace reco::algo {
namespace {

Result<GfcfOptions> ParseGfcfOptions(const std::vector<Setting>& settings) {
  using O = GfcfOptions;
  OptionField<O> seed = SeedField<O>("gfcf.seed", &O::seed);
  OptionField<O> solver = ChoiceField<O, SharpenSolver>(
      "gfcf.sharpen_solver", &O::sharpen_solver,
      {{"euler", SharpenSolver::kEuler}, {"rk4", SharpenSolver::kRk4}});
  return ParseFields<O>(
      "gfcf", settings,
      {IntField<O>("gfcf.factors", &O::factors), NumberField<O>("gfcf.alpha", &O::ideal_weight),
       NumberField<O>("gfcf.user_exponent", &O::user_exponent),
       NumberField<O>("gfcf.item_exponent", &O::item_exponent),
       IntField<O>("gfcf.power_iterations", &O::power_iterations),
       IntField<O>("gfcf.oversampling", &O::oversampling),
       NumberField<O>("gfcf.sharpen_time", &O::sharpen_time),
       IntField<O>("gfcf.sharpen_steps", &O::sharpen_steps), solver, seed,
       BoolField<O>("gfcf.spectral_norm", &O::spectral_norm),
       IntField<O>("gfcf.threads", &O::num_threads)});
}

}  // namespace

Algorithm GfcfAlgorithm() {
  return {
      "gfcf",
      [](const std::vector<Setting>& settings) { return ParseGfcfOptions(settings).status(); },
      [](const Dataset& train, const std::vector<Setting>& settings,
         const FitContext& context) -> Result<FittedScorer> {
        RECO_ASSIGN_OR_RETURN(GfcfOptions o, ParseGfcfOptions(settings));
        o.show_progress = context.show_progress;
        return FitWith<GfcfModel, GfcfScorer>(
            "gfcf", train, o,
            {{"gfcf.factors", std::to_string(o.factors)},
             {"gfcf.alpha", FormatDouble(o.ideal_weight)},
             {"gfcf.user_exponent", FormatDouble(o.user_exponent)},
             {"gfcf.item_exponent", FormatDouble(o.item_exponent)},
             {"gfcf.power_iterations", std::to_string(o.power_iterations)},
             {"gfcf.oversampling", std::to_string(o.oversampling)},
             {"gfcf.sharpen_time", FormatDouble(o.sharpen_time)},
             {"gfcf.sharpen_steps", std::to_string(o.sharpen_steps)},
             {"gfcf.sharpen_solver", o.sharpen_solver == SharpenSolver::kEuler ? "euler" : "rk4"},
             {"gfcf.spectral_norm", o.spectral_norm ? "true" : "false"},
             {"gfcf.seed", std::to_string(o.seed)}});
      }};
}

}  // namespace reco::algo
