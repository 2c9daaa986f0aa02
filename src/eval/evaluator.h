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
#include "eval/scorer.h"

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

}  // namespace reco::eval
