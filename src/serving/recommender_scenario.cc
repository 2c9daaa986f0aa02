// Recommender::RecommendScenario: one list under a scenario, assembled with the same Request,
// candidate keys and recall steps as the plain route (recommender.cc), so that a scenario of
// item-CF then popular then latest serves what the plain route serves.
#include <algorithm>
#include <optional>
#include <unordered_map>

#include "serving/recommender.h"
#include "serving/recommender_internal.h"
#include "serving/scenario_rerank.h"

namespace reco {

using recommender_internal::ItemOf;
using recommender_internal::Pack;

namespace {

// The category and label filters of a scenario, resolved to catalogue indices once per request.
class ScenarioFilter final : public ItemFilter {
 public:
  ScenarioFilter(const OnlineState::CatalogView& view, const ScenarioFilters& filters)
      : view_(view),
        has_categories_(!filters.categories.empty()),
        has_labels_(!filters.labels.empty()),
        all_labels_(filters.labels_match == LabelMatch::kAll) {
    for (const std::string& c : filters.categories) {
      auto index = view.FindCategory(c);
      if (!index) continue;
      if (*index >= allowed_categories_.size()) allowed_categories_.resize(*index + 1, 0);
      allowed_categories_[*index] = 1;
    }
    for (const std::string& l : filters.labels) {
      if (auto index = view.FindLabel(l)) {
        labels_.push_back(*index);
      } else if (all_labels_) {
        impossible_ = true;  // no item has this label, so none has all of them
      }
    }
  }

  bool active() const { return has_categories_ || has_labels_; }

  bool Keep(uint32_t item) const override {
    if (impossible_) return false;
    if (has_categories_ && !AnyCategory(item)) return false;
    if (has_labels_ && !LabelsMatch(item)) return false;
    return true;
  }

 private:
  // Every candidate of a filtered source passes here: one table lookup per category of the item.
  bool AnyCategory(uint32_t item) const {
    for (uint32_t c : view_.Categories(item)) {
      if (c < allowed_categories_.size() && allowed_categories_[c] != 0) return true;
    }
    return false;
  }
  bool LabelsMatch(uint32_t item) const {
    const std::span<const uint32_t> have = view_.Labels(item);  // sorted
    auto has = [&have](uint32_t label) {
      return std::binary_search(have.begin(), have.end(), label);
    };
    if (all_labels_) return std::all_of(labels_.begin(), labels_.end(), has);
    return std::any_of(labels_.begin(), labels_.end(), has);
  }

  const OnlineState::CatalogView& view_;
  bool has_categories_;
  bool has_labels_;
  bool all_labels_;
  bool impossible_ = false;
  std::vector<uint8_t> allowed_categories_;  // category index -> 1 when listed
  std::vector<uint32_t> labels_;
};

const char* FallbackReason(RecallSourceKind kind) {
  switch (kind) {
    case RecallSourceKind::kUserRecs:
      return "fallback_recs";
    case RecallSourceKind::kSwing:
      return "fallback_swing";
    case RecallSourceKind::kItemCf:
      return "fallback_itemcf";
    case RecallSourceKind::kPopular:
      return "fallback_popular";
    case RecallSourceKind::kCategoryPopular:
      return "fallback_category_popular";
    case RecallSourceKind::kLatest:
      return "fallback_latest";
    case RecallSourceKind::kVector:
      return "fallback_vector";
  }
  return "fallback_popular";
}

bool Noted(const RecommendResult& result, std::string_view reason) {
  return std::find(result.degraded.begin(), result.degraded.end(), reason) != result.degraded.end();
}

}  // namespace

size_t Recommender::AppendSource(Request& r, RecallSourceKind kind, size_t limit,
                                 std::string_view user_id, const std::vector<uint32_t>& seen,
                                 bool known_user) const {
  // A source without its model adds nothing and says so once per answer.
  auto missing = [this, &r](const char* reason) {
    if (!Noted(r.result, reason)) Degraded(r.result, reason);
    return size_t{0};
  };
  switch (kind) {
    case RecallSourceKind::kUserRecs:
      if (r.bundle == nullptr || !r.bundle->has_user_recs()) return missing("recs_model_missing");
      return r.AppendList(r.bundle->UserRecs(user_id), limit);
    case RecallSourceKind::kSwing:
      if (r.bundle == nullptr || r.bundle->user_recs_algorithm() != "swing") {
        return missing("swing_model_missing");
      }
      return r.AppendList(r.bundle->UserRecs(user_id), limit);
    case RecallSourceKind::kItemCf:
      if (r.bundle == nullptr || !r.bundle->has_itemcf()) return missing("itemcf_model_missing");
      if (r.history.empty()) return missing(known_user ? "no_positive_history" : "cold_user");
      return r.AppendRanked(ScoreHistory(*r.bundle, r.history, seen, r.s.cf_keys), limit);
    case RecallSourceKind::kPopular:
      if (r.bundle == nullptr || !r.bundle->has_popularity()) missing("popularity_model_missing");
      PopularKeys(r.bundle, r.view, r.category, nullptr, r.s.keys);
      return r.AppendRanked(r.s.keys, limit);
    case RecallSourceKind::kCategoryPopular:
      return AppendTaste(r, limit);
    case RecallSourceKind::kLatest:
      LatestKeys(r.view, r.s.keys);
      return r.AppendRanked(r.s.keys, limit);
    case RecallSourceKind::kVector: {
      if (vector_recall_ == nullptr) return missing("content_index_missing");
      if (r.history.empty()) return missing(known_user ? "no_positive_history" : "cold_user");
      bool no_vectors = false;
      const size_t added = AppendVector(r, limit, &no_vectors);
      if (no_vectors) missing("content_vector_missing");
      return added;
    }
  }
  return 0;
}

void Recommender::ApplyRanker(Request& r, std::string_view user_id) const {
  // The learned ranker runs offline: its scores reach serving as the precomputed lists of the
  // tuned algorithm "ranker". Candidates it scored go first, by its score; the rest keep their
  // order after them.
  if (r.bundle == nullptr || r.bundle->user_recs_algorithm() != "ranker") {
    if (!Noted(r.result, "ranker_model_missing")) Degraded(r.result, "ranker_model_missing");
    return;
  }
  const std::span<const ScoredIndex> list = r.bundle->UserRecs(user_id);
  if (list.empty()) return;
  std::unordered_map<uint32_t, float> scores;
  scores.reserve(list.size());
  for (const ScoredIndex& e : list) scores.emplace(e.item, e.score);
  auto& answer = r.s.answer;
  auto ranked_end = std::stable_partition(
      answer.begin(), answer.end(), [&](uint64_t key) { return scores.count(ItemOf(key)) > 0; });
  for (auto it = answer.begin(); it != ranked_end; ++it)
    *it = Pack(ItemOf(*it), scores[ItemOf(*it)]);
  std::stable_sort(answer.begin(), ranked_end, std::greater<>());
  r.result.source_count = 0;  // the runs of sources no longer hold
}

void Recommender::ApplyRerank(Request& r, const RerankSpec& rerank) const {
  auto& answer = r.s.answer;
  if (rerank.kind == RerankKind::kNone || answer.size() < 2) return;
  std::vector<std::span<const uint32_t>> categories;
  categories.reserve(answer.size());
  for (uint64_t key : answer) categories.push_back(r.view.Categories(ItemOf(key)));
  const size_t window = static_cast<size_t>(rerank.window);
  const std::vector<uint32_t> order =
      rerank.kind == RerankKind::kDiversity
          ? DiversityOrder(categories, window, static_cast<size_t>(rerank.max_per_category))
          : MmrOrder(categories, window, rerank.lambda);
  std::vector<uint64_t> reordered;
  reordered.reserve(answer.size());
  for (uint32_t i : order) reordered.push_back(answer[i]);
  answer.swap(reordered);
  r.result.source_count = 0;
}

RecommendResult Recommender::RecommendScenario(const ModelBundle* bundle,
                                               const ScenarioRequest& request) const {
  const ScenarioConfig& scenario = *request.scenario;
  thread_local UserSnapshot user;
  thread_local std::vector<uint32_t> history;
  state_.GetUser(request.user_id, user);
  history.assign(user.recent_positive.begin(), user.recent_positive.end());
  RecommendResult result;
  auto view = state_.View(request.category);
  // The page's item weighs as the newest history item and is never served on its own page.
  std::optional<uint32_t> context;
  if (!request.context_item.empty()) context = view.Find(request.context_item);
  if (context) history.push_back(*context);
  ScenarioFilter filter(view, scenario.filters);
  const size_t want = static_cast<size_t>(request.offset) + static_cast<size_t>(request.n);
  Request r(bundle, view, request.category, history, want, result);
  if (filter.active()) r.filter = &filter;
  static const std::vector<uint32_t> kNone;
  const std::vector<uint32_t>& seen = scenario.filters.exclude_seen ? user.seen : kNone;
  for (uint32_t item : seen) r.Take(item);
  for (uint32_t item : request.exclude) r.Take(item);
  if (context) r.Take(*context);
  for (const RecallSpec& spec : scenario.recall) {
    AppendSource(r, spec.source, r.size() + static_cast<size_t>(spec.quota), request.user_id, seen,
                 user.known);
    r.Mark(RecallSourceName(spec.source).data());
  }
  for (RecallSourceKind kind : scenario.fallback) {
    if (r.full()) break;
    if (AppendSource(r, kind, want, request.user_id, seen, user.known) > 0) {
      Degraded(result, FallbackReason(kind));
    }
    r.Mark(RecallSourceName(kind).data());
  }
  if (scenario.ranker == RankerKind::kLearned) ApplyRanker(r, request.user_id);
  ApplyRerank(r, scenario.rerank);
  r.Write(static_cast<size_t>(request.offset), static_cast<size_t>(request.n));
  return result;
}

}  // namespace reco
