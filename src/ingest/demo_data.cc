#include "ingest/demo_data.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/json_writer.h"

namespace reco::ingest {
namespace {

constexpr double kInCluster = 0.85;    // share of interactions within the user's clusters
constexpr double kZipfExponent = 1.0;  // item popularity ~ 1 / rank^s
constexpr double kHiddenShare = 0.03;
constexpr double kMeanExtraItems = 25.0;  // items per user = 5 + Exp(mean)
constexpr int64_t kDay = 86400 * kMicrosPerSecond;

const std::vector<std::string> kTags = {"trending", "classic", "video", "long-read", "short",
                                        "review",   "guide",   "news",  "opinion",   "interview"};
const std::vector<std::string> kAgeGroups = {"18-24", "25-34", "35-44", "45-54", "55+"};
const std::vector<std::string> kCountries = {"us", "de", "fr", "in", "br", "jp", "cn", "gb"};

// SplitMix64: small, fast and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t state_;
};

// Items of one category (or all items) with cumulative popularity for sampling.
struct Pool {
  std::vector<int64_t> items;
  std::vector<double> cumulative;

  void Add(int64_t item, double weight) {
    items.push_back(item);
    cumulative.push_back((cumulative.empty() ? 0.0 : cumulative.back()) + weight);
  }
  int64_t Sample(Rng& rng) const {
    double x = rng.Uniform() * cumulative.back();
    size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin();
    return items[std::min(i, items.size() - 1)];
  }
};

struct ItemInfo {
  std::vector<int> categories;
  TimestampUs timestamp = 0;
};

Status Validate(const DemoDataOptions& o) {
  if (o.users < 1 || o.users > 100'000'000) {
    return InvalidArgument("--users must be between 1 and 100000000", "--users");
  }
  if (o.items < 1 || o.items > 100'000'000) {
    return InvalidArgument("--items must be between 1 and 100000000", "--items");
  }
  if (o.days < 1 || o.days > 3650) {
    return InvalidArgument("--days must be between 1 and 3650", "--days");
  }
  if (o.end && (*o.end < 0 || *o.end > kMaxTimestamp)) {
    return InvalidArgument(
        "--end must be between 1970-01-01 and 9999-12-31, got " + FormatTimestamp(*o.end), "--end");
  }
  return Status::Ok();
}

// "i42", "u7": ids with a one-letter prefix.
std::string Id(char prefix, int64_t n) {
  std::string out(1, prefix);
  out += std::to_string(n);
  return out;
}

class Generator {
 public:
  Generator(const DemoDataOptions& options, TimestampUs end, DemoDataSink& sink)
      : options_(options), sink_(sink), rng_(options.seed * 0x2545F4914F6CDD1DULL + 1) {
    end_ = end - end % kMicrosPerSecond;  // whole seconds, like every generated time
    start_ = end_ - options.days * kDay;
  }

  Result<DemoDataStats> Run() {
    RECO_RETURN_IF_ERROR(MakeItems());
    for (int64_t u = 0; u < options_.users; ++u) RECO_RETURN_IF_ERROR(MakeUser(u));
    return DemoDataStats{options_.users, options_.items, feedback_count_, end_};
  }

 private:
  Status MakeItems();
  Status MakeUser(int64_t index);
  Status EmitFeedback(const std::string& user_id, int64_t item);

  const DemoDataOptions& options_;
  DemoDataSink& sink_;
  Rng rng_;
  TimestampUs start_ = 0, end_ = 0;
  std::vector<ItemInfo> items_;
  std::vector<Pool> by_category_;
  Pool all_;
  int64_t feedback_count_ = 0;
  std::vector<int64_t> seen_;
  Feedback row_;
};

Status Generator::MakeItems() {
  const auto& names = DemoCategories();
  const int num_categories = static_cast<int>(names.size());
  by_category_.assign(num_categories, Pool{});
  // Popularity rank: a seeded shuffle so that popular items are spread over ids.
  std::vector<int64_t> rank(options_.items);
  std::iota(rank.begin(), rank.end(), 0);
  for (int64_t i = options_.items - 1; i > 0; --i) {
    std::swap(rank[i], rank[rng_.Below(static_cast<uint64_t>(i + 1))]);
  }
  items_.resize(options_.items);
  Item item;
  for (int64_t i = 0; i < options_.items; ++i) {
    ItemInfo& info = items_[i];
    int primary = static_cast<int>(rng_.Below(num_categories));
    info.categories = {primary};
    if (rng_.Uniform() < 0.4) {
      int second = static_cast<int>(rng_.Below(num_categories - 1));
      info.categories.push_back(second >= primary ? second + 1 : second);
    }
    // Items appear up to 30 days before the feedback window and during it.
    info.timestamp =
        start_ - 30 * kDay +
        static_cast<int64_t>(rng_.Uniform() * static_cast<double>(end_ - start_ + 30 * kDay));
    info.timestamp -= info.timestamp % kMicrosPerSecond;
    double weight = 1.0 / std::pow(static_cast<double>(rank[i] + 1), kZipfExponent);
    for (int c : info.categories) by_category_[c].Add(i, weight);
    all_.Add(i, weight);

    item.item_id = Id('i', i);
    item.is_hidden = rng_.Uniform() < kHiddenShare;
    item.categories.clear();
    for (int c : info.categories) item.categories.push_back(names[c]);
    JsonWriter labels;
    labels.BeginArray().String(rng_.Pick(kTags));
    if (rng_.Uniform() < 0.5) labels.String(rng_.Pick(kTags));
    labels.EndArray();
    item.labels_json = labels.Take();
    item.timestamp = info.timestamp;
    item.comment = names[primary];
    item.comment += " story #";
    item.comment += std::to_string(i);
    RECO_RETURN_IF_ERROR(sink_.OnItem(item));
  }
  return Status::Ok();
}

Status Generator::EmitFeedback(const std::string& user_id, int64_t item) {
  const ItemInfo& info = items_[item];
  TimestampUs from = std::max(start_, info.timestamp);
  TimestampUs ts = from + static_cast<int64_t>(rng_.Uniform() * static_cast<double>(end_ - from));
  ts -= ts % kMicrosPerSecond;
  row_.user_id = user_id;
  row_.item_id = Id('i', item);
  row_.value = 1.0;
  auto emit = [&](const char* type, TimestampUs at) {
    row_.feedback_type = type;
    row_.timestamp = std::min(at, end_);
    ++feedback_count_;
    return sink_.OnFeedback(row_);
  };
  RECO_RETURN_IF_ERROR(emit("read", ts));
  double r = rng_.Uniform();
  TimestampUs later = ts + static_cast<int64_t>(1 + rng_.Below(600)) * kMicrosPerSecond;
  if (r < 0.04) return emit("dislike", later);
  if (r < 0.30) RECO_RETURN_IF_ERROR(emit("like", later));
  double s = rng_.Uniform();
  if (s < 0.08) RECO_RETURN_IF_ERROR(emit("star", later + kMicrosPerSecond));
  if (s > 0.95) RECO_RETURN_IF_ERROR(emit("purchase", later + 2 * kMicrosPerSecond));
  return Status::Ok();
}

Status Generator::MakeUser(int64_t index) {
  const auto& names = DemoCategories();
  const int num_categories = static_cast<int>(names.size());
  int num_clusters = 1 + static_cast<int>(rng_.Below(3));
  std::vector<int> clusters;
  std::vector<double> cluster_weight;
  while (static_cast<int>(clusters.size()) < num_clusters) {
    int c = static_cast<int>(rng_.Below(num_categories));
    if (std::find(clusters.begin(), clusters.end(), c) != clusters.end()) continue;
    clusters.push_back(c);
    cluster_weight.push_back(0.2 + rng_.Uniform());
  }
  double total_weight = std::accumulate(cluster_weight.begin(), cluster_weight.end(), 0.0);

  User user;
  user.user_id = Id('u', index);
  JsonWriter labels;
  labels.BeginObject().Key("age_group").String(rng_.Pick(kAgeGroups));
  labels.Key("country").String(rng_.Pick(kCountries)).EndObject();
  user.labels_json = labels.Take();
  std::vector<std::string> cluster_names;
  for (int c : clusters) cluster_names.push_back(names[c]);
  RECO_RETURN_IF_ERROR(sink_.OnUser(user, cluster_names));

  int64_t wanted = 5 + static_cast<int64_t>(-std::log(1.0 - rng_.Uniform()) * kMeanExtraItems);
  wanted = std::min<int64_t>({wanted, 300, options_.items});
  seen_.clear();
  for (int64_t n = 0, attempts = 0; n < wanted && attempts < wanted * 4; ++attempts) {
    int64_t item;
    if (rng_.Uniform() < kInCluster) {
      double x = rng_.Uniform() * total_weight;
      size_t k = 0;
      while (k + 1 < clusters.size() && x >= cluster_weight[k]) x -= cluster_weight[k++];
      const Pool& pool = by_category_[clusters[k]];
      if (pool.items.empty()) continue;
      item = pool.Sample(rng_);
    } else {
      item = all_.Sample(rng_);
    }
    if (std::find(seen_.begin(), seen_.end(), item) != seen_.end()) continue;
    seen_.push_back(item);
    RECO_RETURN_IF_ERROR(EmitFeedback(user.user_id, item));
    ++n;
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& DemoCategories() {
  static const std::vector<std::string> kCategories = {
      "sports", "tech", "politics", "entertainment", "science",
      "travel", "food", "health",   "business",      "gaming"};
  return kCategories;
}

Result<DemoDataStats> GenerateDemoData(const DemoDataOptions& options, const Clock& clock,
                                       DemoDataSink& sink) {
  RECO_RETURN_IF_ERROR(Validate(options));
  return Generator(options, options.end.value_or(clock.NowMicros()), sink).Run();
}

}  // namespace reco::ingest
