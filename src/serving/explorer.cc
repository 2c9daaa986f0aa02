#include "serving/explorer.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "core/stable_hash.h"
#include "serving/realtime.h"

namespace reco {
namespace {

using simdjson::dom::element;

void AddNames(element value, std::vector<std::string>& out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out.emplace_back(text);
  } else if (simdjson::dom::array array; value.get_array().get(array) == simdjson::SUCCESS) {
    for (element e : array) {
      if (e.get_string().get(text) == simdjson::SUCCESS) out.emplace_back(text);
    }
  }
}

// Splits `slots` over weights in proportion: the integer parts first, then one more to the
// largest remainders (ties to the earlier, more preferred entry).
std::vector<size_t> Apportion(const std::vector<std::pair<std::string, double>>& weights,
                              size_t slots) {
  std::vector<size_t> quota(weights.size(), 0);
  double total = 0;
  for (const auto& w : weights) total += w.second;
  if (total <= 0) return quota;
  size_t given = 0;
  std::vector<std::pair<double, size_t>> remainders;  // (remainder, index)
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(slots) * weights[i].second / total;
    quota[i] = static_cast<size_t>(std::floor(exact));
    given += quota[i];
    remainders.emplace_back(exact - static_cast<double>(quota[i]), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < slots && k < remainders.size(); ++k, ++given) {
    ++quota[remainders[k].second];
  }
  return quota;
}

}  // namespace

std::vector<std::string> ChosenCategories(std::string_view labels_json,
                                          std::string_view label_key) {
  std::vector<std::string> out;
  if (labels_json.empty() || labels_json == "null") return out;
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS) {
    return out;
  }
  if (simdjson::dom::array array; root.get_array().get(array) == simdjson::SUCCESS) {
    AddNames(root, out);
  } else if (simdjson::dom::object object; root.get_object().get(object) == simdjson::SUCCESS) {
    if (element value; object.at_key(label_key).get(value) == simdjson::SUCCESS) {
      AddNames(value, out);
    }
  }
  // Named twice counts once.
  std::vector<std::string> unique;
  for (std::string& name : out) {
    if (!name.empty() && std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  return unique;
}

Result<ItemCountsFn> RealtimeItemCounts(const Realtime& realtime, std::string_view window) {
  std::string name(window);
  if (name.empty()) {
    int64_t longest = -1;
    for (const WindowSpec& spec : realtime.options().windows) {
      if (spec.length_s > longest) {
        longest = spec.length_s;
        name = spec.name;
      }
    }
  }
  Result<int> found = realtime.FindWindow(name);
  if (!found.ok() || *found == kDecayWindow) {
    return InvalidArgument("explore.window: \"" + name +
                               "\" is not a window of realtime.windows (the bandit counts "
                               "exposures and clicks; \"\" = the longest window)",
                           "explore.window");
  }
  const size_t limit = realtime.options().max_keys;
  return ItemCountsFn([&realtime, name, limit](ItemArmCounts& out) {
    out.clear();
    Result<RealtimeReport> report = realtime.Report(name, RealtimeDimension::kItem, limit);
    if (!report.ok()) return;
    out.reserve(report->rows.size());
    for (RealtimeRow& row : report->rows) {
      out.emplace(std::move(row.key), ArmCounts{row.impressions, row.clicks});
    }
  });
}

Explorer::Explorer(const OnlineState& state, const Recommender& recommender, const Clock& clock,
                   ExploreOptions options, ItemCountsFn counts, ChosenCategoriesFn chosen,
                   Recommender::DegradedHook on_degraded)
    : state_(state),
      recommender_(recommender),
      clock_(clock),
      options_(std::move(options)),
      counts_(std::move(counts)),
      chosen_(std::move(chosen)),
      on_degraded_(std::move(on_degraded)),
      seed_(options_.seed != 0
                ? options_.seed
                : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

bool Explorer::Applies(std::string_view user_id) const {
  return state_.UserPositiveCount(user_id) < static_cast<size_t>(options_.min_history);
}

size_t Explorer::CollaborativeSlots(size_t want, size_t history, int min_history) {
  const size_t m = static_cast<size_t>(std::max(min_history, 1));
  if (history >= m) return want;
  return (2 * want * history + m) / (2 * m);  // rounded half up
}

size_t Explorer::FreshSlots(size_t mix, double share, double u) {
  const double exact = static_cast<double>(mix) * std::clamp(share, 0.0, 1.0) + u;
  return std::min(mix, static_cast<size_t>(std::floor(exact)));
}

std::vector<size_t> Explorer::FreshPositions(size_t total, size_t fresh) {
  std::vector<size_t> positions;
  fresh = std::min(fresh, total);
  positions.reserve(fresh);
  // The middle of each of `fresh` equal stretches of the list: gaps of total / fresh >= 1.
  for (size_t j = 0; j < fresh; ++j) positions.push_back((2 * j + 1) * total / (2 * fresh));
  return positions;
}

void Explorer::Degraded(RecommendResult& result, const char* reason) const {
  if (std::find(result.degraded.begin(), result.degraded.end(), reason) != result.degraded.end()) {
    return;
  }
  result.degraded.emplace_back(reason);
  if (on_degraded_) on_degraded_(reason);
}

std::shared_ptr<const Explorer::Fresh> Explorer::BuildFresh(std::string_view category) const {
  auto fresh = std::make_shared<Fresh>();
  fresh->built = clock_.NowMicros();
  const int64_t oldest = options_.fresh_max_age_s > 0
                             ? fresh->built / kMicrosPerSecond - options_.fresh_max_age_s
                             : std::numeric_limits<int64_t>::min();
  // The newest items by their timestamps in whole seconds (the latest list's float scores would
  // blur items added minutes apart), the later added first among equals.
  std::vector<std::pair<int64_t, uint32_t>> newest;
  {
    auto view = state_.View(category);
    for (uint32_t i = 0; i < view.ItemCount(); ++i) {
      if (!view.IsRecommendable(i) || view.TimestampSeconds(i) < oldest) continue;
      newest.emplace_back(view.TimestampSeconds(i), i);
    }
    const size_t keep = std::min(newest.size(), options_.fresh_candidates);
    std::partial_sort(newest.begin(), newest.begin() + static_cast<std::ptrdiff_t>(keep),
                      newest.end(), std::greater<>());
    newest.resize(keep);
    for (const auto& [ts, item] : newest) fresh->ids.push_back(view.ItemId(item));
  }
  ItemArmCounts counts;
  if (counts_) counts_(counts);
  fresh->counts.reserve(fresh->ids.size());
  for (const std::string& id : fresh->ids) {
    auto it = counts.find(id);
    fresh->counts.push_back(it == counts.end() ? ArmCounts{} : it->second);
  }
  return fresh;
}

std::shared_ptr<const Explorer::Fresh> Explorer::FreshFor(std::string_view category) const {
  // A category's candidates are built for the request (category routes are the rarer ones);
  // the catalogue's are shared until they are refresh_seconds old.
  if (!category.empty()) return BuildFresh(category);
  const TimestampUs now = clock_.NowMicros();
  const auto max_age = static_cast<TimestampUs>(options_.refresh_seconds * kMicrosPerSecond);
  std::lock_guard lock(mu_);
  if (fresh_ == nullptr || options_.refresh_seconds <= 0 || now - fresh_->built >= max_age ||
      now < fresh_->built) {
    fresh_ = BuildFresh("");
  }
  return fresh_;
}

std::vector<ScoredId> Explorer::PickFresh(std::string_view category, size_t want, Taken& taken,
                                          UniformSource& rng) const {
  std::vector<ScoredId> out;
  if (want == 0) return out;
  const std::shared_ptr<const Fresh> fresh = FreshFor(category);
  std::vector<size_t> candidates;  // indices into fresh
  std::vector<ArmCounts> arms;
  {
    // Items hidden or deleted since the snapshot, or seen by the user, are no arms.
    auto view = state_.View(category);
    for (size_t i = 0; i < fresh->ids.size(); ++i) {
      const std::optional<uint32_t> index = view.Find(fresh->ids[i]);
      if (!index || !view.IsRecommendable(*index) || taken.contains(fresh->ids[i])) continue;
      candidates.push_back(i);
      arms.push_back(fresh->counts[i]);
    }
  }
  std::vector<double> draws;
  for (size_t arm : ThompsonTop(arms, want, options_.prior, rng, &draws)) {
    const std::string& id = fresh->ids[candidates[arm]];
    taken.emplace(id, true);
    out.push_back({id, draws[arm]});
  }
  return out;
}

std::vector<std::pair<std::string, double>> Explorer::Taste(std::string_view user_id,
                                                            const UserSnapshot& user) const {
  // Chosen categories weigh one each; every liked item adds one to each of its categories, so
  // what the user does soon outweighs what was picked at sign-up.
  std::vector<std::string> chosen = chosen_ ? chosen_(user_id) : std::vector<std::string>();
  std::vector<std::pair<std::string, double>> taste;
  auto add = [&taste](std::string_view name) {
    auto it =
        std::find_if(taste.begin(), taste.end(), [name](const auto& t) { return t.first == name; });
    if (it == taste.end()) {
      taste.emplace_back(std::string(name), 1.0);
    } else {
      it->second += 1.0;
    }
  };
  auto view = state_.View("");
  for (const std::string& name : chosen) {
    if (view.FindCategory(name)) add(name);  // names no item has are ignored
  }
  for (uint32_t item : user.recent_positive) {
    for (uint32_t c : view.Categories(item)) add(view.CategoryName(c));
  }
  std::stable_sort(taste.begin(), taste.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (taste.size() > options_.max_categories) taste.resize(options_.max_categories);
  return taste;
}

void Explorer::AppendPopular(const ModelBundle* bundle, std::string_view user_id,
                             const UserSnapshot& user, std::string_view category, size_t limit,
                             Taken& taken, std::vector<ScoredId>& out,
                             RecommendResult& result) const {
  auto take = [&](const RecommendResult& list, size_t until) {
    size_t added = 0;
    for (const ScoredId& item : list.items) {
      if (out.size() >= until) break;
      if (taken.emplace(item.id, true).second) {
        out.push_back(item);
        ++added;
      }
    }
    return added;
  };
  // Enough candidates that the taken ones (seen, or already in the list) cannot starve a list.
  auto ask = [&](size_t more) {
    return static_cast<int>(std::min<size_t>(more + taken.size(), 100000));
  };
  auto popular = [&](std::string_view name, size_t more) {
    RecommendResult list = recommender_.Popular(bundle, name, ask(more), 0);
    for (const std::string& reason : list.degraded) Degraded(result, reason.c_str());
    return list;
  };
  if (out.size() >= limit) return;
  if (category.empty()) {
    const std::vector<std::pair<std::string, double>> taste = Taste(user_id, user);
    const size_t need = limit - out.size();
    const std::vector<size_t> quota = Apportion(taste, need);
    std::vector<RecommendResult> lists;
    lists.reserve(taste.size());
    for (size_t i = 0; i < taste.size(); ++i) {
      lists.push_back(popular(taste[i].first, need));
      take(lists.back(), out.size() + quota[i]);
    }
    // What a category could not fill goes to the next ones.
    for (const RecommendResult& list : lists) take(list, limit);
  }
  if (out.size() < limit) take(popular(category, limit - out.size()), limit);
  if (out.size() < limit) {
    const RecommendResult latest = recommender_.Latest(category, ask(limit - out.size()), 0);
    if (take(latest, limit) > 0) Degraded(result, "fallback_latest");
  }
}

RecommendResult Explorer::Recommend(const ModelBundle* bundle, std::string_view user_id,
                                    std::string_view category, int n, int offset) const {
  // Inner answers are parts of this one: their reasons are counted once, by Degraded() here.
  const Recommender::QuietScope quiet;
  RecommendResult result;
  const size_t want =
      static_cast<size_t>(std::max(offset, 0)) + static_cast<size_t>(std::max(n, 0));
  SplitMixSource rng(seed_ ^ StableHash64(user_id) ^
                     (sequence_.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ull));
  const UserSnapshot user = state_.GetUser(user_id);
  Taken taken;
  {
    auto view = state_.View("");
    for (uint32_t item : user.seen) {
      if (item < view.ItemCount()) taken.emplace(view.ItemId(item), true);
    }
  }
  std::vector<ScoredId> base;
  // The collaborative part: what the tuned list and item-CF say about the history so far (not
  // their own fallbacks, which the mix replaces).
  const size_t collaborative =
      CollaborativeSlots(want, state_.UserPositiveCount(user_id), options_.min_history);
  if (collaborative > 0) {
    const RecommendResult cf =
        recommender_.Recommend(bundle, user_id, category, static_cast<int>(want), 0);
    for (size_t i = 0; i < cf.items.size() && base.size() < collaborative; ++i) {
      const std::string_view source = cf.SourceOf(i);
      if (source != "precomputed" && source != "itemcf") continue;
      if (taken.emplace(cf.items[i].id, true).second) base.push_back(cf.items[i]);
    }
  }
  const size_t mix = want - base.size();
  const std::vector<ScoredId> fresh =
      PickFresh(category, FreshSlots(mix, options_.share, rng.Next()), taken, rng);
  AppendPopular(bundle, user_id, user, category, want - fresh.size(), taken, base, result);

  const size_t total = base.size() + fresh.size();
  const std::vector<size_t> positions = FreshPositions(total, fresh.size());
  std::vector<ScoredId> merged;
  merged.reserve(total);
  for (size_t pos = 0, b = 0, f = 0; pos < total; ++pos) {
    if (f < positions.size() && positions[f] == pos) {
      merged.push_back(fresh[f++]);
    } else {
      merged.push_back(base[b++]);
    }
  }
  result.offset = static_cast<uint32_t>(std::max(offset, 0));
  for (size_t i = result.offset; i < merged.size() && i < want; ++i) {
    result.items.push_back(std::move(merged[i]));
  }
  return result;
}

}  // namespace reco
