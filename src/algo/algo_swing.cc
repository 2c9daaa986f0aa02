// Algorithm entry "swing": the Swing item-item similarity (models/swing.h) behind the Scorer
// interface, with settings swing.alpha, swing.user_offset, swing.user_exponent, swing.neighbors,
// swing.max_users_per_item, swing.max_user_items, swing.normalize and swing.threads.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "algo/algorithm_options.h"
#include "algo/algorithms.h"
#include "models/swing.h"

namespace reco::algo {
namespace {

// score(j) = Σ over h in history of sim(h, j), over h's stored Swing neighbours.
class SwingScorer final : public Scorer {
 public:
  explicit SwingScorer(SwingModel model) : model_(std::move(model)) {}
  void Score(uint32_t /*user*/, std::span<const uint32_t> history,
             std::span<float> scores) const override {
    model_.Score(history, scores);
  }
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }

 private:
  SwingModel model_;
};

Result<SwingOptions> ParseSwingOptions(const std::vector<Setting>& settings) {
  using O = SwingOptions;
  return ParseFields<O>("swing", settings,
                        {NumberField<O>("swing.alpha", &O::alpha),
                         NumberField<O>("swing.user_offset", &O::user_offset),
                         NumberField<O>("swing.user_exponent", &O::user_exponent),
                         IntField<O>("swing.neighbors", &O::neighbors),
                         IntField<O>("swing.max_users_per_item", &O::max_users_per_item),
                         IntField<O>("swing.max_user_items", &O::max_user_items),
                         BoolField<O>("swing.normalize", &O::normalize),
                         IntField<O>("swing.threads", &O::num_threads)});
}

}  // namespace

Algorithm SwingAlgorithm() {
  return {"swing",
          [](const std::vector<Setting>& settings) { return ParseSwingOptions(settings).status(); },
          [](const Dataset& train, const std::vector<Setting>& settings,
             const FitContext& context) -> Result<FittedScorer> {
            RECO_ASSIGN_OR_RETURN(SwingOptions o, ParseSwingOptions(settings));
            o.show_progress = context.show_progress;
            return FitWith<SwingModel, SwingScorer>(
                "swing", train, o,
                {{"swing.alpha", FormatDouble(o.alpha)},
                 {"swing.user_offset", FormatDouble(o.user_offset)},
                 {"swing.user_exponent", FormatDouble(o.user_exponent)},
                 {"swing.neighbors", std::to_string(o.neighbors)},
                 {"swing.max_users_per_item", std::to_string(o.max_users_per_item)},
                 {"swing.max_user_items", std::to_string(o.max_user_items)},
                 {"swing.normalize", o.normalize ? "true" : "false"}});
          }};
}

}  // namespace reco::algo
