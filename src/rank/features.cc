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
  kContentSimRecentMax,
  kContentSimRecentMean,
  kTextMatch,
  kNumCommon,
};
constexpr size_t kNumCommonV1 = kContentSimRecentMax;  // payload version 1: no content columns

constexpr const char* kCommonNames[kNumCommon] = {
    "num_sources",    "item_popularity",        "item_age_days",           "item_last_seen_days",
    "user_activity",  "category_match",         "sim_recent_max",          "sim_recent_mean",
    "content_sim_recent_max", "content_sim_recent_mean", "text_match"};

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

// The user's recent items as content: their vectors and the idf-weighted set of their words.
struct RecentContent {
  std::vector<std::span<const float>> vectors;
  std::unordered_map<uint32_t, float> words;  // word id -> idf
};

RecentContent RecentOf(const ItemContent& content, std::span<const uint32_t> recent) {
  RecentContent r;
  for (uint32_t h : recent) {
    if (h >= content.num_items()) continue;
    std::span<const float> v = content.Vector(h);
    if (!v.empty()) r.vectors.push_back(v);
    for (uint32_t w : content.Words(h)) r.words.emplace(w, content.word_idf[w]);
  }
  return r;
}

// content_sim_recent_max / _mean: cosine of the candidate's vector with each recent item's;
// text_match: the idf share of the candidate's words found in the recent items' texts. NaN
// when either side has nothing to compare.
void ContentFeatures(const ItemContent& content, const RecentContent& recent, uint32_t item,
                     float* out) {
  if (item >= content.num_items()) return;
  std::span<const float> v = content.Vector(item);
  if (!v.empty() && !recent.vectors.empty()) {
    float max = -1.0f;
    float sum = 0.0f;
    for (std::span<const float> h : recent.vectors) {
      float dot = 0.0f;
      for (size_t d = 0; d < v.size(); ++d) dot += v[d] * h[d];
      max = std::max(max, dot);
      sum += dot;
    }
    out[kContentSimRecentMax] = max;
    out[kContentSimRecentMean] = sum / static_cast<float>(recent.vectors.size());
  }
  std::span<const uint32_t> words = content.Words(item);
  if (!words.empty() && !recent.words.empty()) {
    float total = 0.0f;
    float matched = 0.0f;
    for (uint32_t w : words) {
      total += content.word_idf[w];
      if (recent.words.count(w) > 0) matched += content.word_idf[w];
    }
    if (total > 0) out[kTextMatch] = matched / total;
  }
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

std::span<const float> ItemContent::Vector(uint32_t item) const {
  if (item >= has_vector.size() || has_vector[item] == 0) return {};
  return std::span<const float>(vectors).subspan(item * dimension, dimension);
}

std::span<const uint32_t> ItemContent::Words(uint32_t item) const {
  if (item + 1 >= word_offsets.size()) return {};
  return std::span<const uint32_t>(words).subspan(word_offsets[item],
                                                  word_offsets[item + 1] - word_offsets[item]);
}

void ItemContent::Write(BinaryWriter& w) const {
  w.U64(dimension);
  std::vector<uint32_t> present;
  std::vector<float> rows;
  for (uint32_t i = 0; i < has_vector.size(); ++i) {
    if (has_vector[i] == 0) continue;
    present.push_back(i);
    std::span<const float> v = Vector(i);
    rows.insert(rows.end(), v.begin(), v.end());
  }
  w.U64(has_vector.size());
  w.U32Array(present);
  w.F32Array(rows);
  w.U64Array(word_offsets);
  w.U32Array(words);
  w.F32Array(word_idf);
}

Result<ItemContent> ItemContent::Read(BinaryReader& r) {
  ItemContent c;
  uint64_t dimension = 0;
  uint64_t items = 0;
  std::vector<uint32_t> present;
  std::vector<float> rows;
  RECO_RETURN_IF_ERROR(r.U64(dimension));
  RECO_RETURN_IF_ERROR(r.U64(items));
  RECO_RETURN_IF_ERROR(r.U32Array(present));
  RECO_RETURN_IF_ERROR(r.F32Array(rows));
  RECO_RETURN_IF_ERROR(r.U64Array(c.word_offsets));
  RECO_RETURN_IF_ERROR(r.U32Array(c.words));
  RECO_RETURN_IF_ERROR(r.F32Array(c.word_idf));
  if (dimension > 4096 || items > (1ull << 32) || rows.size() != present.size() * dimension) {
    return r.Corrupt("item content vectors disagree");
  }
  if (c.word_offsets.size() != items + 1 || c.word_offsets.front() != 0 ||
      c.word_offsets.back() != c.words.size() ||
      !std::is_sorted(c.word_offsets.begin(), c.word_offsets.end()) ||
      std::any_of(c.words.begin(), c.words.end(),
                  [&](uint32_t w) { return w >= c.word_idf.size(); })) {
    return r.Corrupt("item content words disagree");
  }
  c.dimension = dimension;
  c.has_vector.assign(items, 0);
  c.vectors.assign(items * dimension, 0.0f);
  for (size_t k = 0; k < present.size(); ++k) {
    if (present[k] >= items) return r.Corrupt("item content index out of range");
    c.has_vector[present[k]] = 1;
    std::copy(rows.begin() + k * dimension, rows.begin() + (k + 1) * dimension,
              c.vectors.begin() + present[k] * dimension);
  }
  return c;
}

FeatureSchema::FeatureSchema(std::vector<std::string> source_kinds, bool content_features)
    : num_sources_(source_kinds.size()), content_features_(content_features) {
  for (const std::string& kind : source_kinds) {
    names_.push_back(kind + "_score");
    names_.push_back(kind + "_rank");
  }
  const size_t common = content_features ? kNumCommon : kNumCommonV1;
  for (size_t c = 0; c < common; ++c) names_.emplace_back(kCommonNames[c]);
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
  const bool has_content = inputs.content != nullptr && schema.content_features();
  RecentContent recent;
  if (has_content) recent = RecentOf(*inputs.content, user.recent);
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
    if (has_content) ContentFeatures(*inputs.content, recent, item, common);
  }
  return out;
}

}  // namespace reco::rank
