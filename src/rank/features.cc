#include "rank/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

namespace reco::rank {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kMicrosPerDay = 86400.0 * 1e6;

enum Common : size_t {
  kNumSources = 0,
  kItemPopularity,
  kItemAgeDays,
  kItemLastSeenDays,
  kUserActivity,
  kCategoryMatch,
  kSimRecentMax,
  kSimRecentMean,
  kNumCommon,
};

constexpr const char* kCommonNames[kNumCommon] = {
    "num_sources",   "item_popularity", "item_age_days",  "item_last_seen_days",
    "user_activity", "category_match",  "sim_recent_max", "sim_recent_mean"};

float DaysBefore(TimestampUs cut, TimestampUs t) {
  if (cut == 0 || t == 0) return kNaN;
  return static_cast<float>(static_cast<double>(cut - t) / kMicrosPerDay);
}

// Share of the user's history in each category (empty when nothing is known).
std::vector<float> CategoryProfile(const ItemStats& items, std::span<const uint32_t> history) {
  std::vector<float> profile;
  if (items.num_categories == 0 || history.empty()) return profile;
  profile.assign(items.num_categories, 0.0f);
  for (uint32_t h : history) {
    if (h >= items.num_items()) continue;
    for (uint32_t c : items.Categories(h)) profile[c] += 1.0f;
  }
  for (float& p : profile) p /= static_cast<float>(history.size());
  return profile;
}

// Mean share of the user's history over the item's categories; NaN without categories.
float CategoryMatch(const ItemStats& items, const std::vector<float>& profile, uint32_t item) {
  if (profile.empty() || item >= items.num_items()) return kNaN;
  std::span<const uint32_t> cats = items.Categories(item);
  if (cats.empty()) return kNaN;
  float sum = 0;
  for (uint32_t c : cats) sum += profile[c];
  return sum / static_cast<float>(cats.size());
}

// item -> (max, sum) of its similarity to the recent items that list it as a neighbour.
using SimTable = std::unordered_map<uint32_t, std::pair<float, float>>;

SimTable RecentSimilarities(const ItemCfModel& model, std::span<const uint32_t> recent) {
  SimTable table;
  for (uint32_t h : recent) {
    std::span<const uint32_t> ids = model.NeighborIds(h);
    std::span<const float> sims = model.NeighborSims(h);
    for (size_t n = 0; n < ids.size(); ++n) {
      auto [it, inserted] = table.try_emplace(ids[n], sims[n], sims[n]);
      if (!inserted) {
        it->second.first = std::max(it->second.first, sims[n]);
        it->second.second += sims[n];
      }
    }
  }
  return table;
}

void ItemFeatures(const ItemStats& items, uint32_t item, float* out) {
  if (item >= items.num_items()) return;
  out[kItemPopularity] = std::log1p(items.popularity[item]);
  out[kItemAgeDays] = DaysBefore(items.cut_time, items.first_time[item]);
  out[kItemLastSeenDays] = DaysBefore(items.cut_time, items.last_time[item]);
}

}  // namespace

ItemStats ItemStats::FromDataset(const Dataset& dataset) {
  ItemStats s;
  const size_t n = dataset.num_items();
  s.popularity.resize(n);
  s.first_time.assign(n, 0);
  s.last_time.assign(n, 0);
  s.category_offsets.assign(n + 1, 0);
  s.num_categories = static_cast<uint32_t>(dataset.category_names().size());
  for (uint32_t i = 0; i < n; ++i) {
    std::span<const TimestampUs> times = dataset.ItemUserTimes(i);
    s.popularity[i] = static_cast<float>(times.size());
    TimestampUs first = 0;
    for (TimestampUs t : times) {
      if (t != 0 && (first == 0 || t < first)) first = t;
      s.last_time[i] = std::max(s.last_time[i], t);
      s.cut_time = std::max(s.cut_time, t);
    }
    s.first_time[i] = dataset.item_timestamp(i) != 0 ? dataset.item_timestamp(i) : first;
    std::span<const uint32_t> cats = dataset.ItemCategories(i);
    s.categories.insert(s.categories.end(), cats.begin(), cats.end());
    s.category_offsets[i + 1] = s.categories.size();
  }
  return s;
}

std::span<const uint32_t> ItemStats::Categories(uint32_t item) const {
  return std::span<const uint32_t>(categories)
      .subspan(category_offsets[item], category_offsets[item + 1] - category_offsets[item]);
}

void ItemStats::Write(BinaryWriter& w) const {
  w.I64(cut_time);
  w.F32Array(popularity);
  std::vector<uint64_t> first(first_time.begin(), first_time.end());
  std::vector<uint64_t> last(last_time.begin(), last_time.end());
  w.U64Array(first);
  w.U64Array(last);
  w.U64Array(category_offsets);
  w.U32Array(categories);
  w.U32(num_categories);
}

Result<ItemStats> ItemStats::Read(BinaryReader& r) {
  ItemStats s;
  std::vector<uint64_t> first;
  std::vector<uint64_t> last;
  RECO_RETURN_IF_ERROR(r.I64(s.cut_time));
  RECO_RETURN_IF_ERROR(r.F32Array(s.popularity));
  RECO_RETURN_IF_ERROR(r.U64Array(first));
  RECO_RETURN_IF_ERROR(r.U64Array(last));
  RECO_RETURN_IF_ERROR(r.U64Array(s.category_offsets));
  RECO_RETURN_IF_ERROR(r.U32Array(s.categories));
  RECO_RETURN_IF_ERROR(r.U32(s.num_categories));
  const size_t n = s.popularity.size();
  if (first.size() != n || last.size() != n || s.category_offsets.size() != n + 1 ||
      s.category_offsets.front() != 0 || s.category_offsets.back() != s.categories.size() ||
      !std::is_sorted(s.category_offsets.begin(), s.category_offsets.end())) {
    return r.Corrupt("item statistics arrays disagree");
  }
  for (uint32_t c : s.categories) {
    if (c >= s.num_categories) return r.Corrupt("category index out of range");
  }
  s.first_time.assign(first.begin(), first.end());
  s.last_time.assign(last.begin(), last.end());
  return s;
}

FeatureSchema::FeatureSchema(std::vector<std::string> source_kinds)
    : num_sources_(source_kinds.size()) {
  for (const std::string& kind : source_kinds) {
    names_.push_back(kind + "_score");
    names_.push_back(kind + "_rank");
  }
  for (const char* name : kCommonNames) names_.emplace_back(name);
}

std::vector<float> ComputeFeatures(const FeatureSchema& schema, const CandidateSet& candidates,
                                   const UserContext& user, const FeatureInputs& inputs) {
  const size_t width = schema.size();
  const size_t num_sources = candidates.num_sources;
  std::vector<float> out(candidates.size() * width, kNaN);
  std::vector<float> profile;
  if (inputs.items != nullptr) profile = CategoryProfile(*inputs.items, user.history);
  SimTable sims;
  const bool has_sims = inputs.similarity != nullptr && !user.recent.empty();
  if (has_sims) sims = RecentSimilarities(*inputs.similarity, user.recent);
  const float activity = std::log1p(static_cast<float>(user.history.size()));
  for (size_t r = 0; r < candidates.size(); ++r) {
    float* row = out.data() + r * width;
    float* common = row + schema.first_common();
    int returned = 0;
    for (size_t s = 0; s < num_sources; ++s) {
      row[2 * s] = candidates.scores[r * num_sources + s];
      row[2 * s + 1] = candidates.ranks[r * num_sources + s];
      if (!std::isnan(row[2 * s])) ++returned;
    }
    const uint32_t item = candidates.items[r];
    common[kNumSources] = static_cast<float>(returned);
    common[kUserActivity] = activity;
    if (inputs.items != nullptr) {
      ItemFeatures(*inputs.items, item, common);
      common[kCategoryMatch] = CategoryMatch(*inputs.items, profile, item);
    }
    if (has_sims) {
      auto it = sims.find(item);
      const float max = it == sims.end() ? 0.0f : it->second.first;
      const float sum = it == sims.end() ? 0.0f : it->second.second;
      common[kSimRecentMax] = max;
      common[kSimRecentMean] = sum / static_cast<float>(user.recent.size());
    }
  }
  return out;
}

}  // namespace reco::rank
