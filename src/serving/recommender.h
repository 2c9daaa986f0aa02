// Recommender: answers every recommendation question from the current ModelBundle plus the
// OnlineState (so a feedback event changes the user's next answer without retraining).
// Recommend = the user's precomputed list of the tuned algorithm (model "recs", when trained),
// then item-CF over the user's recent positive history, minus seen and hidden items, filtered by
// category; the fallback chain item-CF → popular → latest fills what is missing and reports why
// (`degraded`). A request never fails because a model is absent.
//
// Thread-safety: all methods are const and safe to call concurrently.
// Lifetime: borrows the OnlineState and BundleHolder, which must outlive it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serving/bundle.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"

namespace reco {

struct ScoredId {
  std::string id;
  double score = 0;
};

struct RecommendResult {
  std::vector<ScoredId> items;
  // Reasons the answer fell back along the chain ("itemcf_model_missing", "cold_user",
  // "itemcf_insufficient", "popularity_model_missing"); empty when item-CF answered in full.
  std::vector<std::string> degraded;
};

struct RecommenderOptions {
  // Weight of the k-th most recent history item is recency_decay^k (k = 0 for the newest).
  double recency_decay = 0.95;
  // /recommend/detail: score = sim(item, j) + detail_history_weight * mean_h sim(h, j).
  double detail_history_weight = 0.5;
  // Users scanned per history item when looking for user neighbours.
  size_t neighbor_users_per_item = 200;
};

class Recommender {
 public:
  using DegradedHook = std::function<void(std::string_view reason)>;

  Recommender(const OnlineState& state, const BundleHolder& bundles, RecommenderOptions options,
              DegradedHook on_degraded);

  // GET /api/recommend/{user}[/{category}]
  RecommendResult Recommend(std::string_view user_id, std::string_view category, int n,
                            int offset) const;
  // POST /api/session/recommend: the history is the given positive items (ids, oldest first);
  // they and `seen` are excluded.
  RecommendResult SessionRecommend(const std::vector<std::string>& positive_items,
                                   const std::vector<std::string>& seen_items,
                                   std::string_view category, int n, int offset) const;
  // GET /api/item/{id}/neighbors[/{category}] and /similar/{id}. NotFound for an unknown item.
  Result<RecommendResult> Similar(std::string_view item_id, std::string_view category, int n,
                                  int offset) const;
  // GET /recommend/detail/{item}?user_id=: the item's neighbours re-weighted by the user's
  // history, without what the user has seen. NotFound for an unknown item.
  Result<RecommendResult> ItemDetail(std::string_view item_id, std::string_view user_id,
                                     int n) const;
  RecommendResult Popular(std::string_view category, int n, int offset) const;
  RecommendResult Latest(std::string_view category, int n, int offset) const;
  // GET /api/user/{id}/neighbors: users sharing positive items (cosine on item sets).
  RecommendResult UserNeighbors(std::string_view user_id, int n, int offset) const;

 private:
  struct Candidate {
    uint32_t item;
    float score;
  };
  // Item-CF scores of `history` (catalog indices, oldest first, the newest weighs most) for
  // every item with a positive score that is not in `exclude` (sorted); unfiltered, unranked.
  void ScoreHistory(const ModelBundle& bundle, size_t catalog_size,
                    const std::vector<uint32_t>& history, const std::vector<uint32_t>& exclude,
                    std::vector<Candidate>& out) const;
  // Keeps the best `want` recommendable candidates of `ranked`, best first.
  static void SelectTop(const OnlineState::CatalogView& view, std::vector<Candidate>& ranked,
                        size_t want);
  // Appends items of `list` not yet present and not excluded until `want` items are held.
  void FillFrom(std::span<const ScoredIndex> list, const OnlineState::CatalogView& view,
                const std::vector<uint32_t>& exclude, size_t want,
                std::vector<Candidate>& out) const;
  std::vector<Candidate> PopularCandidates(const ModelBundle* bundle,
                                           const OnlineState::CatalogView& view,
                                           std::string_view category) const;
  std::vector<Candidate> LatestCandidates(const ModelBundle* bundle,
                                          const OnlineState::CatalogView& view) const;
  // `user_id` selects the precomputed list (none when empty).
  RecommendResult RecommendFromHistory(std::string_view user_id,
                                       const std::vector<uint32_t>& history,
                                       const std::vector<uint32_t>& exclude, bool known_user,
                                       std::string_view category, int n, int offset) const;
  static void ToResult(const OnlineState::CatalogView& view, const std::vector<Candidate>& ranked,
                       size_t offset, size_t n, RecommendResult& result);
  void Degraded(RecommendResult& result, const char* reason) const;

  const OnlineState& state_;
  const BundleHolder& bundles_;
  RecommenderOptions options_;
  DegradedHook on_degraded_;
};

}  // namespace reco
