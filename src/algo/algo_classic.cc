// Algorithm entries of the classic models: popular, itemcf, rp3beta, ease, ials.
#include <algorithm>
#include <chrono>

#include "algo/algorithm_options.h"
#include "algo/algorithms.h"

namespace reco::algo {
namespace {

Result<ItemCfOptions> ParseItemCfOptions(const std::vector<Setting>& settings) {
  using O = ItemCfOptions;
  OptionField<O> similarity{"itemcf.similarity", [](const Setting& s, O& o) -> Status {
                              RECO_ASSIGN_OR_RETURN(o.similarity,
                                                    ParseItemCfSimilarity(s.second, s.first));
                              return Status::Ok();
                            }};
  OptionField<O> weighting{"itemcf.weighting", [](const Setting& s, O& o) -> Status {
                             RECO_ASSIGN_OR_RETURN(o.weighting,
                                                   ParseItemCfWeighting(s.second, s.first));
                             return Status::Ok();
                           }};
  return ParseFields<O>(
      "itemcf", settings,
      {IntField<O>("itemcf.neighbors", &O::neighbors),
       NumberField<O>("itemcf.shrinkage", &O::shrinkage), similarity,
       NumberField<O>("itemcf.asymmetric_alpha", &O::asymmetric_alpha), weighting,
       NumberField<O>("itemcf.bm25_k1", &O::bm25_k1), NumberField<O>("itemcf.bm25_b", &O::bm25_b),
       IntField<O>("itemcf.threads", &O::num_threads)});
}

Result<Rp3betaOptions> ParseRp3betaOptions(const std::vector<Setting>& settings) {
  using O = Rp3betaOptions;
  return ParseFields<O>(
      "rp3beta", settings,
      {NumberField<O>("rp3beta.alpha", &O::alpha), NumberField<O>("rp3beta.beta", &O::beta),
       IntField<O>("rp3beta.neighbors", &O::neighbors),
       IntField<O>("rp3beta.threads", &O::num_threads)});
}

Result<EaseOptions> ParseEaseOptions(const std::vector<Setting>& settings) {
  using O = EaseOptions;
  OptionField<O> budget{"ease.max_memory_gib", [](const Setting& s, O& o) -> Status {
                          RECO_ASSIGN_OR_RETURN(double gib, ParseNumber(s));
                          if (!(gib > 0) || gib > 1e6) {
                            return InvalidArgument("--set " + s.first + " must be in (0, 1e6]",
                                                   s.first);
                          }
                          o.max_memory_bytes = static_cast<uint64_t>(gib * double(1u << 30));
                          return Status::Ok();
                        }};
  return ParseFields<O>("ease", settings,
                        {NumberField<O>("ease.lambda", &O::lambda), budget,
                         IntField<O>("ease.threads", &O::num_threads)});
}

Result<IalsOptions> ParseIalsOptions(const std::vector<Setting>& settings) {
  using O = IalsOptions;
  OptionField<O> seed = SeedField<O>("ials.seed", &O::seed);
  OptionField<O> solver = ChoiceField<O, IalsSolver>(
      "ials.solver", &O::solver,
      {{"cg", IalsSolver::kConjugateGradient}, {"exact", IalsSolver::kExact}});
  return ParseFields<O>(
      "ials", settings,
      {IntField<O>("ials.factors", &O::factors),
       NumberField<O>("ials.regularization", &O::regularization),
       NumberField<O>("ials.alpha", &O::alpha), IntField<O>("ials.iterations", &O::iterations),
       solver, IntField<O>("ials.cg_steps", &O::cg_steps),
       NumberField<O>("ials.init_stddev", &O::init_stddev), seed,
       IntField<O>("ials.threads", &O::num_threads)});
}

}  // namespace

PopularityScorer::PopularityScorer(const Dataset& train) : counts_(train.num_items()) {
  for (uint32_t i = 0; i < train.num_items(); ++i) {
    counts_[i] = static_cast<float>(train.ItemUsers(i).size());
  }
}

void PopularityScorer::Score(uint32_t /*user*/, std::span<const uint32_t> /*history*/,
                             std::span<float> scores) const {
  std::copy(counts_.begin(), counts_.end(), scores.begin());
}

void ItemCfScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                         std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t h : history) {
    std::span<const uint32_t> ids = model_.NeighborIds(h);
    std::span<const float> sims = model_.NeighborSims(h);
    for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += sims[n];
  }
}

void Rp3betaScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                          std::span<float> scores) const {
  model_.Score(history, scores);
}

void EaseScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                       std::span<float> scores) const {
  model_.Score(history, scores);
}

void IalsScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                       std::span<float> scores) const {
  model_.Score(model_.FoldIn(history), scores);
}

Algorithm PopularAlgorithm() {
  return {"popular",
          [](const std::vector<Setting>& settings) {
            return settings.empty() ? Status::Ok()
                                    : UnknownKey(settings.front(), "popular", "none");
          },
          [](const Dataset& train, const std::vector<Setting>&,
             const FitContext&) -> Result<FittedScorer> {
            auto start = std::chrono::steady_clock::now();
            FittedScorer fitted;
            fitted.scorer = std::make_unique<PopularityScorer>(train);
            fitted.algo = "popular";
            fitted.train_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return fitted;
          }};
}

Algorithm ItemCfAlgorithm() {
  return {
      "itemcf",
      [](const std::vector<Setting>& settings) { return ParseItemCfOptions(settings).status(); },
      [](const Dataset& train, const std::vector<Setting>& settings,
         const FitContext& context) -> Result<FittedScorer> {
        RECO_ASSIGN_OR_RETURN(ItemCfOptions o, ParseItemCfOptions(settings));
        o.show_progress = context.show_progress;
        return FitWith<ItemCfModel, ItemCfScorer>(
            "itemcf", train, o,
            {{"itemcf.neighbors", std::to_string(o.neighbors)},
             {"itemcf.shrinkage", FormatDouble(o.shrinkage)},
             {"itemcf.similarity", std::string(ItemCfSimilarityName(o.similarity))},
             {"itemcf.asymmetric_alpha", FormatDouble(o.asymmetric_alpha)},
             {"itemcf.weighting", std::string(ItemCfWeightingName(o.weighting))},
             {"itemcf.bm25_k1", FormatDouble(o.bm25_k1)},
             {"itemcf.bm25_b", FormatDouble(o.bm25_b)}});
      }};
}

Algorithm Rp3betaAlgorithm() {
  return {
      "rp3beta",
      [](const std::vector<Setting>& settings) { return ParseRp3betaOptions(settings).status(); },
      [](const Dataset& train, const std::vector<Setting>& settings,
         const FitContext& context) -> Result<FittedScorer> {
        RECO_ASSIGN_OR_RETURN(Rp3betaOptions o, ParseRp3betaOptions(settings));
        o.show_progress = context.show_progress;
        return FitWith<Rp3betaModel, Rp3betaScorer>(
            "rp3beta", train, o,
            {{"rp3beta.alpha", FormatDouble(o.alpha)},
             {"rp3beta.beta", FormatDouble(o.beta)},
             {"rp3beta.neighbors", std::to_string(o.neighbors)}});
      }};
}

Algorithm EaseAlgorithm() {
  return {"ease",
          [](const std::vector<Setting>& settings) { return ParseEaseOptions(settings).status(); },
          [](const Dataset& train, const std::vector<Setting>& settings,
             const FitContext& context) -> Result<FittedScorer> {
            RECO_ASSIGN_OR_RETURN(EaseOptions o, ParseEaseOptions(settings));
            o.show_progress = context.show_progress;
            return FitWith<EaseModel, EaseScorer>(
                "ease", train, o,
                {{"ease.lambda", FormatDouble(o.lambda)},
                 {"ease.max_memory_gib", FormatDouble(double(o.max_memory_bytes) / (1u << 30))}});
          }};
}

Algorithm IalsAlgorithm() {
  return {"ials",
          [](const std::vector<Setting>& settings) { return ParseIalsOptions(settings).status(); },
          [](const Dataset& train, const std::vector<Setting>& settings,
             const FitContext& context) -> Result<FittedScorer> {
            RECO_ASSIGN_OR_RETURN(IalsOptions o, ParseIalsOptions(settings));
            o.show_progress = context.show_progress;
            return FitWith<IalsModel, IalsScorer>(
                "ials", train, o,
                {{"ials.factors", std::to_string(o.factors)},
                 {"ials.regularization", FormatDouble(o.regularization)},
                 {"ials.alpha", FormatDouble(o.alpha)},
                 {"ials.iterations", std::to_string(o.iterations)},
                 {"ials.solver", o.solver == IalsSolver::kExact ? "exact" : "cg"},
                 {"ials.cg_steps", std::to_string(o.cg_steps)},
                 {"ials.init_stddev", FormatDouble(o.init_stddev)},
                 {"ials.seed", std::to_string(o.seed)}});
          }};
}

}  // namespace reco::algo
