#include "serving/recommender.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "serving/recommender_internal.h"
#include "serving/vector_recall.h"

namespace reco {

using recommender_internal::Best;
using recommender_internal::ItemOf;
using recommender_internal::Pack;
using recommender_internal::PackPositive;
using recommender_internal::Prefetch;
using recommender_internal::ScoreOf;
using recommender_internal::Scratch;
using recommender_internal::ThreadScratch;

namespace {
std::vector<uint32_t> SortedUnique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Splits `slots` over the categories in proportion to their counts: the integer parts first,
// then one more to the largest remainders (ties to the more preferred). `taste` is sorted by
// preference.
void Apportion(const std::vector<std::pair<uint32_t, uint32_t>>& taste, size_t slots,
               std::vector<size_t>& quota) {
  size_t total = 0;
  for (const auto& t : taste) total += t.second;
  quota.assign(taste.size(), 0);
  if (total == 0) return;
  size_t given = 0;
  std::vector<std::pair<size_t, size_t>> remainders;  // (remainder, index)
  for (size_t i = 0; i < taste.size(); ++i) {
    quota[i] = slots * taste[i].second / total;
    given += quota[i];
    remainders.emplace_back(slots * taste[i].second % total, i);
  }
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t k = 0; given < slots && k < remainders.size(); ++k, ++given) {
    ++quota[remainders[k].second];
  }
}

const std::vector<uint32_t>& NoHistory() {
  static const std::vector<uint32_t> empty;
  return empty;
}

}  // namespace

std::string_view RecommendResult::SourceOf(size_t i) const {
  const size_t position = offset + i;
  for (uint8_t k = 0; k < source_count; ++k) {
    if (position < sources[k].end) return sources[k].source;
  }
  return {};
}

Recommender::Recommender(const OnlineState& state, const BundleHolder& bundles,
                         RecommenderOptions options, DegradedHook on_degraded)
    : state_(state), bundles_(bundles), options_(options), on_degraded_(std::move(on_degraded)) {}

namespace {
thread_local bool t_quiet = false;
}  // namespace

Recommender::QuietScope::QuietScope() : was_quiet_(t_quiet) { t_quiet = true; }
Recommender::QuietScope::~QuietScope() { t_quiet = was_quiet_; }

void Recommender::Degraded(RecommendResult& result, const char* reason) const {
  result.degraded.emplace_back(reason);
  if (on_degraded_ && !t_quiet) on_degraded_(reason);
}

std::span<uint64_t> Recommender::ScoreHistory(const ModelBundle& bundle,
                                              const std::vector<uint32_t>& history,
                                              const std::vector<uint32_t>& exclude,
                                              std::vector<uint64_t>& buffer) const {
  Scratch& s = ThreadScratch();
  // Every neighbour index is below the bundle's limit: no bound check per neighbour.
  s.Prepare(bundle.neighbor_index_limit());
  const size_t size = s.scores.size();
  float* scores = s.scores.data();
  size_t total = exclude.size();
  for (uint32_t h : history) total += bundle.Neighbors(h).size();
  // Every write is recorded (repeats included) instead of testing each slot for a first
  // touch; nothing below allocates once the accumulator is dirty.
  if (s.touched.size() < total) s.touched.resize(total);
  if (buffer.size() < total) buffer.resize(total);
  uint32_t* touched = s.touched.data();
  // Excluded items start far below zero, so they never surface: no lookup per candidate.
  for (uint32_t item : exclude) {
    if (item >= size) continue;
    scores[item] = -1e30f;
    *touched++ = item;
  }
  float weight = 1.0f;
  const float decay = static_cast<float>(options_.recency_decay);
  // The neighbour lists are cold (all of them are tens of MB): the next list is fetched while
  // this one is scored.
  if (!history.empty()) Prefetch(bundle.Neighbors(history.back()));
  for (size_t k = history.size(); k-- > 0;) {
    if (k > 0) Prefetch(bundle.Neighbors(history[k - 1]));
    const std::span<const ScoredIndex> list = bundle.Neighbors(history[k]);
#pragma GCC unroll 4
    for (const ScoredIndex& nb : list) {
      scores[nb.item] += weight * nb.score;
      *touched++ = nb.item;
    }
    weight *= decay;
  }
  // Each item is collected at its first record, whose read also zeroes the slot (a repeat then
  // reads 0 and is not kept). Branch-free: the key is always written, and kept when positive.
  uint64_t* kept = buffer.data();
  for (const uint32_t* p = s.touched.data(); p != touched; ++p) {
    const float v = scores[*p];
    scores[*p] = 0.0f;
    *kept = PackPositive(*p, v);
    kept += v > 0.0f ? 1 : 0;
  }
  return std::span<uint64_t>(buffer.data(), static_cast<size_t>(kept - buffer.data()));
}

void Recommender::PopularKeys(const ModelBundle* bundle, const OnlineState::CatalogView& view,
                              std::string_view category, const uint32_t* category_index,
                              std::vector<uint64_t>& out) const {
  // Model scores (decayed counts at training time) plus the live counters since start-up.
  Scratch& s = ThreadScratch();
  s.Prepare(view.ItemCount());
  s.touched.clear();
  auto add = [&s](uint32_t item, float score) {
    if (item >= s.scores.size()) return;
    if (s.mark[item] == 0) {
      s.mark[item] = 1;
      s.touched.push_back(item);
    }
    s.scores[item] += score;
  };
  if (bundle != nullptr) {
    for (const ScoredIndex& e : bundle->Popular(category)) add(e.item, e.score);
  }
  state_.LiveCounts(s.live);
  for (const auto& [item, count] : s.live) {
    if (category_index == nullptr || view.HasCategory(item, *category_index)) add(item, count);
  }
  out.clear();
  for (uint32_t item : s.touched) {
    out.push_back(Pack(item, s.scores[item]));
    s.scores[item] = 0.0f;
    s.mark[item] = 0;
  }
  s.touched.clear();
}

void Recommender::LatestKeys(const OnlineState::CatalogView& view, std::vector<uint64_t>& out) {
  // Every visible item is a candidate: the catalogue knows items added after training.
  out.clear();
  for (uint32_t i = 0; i < view.ItemCount(); ++i) {
    if (view.IsRecommendable(i)) {
      out.push_back(Pack(i, static_cast<float>(view.TimestampSeconds(i))));
    }
  }
}

size_t Recommender::AppendTaste(Request& r, size_t limit) const {
  // Popular items of the categories of the user's history, weighted by how many history items
  // each has: each category gets a share of the missing items in proportion to its weight,
  // filled in order of preference; what a category cannot fill goes to the next ones.
  if (r.size() >= limit || !r.category.empty() || r.history.empty()) return 0;
  auto& taste = r.s.taste;
  taste.clear();
  for (uint32_t h : r.history) {
    for (uint32_t c : r.view.Categories(h)) {
      auto it =
          std::find_if(taste.begin(), taste.end(), [c](const auto& t) { return t.first == c; });
      if (it == taste.end()) {
        taste.emplace_back(c, 1);
      } else {
        ++it->second;
      }
    }
  }
  if (taste.empty()) return 0;
  std::sort(taste.begin(), taste.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (taste.size() > options_.taste_categories) taste.resize(options_.taste_categories);
  Apportion(taste, limit - r.size(), r.s.quota);
  if (r.s.taste_keys.size() < taste.size()) r.s.taste_keys.resize(taste.size());
  const size_t before = r.size();
  for (size_t i = 0; i < taste.size(); ++i) {
    const uint32_t category = taste[i].first;
    PopularKeys(r.bundle, r.view, r.view.CategoryName(category), &category, r.s.taste_keys[i]);
    r.AppendRanked(r.s.taste_keys[i], r.size() + r.s.quota[i]);
  }
  for (size_t i = 0; i < taste.size() && r.size() < limit; ++i) {
    r.AppendRanked(r.s.taste_keys[i], limit);
  }
  return r.size() - before;
}

void Recommender::FillFromTaste(Request& r) const {
  if (AppendTaste(r, r.want) > 0) Degraded(r.result, "fallback_category_popular");
}

void Recommender::FillFromPopular(Request& r) const {
  if (r.full()) return;
  if (r.bundle == nullptr || !r.bundle->has_popularity()) {
    Degraded(r.result, "popularity_model_missing");
  }
  PopularKeys(r.bundle, r.view, r.category, nullptr, r.s.keys);
  if (r.AppendRanked(r.s.keys, r.want) > 0) Degraded(r.result, "fallback_popular");
}

void Recommender::FillFromLatest(Request& r) const {
  if (r.full()) return;
  LatestKeys(r.view, r.s.keys);
  if (r.AppendRanked(r.s.keys, r.want) > 0) Degraded(r.result, "fallback_latest");
}

RecommendResult Recommender::RecommendFromHistory(const ModelBundle* bundle,
                                                  std::string_view user_id,
                                                  const std::vector<uint32_t>& history,
                                                  const std::vector<uint32_t>& exclude,
                                                  bool known_user, std::string_view category, int n,
                                                  int offset) const {
  RecommendResult result;
  auto view = state_.View(category);
  Request r(bundle, view, category, history, static_cast<size_t>(offset) + static_cast<size_t>(n),
            result);
  for (uint32_t item : exclude) r.Take(item);
  // With content.user_recall_share, the last `vector_quota` places of the list are vector
  // recall's (0 without it: the chain below is the plain one).
  const size_t vector_quota =
      vector_recall_ != nullptr && !history.empty() ? vector_recall_->PlainQuota(r.want) : 0;
  const size_t first = r.want - vector_quota;
  // The precomputed list of the tuned algorithm comes first, minus what was seen since.
  if (bundle != nullptr && !user_id.empty()) r.AppendList(bundle->UserRecs(user_id), first);
  r.Mark("precomputed");
  std::span<uint64_t> cf;
  if (r.size() >= first) {
    // answered in full from the precomputed list
  } else if (bundle == nullptr || !bundle->has_itemcf()) {
    Degraded(result, "itemcf_model_missing");
  } else if (history.empty()) {
    Degraded(result, known_user ? "no_positive_history" : "cold_user");
  } else {
    cf = ScoreHistory(*bundle, history, exclude, r.s.cf_keys);
    r.AppendRanked(cf, first);
    r.Mark("itemcf");
    if (r.size() < first) Degraded(result, "itemcf_insufficient");
  }
  if (vector_quota > 0) {
    AppendVector(r, r.want, nullptr);
    r.Mark("vector");
    // What vector recall could not fill goes back to the lists above.
    if (!r.full() && bundle != nullptr && !user_id.empty()) {
      r.AppendList(bundle->UserRecs(user_id), r.want);
      r.Mark("precomputed");
    }
    if (!r.full() && !cf.empty()) {
      r.AppendRanked(cf, r.want);
      r.Mark("itemcf");
    }
  }
  FillFromTaste(r);
  r.Mark("category_popular");
  FillFromPopular(r);
  r.Mark("popular");
  FillFromLatest(r);
  r.Mark("latest");
  r.Write(static_cast<size_t>(offset), static_cast<size_t>(n));
  return result;
}

RecommendResult Recommender::Recommend(std::string_view user_id, std::string_view category, int n,
                                       int offset) const {
  std::shared_ptr<const ModelBundle> bundle = bundles_.Get();
  return Recommend(bundle.get(), user_id, category, n, offset);
}

RecommendResult Recommender::Recommend(const ModelBundle* bundle, std::string_view user_id,
                                       std::string_view category, int n, int offset) const {
  thread_local UserSnapshot user;
  state_.GetUser(user_id, user);
  return RecommendFromHistory(bundle, user_id, user.recent_positive, user.seen, user.known,
                              category, n, offset);
}

RecommendResult Recommender::SessionRecommend(const std::vector<std::string>& positive_items,
                                              const std::vector<std::string>& seen_items,
                                              std::string_view category, int n, int offset) const {
  std::shared_ptr<const ModelBundle> bundle = bundles_.Get();
  return SessionRecommend(bundle.get(), positive_items, seen_items, category, n, offset);
}

RecommendResult Recommender::SessionRecommend(const ModelBundle* bundle,
                                              const std::vector<std::string>& positive_items,
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
  return RecommendFromHistory(bundle, "", history, SortedUnique(std::move(exclude)), true, category,
                              n, offset);
}

Result<RecommendResult> Recommender::Similar(std::string_view item_id, std::string_view category,
                                             int n, int offset) const {
  std::shared_ptr<const ModelBundle> bundle = bundles_.Get();
  return Similar(bundle.get(), item_id, category, n, offset);
}

Result<RecommendResult> Recommender::Similar(const ModelBundle* bundle, std::string_view item_id,
                                             std::string_view category, int n, int offset) const {
  auto view = state_.View(category);
  auto idx = view.Find(item_id);
  if (!idx) return NotFound("item " + std::string(item_id) + " not found");
  RecommendResult result;
  if (bundle == nullptr || !bundle->has_itemcf()) {
    Degraded(result, "itemcf_model_missing");
    return result;
  }
  const size_t want = static_cast<size_t>(offset) + static_cast<size_t>(n);
  const std::span<const ScoredIndex> neighbors = bundle->Neighbors(*idx);
  result.items.reserve(std::min(neighbors.size(), static_cast<size_t>(n)));
  size_t kept = 0;
  for (const ScoredIndex& nb : neighbors) {
    if (kept >= want) break;
    if (nb.item == *idx || !view.IsRecommendable(nb.item)) continue;
    if (kept++ >= static_cast<size_t>(offset)) {
      result.items.push_back({view.ItemId(nb.item), nb.score});
    }
  }
  return result;
}

Result<RecommendResult> Recommender::ItemDetail(std::string_view item_id, std::string_view user_id,
                                                int n) const {
  std::shared_ptr<const ModelBundle> bundle = bundles_.Get();
  return ItemDetail(bundle.get(), item_id, user_id, n);
}

Result<RecommendResult> Recommender::ItemDetail(const ModelBundle* bundle, std::string_view item_id,
                                                std::string_view user_id, int n) const {
  auto idx = state_.FindItem(item_id);
  if (!idx) return NotFound("item " + std::string(item_id) + " not found");
  RecommendResult result;
  UserSnapshot user = state_.GetUser(user_id);
  auto view = state_.View("");
  Request r(bundle, view, "", user.recent_positive, static_cast<size_t>(n), result);
  for (uint32_t item : user.seen) r.Take(item);
  r.Take(*idx);
  if (bundle != nullptr && bundle->has_itemcf()) {
    // Mean similarity of each neighbour to the history, from the shared accumulator.
    Scratch& s = r.s;
    s.touched.clear();
    for (uint32_t h : user.recent_positive) {
      for (const ScoredIndex& nb : bundle->Neighbors(h)) {
        if (nb.item >= s.scores.size()) continue;
        s.scores[nb.item] += nb.score;
        s.touched.push_back(nb.item);
      }
    }
    const float norm =
        user.recent_positive.empty() ? 1.0f : static_cast<float>(user.recent_positive.size());
    const float w = static_cast<float>(options_.detail_history_weight);
    s.keys.clear();
    for (const ScoredIndex& nb : bundle->Neighbors(*idx)) {
      const float history = nb.item < s.scores.size() ? s.scores[nb.item] / norm : 0.0f;
      s.keys.push_back(Pack(nb.item, nb.score + w * history));
    }
    for (uint32_t item : s.touched) s.scores[item] = 0.0f;
    s.touched.clear();
    r.AppendRanked(s.keys, r.want);
    if (!r.full()) Degraded(result, "itemcf_insufficient");
  } else {
    Degraded(result, "itemcf_model_missing");
  }
  FillFromPopular(r);
  r.Write(0, static_cast<size_t>(n));
  return result;
}

RecommendResult Recommender::Popular(std::string_view category, int n, int offset) const {
  std::shared_ptr<const ModelBundle> bundle = bundles_.Get();
  return Popular(bundle.get(), category, n, offset);
}

RecommendResult Recommender::Popular(const ModelBundle* bundle, std::string_view category, int n,
                                     int offset) const {
  RecommendResult result;
  auto view = state_.View(category);
  Request r(bundle, view, category, NoHistory(), static_cast<size_t>(offset + n), result);
  if (bundle == nullptr || !bundle->has_popularity()) Degraded(result, "popularity_model_missing");
  PopularKeys(bundle, view, category, nullptr, r.s.keys);
  r.AppendRanked(r.s.keys, r.want);
  r.Write(static_cast<size_t>(offset), static_cast<size_t>(n));
  return result;
}

RecommendResult Recommender::Latest(std::string_view category, int n, int offset) const {
  RecommendResult result;
  auto view = state_.View(category);
  Request r(nullptr, view, category, NoHistory(), static_cast<size_t>(offset + n), result);
  LatestKeys(view, r.s.keys);
  r.AppendRanked(r.s.keys, r.want);
  r.Write(static_cast<size_t>(offset), static_cast<size_t>(n));
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
