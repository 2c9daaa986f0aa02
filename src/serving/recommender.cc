#include "serving/recommender.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace reco {
namespace {

// Per-thread dense score accumulator over catalogue indices; only touched slots are reset.
struct Accumulator {
  std::vector<float> scores;
  std::vector<uint32_t> touched;

  void Prepare(size_t n) {
    if (scores.size() < n) scores.resize(n, 0.0f);
  }
  void Add(uint32_t item, float w) {
    if (scores[item] == 0.0f) touched.push_back(item);
    scores[item] += w;
  }
  void Exclude(uint32_t item) {
    if (scores[item] == 0.0f) touched.push_back(item);
    scores[item] = -1e30f;
  }
  void Clear() {
    for (uint32_t i : touched) scores[i] = 0.0f;
    touched.clear();
  }
};

Accumulator& ThreadAccumulator() {
  thread_local Accumulator acc;
  return acc;
}

bool Contains(const std::vector<uint32_t>& sorted, uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

template <typename C>
bool Better(const C& a, const C& b) {
  return a.score != b.score ? a.score > b.score : a.item < b.item;
}

// Sorts so that the first `n` elements are the best n, in order (the rest unordered).
template <typename C>
void RankPrefix(std::vector<C>& c, size_t n) {
  if (n < c.size()) {
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), c.end(), Better<C>);
  } else {
    std::sort(c.begin(), c.end(), Better<C>);
  }
}

template <typename C>
void RankTop(std::vector<C>& c, size_t keep) {
  RankPrefix(c, keep);
  if (keep < c.size()) c.resize(keep);
}

std::vector<uint32_t> SortedUnique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

Recommender::Recommender(const OnlineState& state, const BundleHolder& bundles,
                         RecommenderOptions options, DegradedHook on_degraded)
    : state_(state), bundles_(bundles), options_(options), on_degraded_(std::move(on_degraded)) {}

void Recommender::Degraded(RecommendResult& result, const char* reason) const {
  result.degraded.emplace_back(reason);
  if (on_degraded_) on_degraded_(reason);
}

void Recommender::ToResult(const OnlineState::CatalogView& view,
                           const std::vector<Candidate>& ranked, size_t offset, size_t n,
                           RecommendResult& result) {
  for (size_t i = offset; i < ranked.size() && i < offset + n; ++i) {
    result.items.push_back({view.ItemId(ranked[i].item), ranked[i].score});
  }
}

void Recommender::ScoreHistory(const ModelBundle& bundle, size_t catalog_size,
                               const std::vector<uint32_t>& history,
                               const std::vector<uint32_t>& exclude,
                               std::vector<Candidate>& out) const {
  Accumulator& acc = ThreadAccumulator();
  acc.Prepare(catalog_size);
  // Excluded items start far below zero, so they never surface: no lookup per candidate.
  for (uint32_t item : exclude) {
    if (item < acc.scores.size()) acc.Exclude(item);
  }
  float weight = 1.0f;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    for (const ScoredIndex& nb : bundle.Neighbors(*it)) {
      if (nb.item < acc.scores.size()) acc.Add(nb.item, weight * nb.score);
    }
    weight *= static_cast<float>(options_.recency_decay);
  }
  out.clear();
  out.reserve(acc.touched.size());
  for (uint32_t item : acc.touched) {
    if (acc.scores[item] > 0.0f) out.push_back({item, acc.scores[item]});
  }
  acc.Clear();
}

void Recommender::SelectTop(const OnlineState::CatalogView& view, std::vector<Candidate>& ranked,
                            size_t want) {
  // Rank a prefix, filter it in rank order, and widen the prefix only when filtering removed
  // too much: most candidates are never checked.
  size_t prefix = std::min(ranked.size(), want * 2 + 16);
  std::vector<Candidate> kept;
  kept.reserve(want);
  size_t checked = 0;
  while (true) {
    RankPrefix(ranked, prefix);
    for (; checked < prefix && kept.size() < want; ++checked) {
      if (view.IsRecommendable(ranked[checked].item)) kept.push_back(ranked[checked]);
    }
    if (kept.size() >= want || prefix == ranked.size()) break;
    prefix = std::min(ranked.size(), prefix * 4);
  }
  ranked.swap(kept);
}

void Recommender::FillFrom(std::span<const ScoredIndex> list, const OnlineState::CatalogView& view,
                           const std::vector<uint32_t>& exclude, size_t want,
                           std::vector<Candidate>& out) const {
  if (out.size() >= want) return;
  std::unordered_set<uint32_t> present;
  for (const Candidate& c : out) present.insert(c.item);
  for (const ScoredIndex& s : list) {
    if (out.size() >= want) return;
    if (Contains(exclude, s.item) || !view.IsRecommendable(s.item)) continue;
    if (present.insert(s.item).second) out.push_back({s.item, s.score});
  }
}

RecommendResult Recommender::RecommendFromHistory(std::string_view user_id,
                                                  const std::vector<uint32_t>& history,
                                                  const std::vector<uint32_t>& exclude,
                                                  bool known_user, std::string_view category, int n,
                                                  int offset) const {
  RecommendResult result;
  auto bundle = bundles_.Get();
  size_t want = static_cast<size_t>(offset) + static_cast<size_t>(n);
  auto view = state_.View(category);
  std::vector<Candidate> ranked;
  // The precomputed list of the tuned algorithm comes first, minus what was seen since.
  if (bundle != nullptr && !user_id.empty()) {
    FillFrom(bundle->UserRecs(user_id), view, exclude, want, ranked);
  }
  if (ranked.size() >= want) {
    // answered in full from the precomputed list
  } else if (bundle == nullptr || !bundle->has_itemcf()) {
    Degraded(result, "itemcf_model_missing");
  } else if (history.empty()) {
    Degraded(result, known_user ? "no_positive_history" : "cold_user");
  } else {
    std::vector<Candidate> cf;
    ScoreHistory(*bundle, view.ItemCount(), history, exclude, cf);
    SelectTop(view, cf, want);
    if (ranked.empty()) {
      ranked.swap(cf);
    } else {
      std::vector<ScoredIndex> as_list;
      for (const auto& c : cf) as_list.push_back({c.item, c.score});
      FillFrom(as_list, view, exclude, want, ranked);
    }
    if (ranked.size() < want) Degraded(result, "itemcf_insufficient");
  }
  if (ranked.size() < want) {
    std::vector<Candidate> popular = PopularCandidates(bundle.get(), view, category);
    if (bundle == nullptr || !bundle->has_popularity()) {
      Degraded(result, "popularity_model_missing");
    }
    std::vector<ScoredIndex> as_list;
    as_list.reserve(popular.size());
    for (const auto& c : popular) as_list.push_back({c.item, c.score});
    FillFrom(as_list, view, exclude, want, ranked);
  }
  if (ranked.size() < want) {
    std::vector<Candidate> latest = LatestCandidates(bundle.get(), view);
    std::vector<ScoredIndex> as_list;
    as_list.reserve(latest.size());
    for (const auto& c : latest) as_list.push_back({c.item, c.score});
    FillFrom(as_list, view, exclude, want, ranked);
  }
  ToResult(view, ranked, static_cast<size_t>(offset), static_cast<size_t>(n), result);
  return result;
}

RecommendResult Recommender::Recommend(std::string_view user_id, std::string_view category, int n,
                                       int offset) const {
  thread_local UserSnapshot user;
  state_.GetUser(user_id, user);
  return RecommendFromHistory(user_id, user.recent_positive, user.seen, user.known, category, n,
                              offset);
}

RecommendResult Recommender::SessionRecommend(const std::vector<std::string>& positive_items,
                                              const std::vector<std::string>& seen_items,
                                              std::string_view category, int n, int offset) const {
  std::vector<uint32_t> history;
  std::vector<uint32_t> exclude;
  for (const auto& id : positive_items) {
    if (auto idx = state_.FindItem(id)) history.push_back(*idx);
  }
  for (const auto& id : seen_items) {
    if (auto idx = state_.FindItem(id)) exclude.push_back(*idx);
  }
  exclude.insert(exclude.end(), history.begin(), history.end());
  return RecommendFromHistory("", history, SortedUnique(std::move(exclude)), true, category, n,
                              offset);
}

Result<RecommendResult> Recommender::Similar(std::string_view item_id, std::string_view category,
                                             int n, int offset) const {
  auto idx = state_.FindItem(item_id);
  if (!idx) return NotFound("item " + std::string(item_id) + " not found");
  RecommendResult result;
  auto bundle = bundles_.Get();
  if (bundle == nullptr || !bundle->has_itemcf()) {
    Degraded(result, "itemcf_model_missing");
    return result;
  }
  auto view = state_.View(category);
  std::vector<Candidate> ranked;
  size_t want = static_cast<size_t>(offset) + static_cast<size_t>(n);
  for (const ScoredIndex& nb : bundle->Neighbors(*idx)) {
    if (ranked.size() >= want) break;
    if (nb.item != *idx && view.IsRecommendable(nb.item)) ranked.push_back({nb.item, nb.score});
  }
  ToResult(view, ranked, static_cast<size_t>(offset), static_cast<size_t>(n), result);
  return result;
}

Result<RecommendResult> Recommender::ItemDetail(std::string_view item_id, std::string_view user_id,
                                                int n) const {
  auto idx = state_.FindItem(item_id);
  if (!idx) return NotFound("item " + std::string(item_id) + " not found");
  RecommendResult result;
  auto bundle = bundles_.Get();
  UserSnapshot user = state_.GetUser(user_id);
  auto view = state_.View("");
  std::vector<Candidate> ranked;
  std::vector<uint32_t> exclude = user.seen;
  exclude.push_back(*idx);
  exclude = SortedUnique(std::move(exclude));
  if (bundle != nullptr && bundle->has_itemcf()) {
    Accumulator& acc = ThreadAccumulator();
    acc.Prepare(view.ItemCount());
    for (uint32_t h : user.recent_positive) {
      for (const ScoredIndex& nb : bundle->Neighbors(h)) {
        if (nb.item < acc.scores.size()) acc.Add(nb.item, nb.score);
      }
    }
    float norm =
        user.recent_positive.empty() ? 1.0f : static_cast<float>(user.recent_positive.size());
    for (const ScoredIndex& nb : bundle->Neighbors(*idx)) {
      if (Contains(exclude, nb.item) || !view.IsRecommendable(nb.item)) continue;
      float history_score = nb.item < acc.scores.size() ? acc.scores[nb.item] / norm : 0.0f;
      ranked.push_back(
          {nb.item, nb.score + static_cast<float>(options_.detail_history_weight) * history_score});
    }
    acc.Clear();
    RankTop(ranked, static_cast<size_t>(n));
  } else {
    Degraded(result, "itemcf_model_missing");
  }
  if (ranked.size() < static_cast<size_t>(n)) {
    if (bundle != nullptr && bundle->has_itemcf()) Degraded(result, "itemcf_insufficient");
    std::vector<Candidate> popular = PopularCandidates(bundle.get(), view, "");
    std::vector<ScoredIndex> as_list;
    for (const auto& c : popular) as_list.push_back({c.item, c.score});
    FillFrom(as_list, view, exclude, static_cast<size_t>(n), ranked);
  }
  ToResult(view, ranked, 0, static_cast<size_t>(n), result);
  return result;
}

std::vector<Recommender::Candidate> Recommender::PopularCandidates(
    const ModelBundle* bundle, const OnlineState::CatalogView& view,
    std::string_view category) const {
  // Model scores (decayed counts at training time) plus the live counters since start-up.
  std::unordered_map<uint32_t, float> scores;
  if (bundle != nullptr) {
    for (const ScoredIndex& s : bundle->Popular(category)) scores[s.item] = s.score;
  }
  for (uint32_t item : state_.LiveItems()) {
    scores[item] += static_cast<float>(state_.LiveCount(item));
  }
  std::vector<Candidate> out;
  out.reserve(scores.size());
  for (const auto& [item, score] : scores) {
    if (view.IsRecommendable(item)) out.push_back({item, score});
  }
  RankTop(out, out.size());
  return out;
}

std::vector<Recommender::Candidate> Recommender::LatestCandidates(
    const ModelBundle* bundle, const OnlineState::CatalogView& view) const {
  // Every visible item is a candidate: the catalogue knows items added after training.
  std::vector<Candidate> out;
  for (uint32_t i = 0; i < view.ItemCount(); ++i) {
    if (view.IsRecommendable(i)) {
      out.push_back({i, static_cast<float>(view.TimestampSeconds(i))});
    }
  }
  RankTop(out, out.size());
  return out;
}

RecommendResult Recommender::Popular(std::string_view category, int n, int offset) const {
  RecommendResult result;
  auto bundle = bundles_.Get();
  if (bundle == nullptr || !bundle->has_popularity()) Degraded(result, "popularity_model_missing");
  auto view = state_.View(category);
  std::vector<Candidate> ranked = PopularCandidates(bundle.get(), view, category);
  ToResult(view, ranked, static_cast<size_t>(offset), static_cast<size_t>(n), result);
  return result;
}

RecommendResult Recommender::Latest(std::string_view category, int n, int offset) const {
  RecommendResult result;
  auto bundle = bundles_.Get();
  auto view = state_.View(category);
  std::vector<Candidate> ranked = LatestCandidates(bundle.get(), view);
  ToResult(view, ranked, static_cast<size_t>(offset), static_cast<size_t>(n), result);
  for (auto& item : result.items) item.score = std::round(item.score);
  return result;
}

RecommendResult Recommender::UserNeighbors(std::string_view user_id, int n, int offset) const {
  RecommendResult result;
  std::vector<uint32_t> mine = state_.UserPositiveItems(user_id);
  if (mine.empty()) return result;
  std::unordered_map<std::string, int> overlap;
  for (uint32_t item : mine) {
    for (auto& other : state_.ItemUsers(item, options_.neighbor_users_per_item)) {
      if (other != user_id) ++overlap[other];
    }
  }
  struct Scored {
    std::string id;
    float score;
  };
  std::vector<Scored> scored;
  scored.reserve(overlap.size());
  for (auto& [id, common] : overlap) {
    size_t theirs = state_.UserPositiveItems(id).size();
    if (theirs == 0) continue;
    float cos = static_cast<float>(
        common / std::sqrt(static_cast<double>(mine.size()) * static_cast<double>(theirs)));
    scored.push_back({id, cos});
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  for (size_t i = static_cast<size_t>(offset);
       i < scored.size() && result.items.size() < static_cast<size_t>(n); ++i) {
    result.items.push_back({scored[i].id, scored[i].score});
  }
  return result;
}

}  // namespace reco
