// Ranking metrics for offline evaluation: per-user metrics of one ranked list (item indices, best
// first) against the user's held-out set at any cut-off K, plus list-level coverage and novelty.
// Names are lower case with the cut-off: "recall@20", "recall_minnorm@20", "ndcg@20", ...
//
// Thread-safety: free functions are thread-safe; MetricSums and Coverage are plain values, one
// per thread (combine them with Merge). MetricContext is read-only once built.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco::eval {

// Per-user metrics, averaged over the users that have at least one held-out item.
enum class Metric : int {
  kRecall = 0,     // hits / |test|                (LightGCN, NGCF)
  kRecallMinNorm,  // hits / min(K, |test|)        (Liang et al. 2018)
  kNdcg,           // DCG / ideal DCG over min(|test|, K) positions, 1 / log2(rank + 2)
  kPrecision,      // hits / K
  kHitRate,        // 1 when hits > 0
  kMrr,            // 1 / (rank + 1) of the first hit within K
  kMap,            // sum of precision@(rank + 1) at each hit, / min(|test|, K)
};
inline constexpr size_t kNumUserMetrics = 7;
using UserMetricValues = std::array<double, kNumUserMetrics>;  // indexed by Metric

// "recall", "recall_minnorm", "ndcg", "precision", "hitrate", "mrr", "map".
std::string_view MetricName(Metric metric);

// Metrics of one list at cut-off k. `ranked` holds item indices best first (only the first k
// count; it may be shorter). `relevant` holds the held-out items, ascending, without duplicates;
// when it is empty every value is 0.
UserMetricValues ComputeUserMetrics(std::span<const uint32_t> ranked,
                                    std::span<const uint32_t> relevant, size_t k);

// Novelty of item i: -log2(share_i), share_i = max(count_i, 1) / num_users, where count_i is the
// number of training users with a positive on i and num_users those with at least one positive.
std::vector<double> ItemNovelty(std::span<const uint32_t> item_counts, size_t num_users);

struct MetricContext {
  std::vector<size_t> ks;            // cut-offs, ascending, each > 0
  std::vector<double> item_novelty;  // size num_items (ItemNovelty)
  size_t max_k() const { return ks.empty() ? 0 : ks.back(); }
};

// Sums of per-user metrics and of novelty over a set of users.
class MetricSums {
 public:
  explicit MetricSums(size_t num_ks);
  // Adds one user's list (best first, at least max_k long unless fewer items can be ranked).
  // A user with no held-out items is skipped and counted.
  void AddUser(const MetricContext& context, std::span<const uint32_t> ranked,
               std::span<const uint32_t> relevant);
  void Merge(const MetricSums& other);

  int64_t users_evaluated() const { return users_evaluated_; }
  int64_t users_skipped() const { return users_skipped_; }
  // Sum over evaluated users of metric `m` at the k-th cut-off.
  double Sum(Metric m, size_t k_index) const;
  // Mean novelty of the items recommended in the top ks[k_index] positions (0 when none).
  double MeanNovelty(size_t k_index) const;

 private:
  size_t num_ks_;
  std::vector<double> sums_;  // [metric * num_ks + k_index]
  std::vector<double> novelty_sums_;
  std::vector<int64_t> novelty_counts_;
  int64_t users_evaluated_ = 0;
  int64_t users_skipped_ = 0;
};

// Which items were recommended, and at which best rank, over all lists.
class Coverage {
 public:
  explicit Coverage(size_t num_items) : best_rank_(num_items, kNever) {}
  void Add(std::span<const uint32_t> ranked);
  void Merge(const Coverage& other);
  // Distinct items recommended within the top k of some list / num_items.
  double At(size_t k) const;

 private:
  static constexpr uint32_t kNever = UINT32_MAX;
  std::vector<uint32_t> best_rank_;
};

struct NamedMetric {
  std::string name;  // "recall@20"
  double value = 0;
};

// All metrics, metric-major then by cut-off: recall@K..., recall_minnorm@K..., ndcg, precision,
// hitrate, mrr, map, coverage, novelty. Per-user metrics are means over evaluated users.
std::vector<NamedMetric> SummarizeMetrics(const MetricContext& context, const MetricSums& sums,
                                          const Coverage& coverage);

// Row names of the summary table, in SummarizeMetrics order.
std::vector<std::string> MetricRowNames();

}  // namespace reco::eval
