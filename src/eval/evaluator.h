// Full-ranking evaluator: for every held-out user, scores ALL items with a Scorer, masks the
// user's history (training or fold-in items), keeps the top max(K) and accumulates the metrics
// of metrics.h. Users are processed in fixed chunks on several threads; chunk sums are combined
// in chunk order, so results do not depend on the thread count or scheduling.
//
// Thread-safety: Evaluate may be called concurrently; it only reads the split and the scorer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "eval/metrics.h"
#include "eval/protocol.h"
#include "eval/scorer_interface.h"

namespace reco::eval {

struct EvalOptions {
  std::vector<size_t> ks = {20};  // cut-offs, each > 0 (sorted and deduplicated)
  int num_threads = 0;            // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;     // a progress line on stderr (users/s, ETA)
};

struct EvalResult {
  std::vector<size_t> ks;
  std::vector<NamedMetric> metrics;  // SummarizeMetrics order
  int64_t users_evaluated = 0;
  int64_t users_skipped = 0;  // held-out users without test items
  double seconds = 0;

  // The value of a metric such as "recall@20"; NaN when absent.
  double Get(std::string_view name) const;
};

Result<EvalResult> Evaluate(const EvalSplit& split, const Scorer& scorer,
                            const EvalOptions& options);

// The top-k list of one held-out user (history masked), best first.
std::vector<uint32_t> RankForUser(const EvalSplit& split, const Scorer& scorer,
                                  const HeldOutUser& user, size_t k);

// Writes into `out` up to k item indices with the highest scores, best first; ties go to the
// lower index; -inf and NaN scores are never selected. `buffer` is scratch space.
void SelectTopK(std::span<const float> scores, size_t k,
                std::vector<std::pair<float, uint32_t>>& buffer, std::vector<uint32_t>& out);

// Ranks users a batch at a time: one Scorer::ScoreBatch call per batch, each user's history and
// the `excluded` item indices (e.g. hidden items) masked, then the top k selected.
// Used by the evaluator and by the per-user lists of `reco train`.
// Thread-safety: one BatchRanker per thread (it owns its scratch space).
class BatchRanker {
 public:
  static constexpr size_t kBatchUsers = 32;

  BatchRanker(const Scorer& scorer, size_t num_items, std::span<const uint32_t> excluded = {})
      : scorer_(scorer),
        num_items_(num_items),
        excluded_(excluded),
        scores_(num_items * kBatchUsers) {}

  // Calls on_ranked(r, top, scores of row r) for r in [0, users.size()); at most kBatchUsers.
  template <typename F>
  void Rank(std::span<const uint32_t> users, std::span<const std::span<const uint32_t>> histories,
            size_t k, F&& on_ranked) {
    std::span<float> all(scores_.data(), users.size() * num_items_);
    scorer_.ScoreBatch(users, histories, all);
    for (size_t r = 0; r < users.size(); ++r) {
      std::span<float> row = all.subspan(r * num_items_, num_items_);
      Mask(row, histories[r]);
      SelectTopK(row, k, buffer_, top_);
      on_ranked(r, top_, std::span<const float>(row));
    }
  }

 private:
  void Mask(std::span<float> row, std::span<const uint32_t> history) const;

  const Scorer& scorer_;
  size_t num_items_;
  std::span<const uint32_t> excluded_;  // item indices < num_items
  std::vector<float> scores_;           // kBatchUsers rows of num_items
  std::vector<std::pair<float, uint32_t>> buffer_;
  std::vector<uint32_t> top_;
};

}  // namespace reco::eval
