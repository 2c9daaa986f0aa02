// Recommender::AppendVector: candidates of user-to-item vector recall (serving/vector_recall.h)
// through the request's filters — taken, hidden or deleted items, the route's category and a
// scenario's filters are applied during the ANN search, so the index over-fetches only as far
// as the filters require.
#include "serving/recommender.h"
#include "serving/recommender_internal.h"
#include "serving/vector_recall.h"

namespace reco {

size_t Recommender::AppendVector(Request& r, size_t limit, bool* no_vectors) const {
  if (vector_recall_ == nullptr || limit <= r.size()) return 0;
  const size_t before = r.size();
  VectorRecallResult found = vector_recall_->Recall(
      r.history, limit - before, [&r](uint32_t item) { return r.Acceptable(item); });
  if (no_vectors != nullptr) *no_vectors = found.no_vectors;
  for (const ScoredIndex& hit : found.items) {
    if (r.size() >= limit) break;
    r.Offer(recommender_internal::Pack(hit.item, hit.score));
  }
  return r.size() - before;
}

}  // namespace reco
