// Recommender: answers every recommendation question from the current ModelBundle plus the
// OnlineState (so a feedback event changes the user's next answer without retraining).
// Recommend = the user's precomputed list of the tuned algorithm (model "recs", when trained),
// then item-CF over the user's recent positive history, minus seen and hidden items, filtered by
// category; the fallback chain item-CF → popular in the user's categories → popular → latest
// fills what is missing and reports why and which fallback served (`degraded`). A request never
// fails because a model is absent.
//
// Thread-safety: all methods are const and safe to call concurrently.
// Lifetime: borrows the OnlineState and BundleHolder, which must outlive it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serving/bundle.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/scenario.h"

namespace reco {

class VectorRecall;  // serving/vector_recall.h

struct ScoredId {
  std::string id;
  double score = 0;
};

struct RecommendResult {
  std::vector<ScoredId> items;
  // Why the answer fell back along the chain ("itemcf_model_missing", "cold_user",
  // "no_positive_history", "itemcf_insufficient", "popularity_model_missing") and which
  // fallbacks supplied items ("fallback_category_popular", "fallback_popular",
  // "fallback_latest"); empty when item-CF (or the precomputed list) answered in full.
  std::vector<std::string> degraded;

  // Which step supplied each item, for the operators' preview: the items at list positions
  // [end of the previous run, end) came from `source` — "precomputed" (the tuned algorithm's
  // list), "itemcf", "category_popular", "popular" or "latest". Positions count from the start
  // of the whole list, before `offset`. Kept inline: no allocation per answer.
  struct SourceRun {
    const char* source = "";
    uint32_t end = 0;
  };
  std::array<SourceRun, 6> sources{};
  uint8_t source_count = 0;
  uint32_t offset = 0;  // the list position of items[0]
  // The source of items[i]; "" when not recorded (neighbour and detail answers).
  std::string_view SourceOf(size_t i) const;
};

// One recommendation under a scenario (GET /api/recommend/{user}?scenario=).
struct ScenarioRequest {
  const ScenarioConfig* scenario = nullptr;  // not null
  std::string_view user_id;
  std::string_view category;      // "" = every category (the route's {category})
  std::string_view context_item;  // the page's item ("" = none): the newest history for item-CF
  // Catalogue indices never served: the request's exclude list and, with a session, what its
  // earlier pages showed.
  std::vector<uint32_t> exclude;
  int n = 10;
  int offset = 0;
};

struct RecommenderOptions {
  // Weight of the k-th most recent history item is recency_decay^k (k = 0 for the newest).
  double recency_decay = 0.95;
  // /recommend/detail: score = sim(item, j) + detail_history_weight * mean_h sim(h, j).
  double detail_history_weight = 0.5;
  // Users scanned per history item when looking for user neighbours.
  size_t neighbor_users_per_item = 200;
  // The category fallback draws on at most this many of the user's most frequent categories.
  size_t taste_categories = 4;
};

class Recommender {
 public:
  using DegradedHook = std::function<void(std::string_view reason)>;

  Recommender(const OnlineState& state, const BundleHolder& bundles, RecommenderOptions options,
              DegradedHook on_degraded);

  // While one lives, answers on this thread do not call the degraded hook (the operators'
  // preview is not traffic and must not move the metrics).
  class QuietScope {
   public:
    QuietScope();
    ~QuietScope();
    QuietScope(const QuietScope&) = delete;
    QuietScope& operator=(const QuietScope&) = delete;

   private:
    bool was_quiet_;
  };

  // User-to-item vector recall (the scenario source "vector", and its share of the plain route:
  // VectorRecallOptions::share); null = none. Set once, before the first request.
  void SetVectorRecall(const VectorRecall* recall) { vector_recall_ = recall; }
  const VectorRecall* vector_recall() const { return vector_recall_; }

  // GET /api/recommend/{user}[/{category}]
  RecommendResult Recommend(std::string_view user_id, std::string_view category, int n,
                            int offset) const;
  // Each question that reads models also comes with a `bundle` parameter: the snapshot the
  // caller took for the whole request (may be null: no models loaded), so that what it logs
  // and answers names the version that produced the list. The overloads without it read the
  // holder once.
  RecommendResult Recommend(const ModelBundle* bundle, std::string_view user_id,
                            std::string_view category, int n, int offset) const;
  // GET /api/recommend/{user}?scenario=: the scenario's recall sources in order (each up to its
  // quota, through its filters), then its fallback chain while the list is short, then its
  // ranker and rerank step (recommender_scenario.cc). `bundle` as above.
  RecommendResult RecommendScenario(const ModelBundle* bundle,
                                    const ScenarioRequest& request) const;
  // POST /api/session/recommend: the history is the given positive items (ids, oldest first);
  // they and `seen` are excluded.
  RecommendResult SessionRecommend(const std::vector<std::string>& positive_items,
                                   const std::vector<std::string>& seen_items,
                                   std::string_view category, int n, int offset) const;
  RecommendResult SessionRecommend(const ModelBundle* bundle,
                                   const std::vector<std::string>& positive_items,
                                   const std::vector<std::string>& seen_items,
                                   std::string_view category, int n, int offset) const;
  // GET /api/item/{id}/neighbors[/{category}] and /similar/{id}. NotFound for an unknown item.
  Result<RecommendResult> Similar(std::string_view item_id, std::string_view category, int n,
                                  int offset) const;
  Result<RecommendResult> Similar(const ModelBundle* bundle, std::string_view item_id,
                                  std::string_view category, int n, int offset) const;
  // GET /recommend/detail/{item}?user_id=: the item's neighbours re-weighted by the user's
  // history, without what the user has seen. NotFound for an unknown item.
  Result<RecommendResult> ItemDetail(std::string_view item_id, std::string_view user_id,
                                     int n) const;
  Result<RecommendResult> ItemDetail(const ModelBundle* bundle, std::string_view item_id,
                                     std::string_view user_id, int n) const;
  RecommendResult Popular(std::string_view category, int n, int offset) const;
  RecommendResult Popular(const ModelBundle* bundle, std::string_view category, int n,
                          int offset) const;
  RecommendResult Latest(std::string_view category, int n, int offset) const;
  // GET /api/user/{id}/neighbors: users sharing positive items (cosine on item sets).
  RecommendResult UserNeighbors(std::string_view user_id, int n, int offset) const;

 private:
  struct Request;  // one recommendation being assembled (recommender.cc)

  // Item-CF scores of `history` (catalog indices, oldest first, the newest weighs most) for
  // every item with a positive score that is not in `exclude`: packed keys, unranked, in
  // `buffer` (grown when too small, never shrunk).
  std::span<uint64_t> ScoreHistory(const ModelBundle& bundle, const std::vector<uint32_t>& history,
                                   const std::vector<uint32_t>& exclude,
                                   std::vector<uint64_t>& buffer) const;
  // Popularity candidates (model scores plus live counters) as packed keys, unranked; with
  // `category_index`, only items of that category (`category` names its model list).
  void PopularKeys(const ModelBundle* bundle, const OnlineState::CatalogView& view,
                   std::string_view category, const uint32_t* category_index,
                   std::vector<uint64_t>& out) const;
  static void LatestKeys(const OnlineState::CatalogView& view, std::vector<uint64_t>& out);
  // Appends popular items of the categories of the request's history until `limit` items are
  // held; returns how many.
  size_t AppendTaste(Request& r, size_t limit) const;
  // Scenarios (recommender_scenario.cc): appends candidates of one source until `limit` items
  // are held; returns how many. `seen` is the user's (sorted), for item-CF's exclusion.
  size_t AppendSource(Request& r, RecallSourceKind kind, size_t limit, std::string_view user_id,
                      const std::vector<uint32_t>& seen, bool known_user) const;
  // Appends vector recall candidates (recommender_vector.cc) until `limit` items are held;
  // returns how many. `no_vectors` (when not null) is set when no history item has a vector.
  size_t AppendVector(Request& r, size_t limit, bool* no_vectors) const;
  // The learned ranker's order (its precomputed list) over the assembled candidates.
  void ApplyRanker(Request& r, std::string_view user_id) const;
  void ApplyRerank(Request& r, const RerankSpec& rerank) const;
  // The chain after the precomputed list and item-CF; each step appends to the request.
  void FillFromTaste(Request& r) const;
  void FillFromPopular(Request& r) const;
  void FillFromLatest(Request& r) const;
  // `user_id` selects the precomputed list (none when empty).
  RecommendResult RecommendFromHistory(const ModelBundle* bundle, std::string_view user_id,
                                       const std::vector<uint32_t>& history,
                                       const std::vector<uint32_t>& exclude, bool known_user,
                                       std::string_view category, int n, int offset) const;
  void Degraded(RecommendResult& result, const char* reason) const;

  const OnlineState& state_;
  const BundleHolder& bundles_;
  RecommenderOptions options_;
  DegradedHook on_degraded_;
  const VectorRecall* vector_recall_ = nullptr;
};

}  // namespace reco
