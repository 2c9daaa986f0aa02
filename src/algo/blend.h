// Score blend: a weighted sum of several scorers' per-user normalised scores (the "blend"
// algorithm of Algorithms(), settings blend.components / blend.weights / blend.normalize), the
// learning of its weights on validation users, and its model file (artifact kind "blend" holding
// the weights, the component names and each component's own model file).
//
// Thread-safety: BlendScorer is immutable once built (Score/ScoreBatch are const and reentrant).
// LearnBlendWeights only reads its arguments. Lifetime: a BlendScorer owns its components.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "algo/scorer.h"
#include "core/status.h"
#include "eval/metrics.h"
#include "eval/protocol.h"

namespace reco::algo {

// How a component's scores for one user are scaled before weighting.
enum class BlendNormalize {
  kNone,  // raw scores
  kMax,   // divided by the user's highest score over non-history items (when > 0)
};
std::string_view BlendNormalizeName(BlendNormalize n);  // "none", "max"
Result<BlendNormalize> ParseBlendNormalize(std::string_view name);

struct BlendComponent {
  std::string algo;  // a name of Algorithms()
  double weight = 0;
  std::unique_ptr<Scorer> scorer;
};

// score(j) = Σ_c weight_c · normalise_c(score_c)(j).
class BlendScorer final : public Scorer {
 public:
  BlendScorer(std::vector<BlendComponent> components, BlendNormalize normalize)
      : components_(std::move(components)), normalize_(normalize) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;
  void ScoreBatch(std::span<const uint32_t> users,
                  std::span<const std::span<const uint32_t>> histories,
                  std::span<float> scores) const override;
  // One artifact of kind "blend"; Unimplemented when a component has no model file.
  Status Save(const std::filesystem::path& path, TimestampUs created) const override;

  const std::vector<BlendComponent>& components() const { return components_; }
  BlendNormalize normalize() const { return normalize_; }

 private:
  std::vector<BlendComponent> components_;
  BlendNormalize normalize_;
};

// Reads a model file written by BlendScorer::Save (components of kind itemcf, rp3beta, ease,
// ials). DataLoss on a corrupt file, Unimplemented for a component kind it cannot read.
Result<std::unique_ptr<BlendScorer>> LoadBlend(const std::filesystem::path& path);

// Scales `row` (one user's scores) in place as `normalize` says; history items are ignored when
// finding the maximum.
void NormalizeRow(BlendNormalize normalize, std::span<const uint32_t> history,
                  std::span<float> row);

struct BlendLearnOptions {
  eval::Metric metric = eval::Metric::kNdcg;  // maximised at cut-off k
  size_t k = 20;
  BlendNormalize normalize = BlendNormalize::kMax;
  // Each component's top `candidates` items per user are the items a blend may rank; the
  // weighted sum is computed on their union only (which makes a weight vector cheap to try).
  size_t candidates = 100;
  int max_evaluations = 200;  // weight vectors tried at most
  int num_threads = 0;        // for scoring the candidates; 0 = all cores
};

struct LearnedWeights {
  std::vector<double> weights;  // one per component, >= 0, summing to 1
  double value = 0;             // the metric of the blend on the validation users
  int evaluations = 0;
};

// A metric to maximise, e.g. "ndcg@20" or "recall@20" (any per-user metric of metrics.h).
struct TargetMetric {
  eval::Metric metric = eval::Metric::kNdcg;
  size_t k = 20;
};
Result<TargetMetric> ParseTargetMetric(std::string_view text);

// Keeps at most `max_users` held-out users of `split`, chosen by `seed` (ascending order kept).
void SubsampleUsers(eval::EvalSplit& split, size_t max_users, uint64_t seed);

// Learns weights maximising options.metric@k over the held-out users of `validation` (scored
// from their history in validation.train), by coordinate search on the simplex starting from the
// best single component. `components` were fitted on validation.train.
Result<LearnedWeights> LearnBlendWeights(const eval::EvalSplit& validation,
                                         std::span<const Scorer* const> components,
                                         const BlendLearnOptions& options);

}  // namespace reco::algo
