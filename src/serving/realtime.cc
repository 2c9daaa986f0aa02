#include "serving/realtime.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>

#include "serving/hash_slots.h"
#include "serving/rollout.h"  // HashId

namespace reco {
namespace {

// The counter series every Realtime has, in this order; hot series follow.
enum Series : size_t {
  kExposuresItem = 0,
  kClicksItem,
  kExposuresVersion,
  kClicksVersion,
  kExposuresScenario,
  kClicksScenario,
  kFixedSeries,
};

size_t ExposureSeries(RealtimeDimension by) {
  switch (by) {
    case RealtimeDimension::kItem: return kExposuresItem;
    case RealtimeDimension::kModelVersion: return kExposuresVersion;
    case RealtimeDimension::kScenario: return kExposuresScenario;
  }
  return kExposuresItem;
}

void SortByValue(std::vector<KeyValue>& values) {
  std::sort(values.begin(), values.end(), [](const KeyValue& a, const KeyValue& b) {
    if (a.value != b.value) return a.value > b.value;
    return a.key < b.key;
  });
}

std::string JoinSorted(std::vector<std::string> types) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  std::string joined;
  for (const std::string& t : types) {
    if (!joined.empty()) joined.push_back(',');
    joined += t;
  }
  return joined;
}

}  // namespace

Result<RealtimeDimension> ParseRealtimeDimension(std::string_view text) {
  if (text == "item") return RealtimeDimension::kItem;
  if (text == "model_version") return RealtimeDimension::kModelVersion;
  if (text == "scenario") return RealtimeDimension::kScenario;
  return InvalidArgument("by must be item, model_version or scenario, got \"" +
                             std::string(text.substr(0, 32)) + "\"",
                         "by");
}

std::string_view RealtimeDimensionName(RealtimeDimension by) {
  switch (by) {
    case RealtimeDimension::kItem: return "item";
    case RealtimeDimension::kModelVersion: return "model_version";
    case RealtimeDimension::kScenario: return "scenario";
  }
  return "item";
}

// Each user's newest exposures (bounded), for crediting clicks to the exposure that showed the
// item. Items are kept as 64-bit hashes; a credited item's hash is zeroed so that an exposure
// counts at most one click per item. Sharded by user. Nothing is allocated per list in steady
// state: a user's exposures are a ring whose slots (and their items' capacity) are reused, users
// live in dense records found through a HashSlots index, and when a shard is full the record
// of the user first seen longest ago is handed to the new one (records are taken in turn, so
// the next to reuse is always the oldest).
class Realtime::Joiner {
 public:
  struct Credit {
    std::string model_version;
    std::string scenario;
  };

  Joiner(size_t max_users, size_t per_user, int64_t max_age_us)
      : per_user_(std::max<size_t>(1, per_user)),
        max_users_per_shard_(std::max<size_t>(1, (max_users + kShards - 1) / kShards)),
        max_age_us_(max_age_us),
        instance_(next_instance_.fetch_add(1, std::memory_order_relaxed)) {}

  void Add(std::string_view user_id, std::string_view model_version, std::string_view scenario,
           std::span<const std::string_view> items, TimestampUs now) {
    const uint32_t source = SourceIndex(model_version, scenario);
    thread_local std::vector<uint64_t> hashes;
    hashes.clear();
    for (std::string_view item : items) hashes.push_back(HashId(item));
    const uint64_t user_hash = HashId(user_id);
    Shard& shard = shards_[ShardOf(user_hash)];
    std::lock_guard lock(shard.mu);
    User& user = shard.users[UserRecord(shard, user_id, user_hash)];
    if (user.next == user.ring.size()) user.ring.emplace_back();
    Entry& entry = user.ring[user.next];
    entry.ts = now;
    entry.source = source;
    entry.items.assign(hashes.begin(), hashes.end());
    user.next = (user.next + 1) % per_user_;
    user.count = std::min(user.count + 1, per_user_);
  }

  // The exposure credited with a click of `user_id` on `item_id` at `now`: the newest one within
  // the longest window that holds the item not yet clicked.
  std::optional<Credit> Click(std::string_view user_id, std::string_view item_id,
                              TimestampUs now) {
    const uint64_t item = HashId(item_id);
    const uint64_t user_hash = HashId(user_id);
    uint32_t source = 0;
    {
      Shard& shard = shards_[ShardOf(user_hash)];
      std::lock_guard lock(shard.mu);
      const uint32_t p = Find(shard, user_id, user_hash);
      if (p == HashSlots::kNone) return std::nullopt;
      User& user = shard.users[p];
      bool found = false;
      for (size_t k = 1; k <= user.count && !found; ++k) {  // newest first
        Entry& e = user.ring[(user.next + per_user_ - k) % per_user_];
        if (e.ts <= now - max_age_us_) break;
        for (uint64_t& h : e.items) {
          if (h != item) continue;
          h = 0;
          source = e.source;
          found = true;
          break;
        }
      }
      if (!found) return std::nullopt;
    }
    std::shared_lock lock(sources_mu_);
    return sources_[source];
  }

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    TimestampUs ts = 0;
    uint32_t source = 0;
    std::vector<uint64_t> items;
  };
  struct User {
    std::string id;
    uint64_t hash = 0;
    std::vector<Entry> ring;  // at most per_user_ slots
    size_t count = 0;         // slots in use
    size_t next = 0;          // slot of the next exposure
  };
  struct Shard {
    std::mutex mu;
    HashSlots index;          // user hash -> position in users
    std::vector<User> users;  // in first-seen order until full, then reused in turn
    size_t reuse_next = 0;    // the record of the user first seen longest ago, once full
  };

  static size_t ShardOf(uint64_t user_hash) { return static_cast<size_t>(user_hash >> 60); }

  static uint32_t Find(const Shard& shard, std::string_view user_id, uint64_t hash) {
    return shard.index.Find(hash, [&](uint32_t p) { return shard.users[p].id == user_id; });
  }

  // The position of `user_id`'s record, created (or taken over from the user first seen longest
  // ago) when it has none. Under the shard's lock.
  uint32_t UserRecord(Shard& shard, std::string_view user_id, uint64_t hash) {
    uint32_t p = Find(shard, user_id, hash);
    if (p != HashSlots::kNone) return p;
    if (shard.users.size() < max_users_per_shard_) {
      p = static_cast<uint32_t>(shard.users.size());
      shard.users.emplace_back();
    } else {
      p = static_cast<uint32_t>(shard.reuse_next);
      shard.reuse_next = (shard.reuse_next + 1) % shard.users.size();
      shard.index.Erase(shard.users[p].hash, p);
    }
    User& user = shard.users[p];
    user.id.assign(user_id);
    user.hash = hash;
    user.count = 0;
    user.next = 0;
    shard.index.Insert(hash, p);
    return p;
  }

  uint32_t SourceIndex(std::string_view model_version, std::string_view scenario) {
    // Most lists of a thread come from the same (version, scenario): remember the last one.
    struct Last {
      uint64_t instance = 0;
      std::string version;
      std::string scenario;
      uint32_t index = 0;
    };
    thread_local Last last;
    if (last.instance == instance_ && last.version == model_version &&
        last.scenario == scenario) {
      return last.index;
    }
    thread_local std::string key;
    key.assign(model_version);
    key.push_back('\n');
    key.append(scenario);
    uint32_t index = 0;
    bool found = false;
    {
      std::shared_lock lock(sources_mu_);
      if (auto it = source_index_.find(key); it != source_index_.end()) {
        index = it->second;
        found = true;
      }
    }
    if (!found) {
      std::lock_guard lock(sources_mu_);
      auto [it, inserted] = source_index_.emplace(key, static_cast<uint32_t>(sources_.size()));
      if (inserted) sources_.push_back({std::string(model_version), std::string(scenario)});
      index = it->second;
    }
    last.instance = instance_;
    last.version.assign(model_version);
    last.scenario.assign(scenario);
    last.index = index;
    return index;
  }

  static inline std::atomic<uint64_t> next_instance_{1};

  size_t per_user_;
  size_t max_users_per_shard_;
  int64_t max_age_us_;
  const uint64_t instance_;  // tells Joiners apart in the per-thread cache of SourceIndex
  std::array<Shard, kShards> shards_;
  std::shared_mutex sources_mu_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> source_index_;
  std::vector<Credit> sources_;  // (version, scenario) pairs; a few per process
};

Result<std::unique_ptr<Realtime>> Realtime::Create(RealtimeOptions options, const Clock& clock,
                                                   WindowCountersFactory factory) {
  if (options.windows.empty()) {
    return InvalidArgument("realtime.windows must name at least one window", "realtime.windows");
  }
  std::unique_ptr<Realtime> realtime(new Realtime(std::move(options), clock));
  const RealtimeOptions& o = realtime->options_;
  std::vector<CounterSeriesSpec> specs = {{"exposures:item"},          {"clicks:item"},
                                          {"exposures:model_version"}, {"clicks:model_version"},
                                          {"exposures:scenario"},      {"clicks:scenario"}};
  realtime->hot_series_ = realtime->HotSeries(o.hot_types, specs);
  for (const LeaderboardSpec& spec : o.leaderboards) {
    if (realtime->HasLeaderboard(spec.name)) {
      return InvalidArgument("realtime.leaderboards: the name \"" + spec.name + "\" is repeated",
                             "realtime.leaderboards");
    }
    Result<int> window = realtime->FindWindow(spec.window);
    if (!window.ok()) {
      return InvalidArgument("realtime.leaderboards: " + spec.name + ": " +
                                 window.status().message(),
                             "realtime.leaderboards");
    }
    realtime->boards_.push_back(
        {spec.name, *window,
         realtime->HotSeries(spec.feedback_types.empty() ? o.hot_types : spec.feedback_types,
                             specs)});
  }
  for (const std::string& t : o.click_types) realtime->click_types_.emplace(t, true);
  int64_t longest_s = 0;
  for (const WindowSpec& w : o.windows) longest_s = std::max(longest_s, w.length_s);
  WindowCountersOptions counter_options{.windows = o.windows,
                                        .half_life_s = o.half_life_s,
                                        .max_keys = o.max_keys,
                                        .series = std::move(specs)};
  realtime->counters_ = factory ? factory(std::move(counter_options))
                                : NewMemoryWindowCounters(std::move(counter_options));
  realtime->joiner_ = std::make_unique<Joiner>(o.max_users, o.exposures_per_user,
                                               longest_s * kMicrosPerSecond);
  return realtime;
}

Realtime::Realtime(RealtimeOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Realtime::~Realtime() = default;

size_t Realtime::HotSeries(std::vector<std::string> types, std::vector<CounterSeriesSpec>& specs) {
  const std::string joined = JoinSorted(types);
  for (const auto& [key, series] : hot_by_types_) {
    if (key == joined) return series;
  }
  const size_t series = specs.size();
  specs.push_back({"hot:" + joined});
  hot_by_types_.emplace_back(joined, series);
  for (const std::string& t : types) {
    std::vector<size_t>& list = by_type_[t];
    if (std::find(list.begin(), list.end(), series) == list.end()) list.push_back(series);
  }
  return series;
}

void Realtime::OnFeedback(std::span<const Feedback> rows) {
  const TimestampUs now = clock_.NowMicros();
  for (const Feedback& f : rows) {
    const std::string_view item[] = {f.item_id};
    if (auto it = by_type_.find(f.feedback_type); it != by_type_.end()) {
      for (size_t series : it->second) counters_->Add(series, item, 1, now);
    }
    if (!click_types_.contains(f.feedback_type)) continue;
    std::optional<Joiner::Credit> credit = joiner_->Click(f.user_id, f.item_id, now);
    if (!credit) continue;
    const std::string_view version[] = {credit->model_version};
    const std::string_view scenario[] = {credit->scenario};
    counters_->Add(kClicksItem, item, 1, now);
    counters_->Add(kClicksVersion, version, 1, now);
    counters_->Add(kClicksScenario, scenario, 1, now);
  }
}

void Realtime::OnExposure(std::string_view user_id, std::string_view model_version,
                          std::string_view scenario, std::span<const std::string_view> items) {
  if (items.empty()) return;
  const TimestampUs now = clock_.NowMicros();
  const double n = static_cast<double>(items.size());
  const std::string_view version[] = {model_version};
  const std::string_view scenarios[] = {scenario};
  counters_->Add(kExposuresItem, items, 1, now);
  counters_->Add(kExposuresVersion, version, n, now);
  counters_->Add(kExposuresScenario, scenarios, n, now);
  if (!user_id.empty()) joiner_->Add(user_id, model_version, scenario, items, now);
}

Result<int> Realtime::FindWindow(std::string_view name) const {
  if (name == "decay") return kDecayWindow;
  std::string names;
  for (size_t w = 0; w < options_.windows.size(); ++w) {
    if (options_.windows[w].name == name) return static_cast<int>(w);
    names += options_.windows[w].name;
    names += ", ";
  }
  return InvalidArgument("window \"" + std::string(name.substr(0, 32)) +
                             "\" is not configured (realtime.windows: " + names + "or decay)",
                         "window");
}

std::vector<KeyValue> Realtime::Ranked(size_t series, int window) const {
  std::vector<KeyValue> values;
  counters_->Values(series, window, clock_.NowMicros(), values);
  SortByValue(values);
  return values;
}

std::vector<KeyValue> Realtime::Hot(int window) const { return Ranked(hot_series_, window); }

bool Realtime::HasLeaderboard(std::string_view name) const {
  for (const Board& b : boards_) {
    if (b.name == name) return true;
  }
  return false;
}

Result<std::vector<KeyValue>> Realtime::Leaderboard(std::string_view name) const {
  for (const Board& b : boards_) {
    if (b.name == name) return Ranked(b.series, b.window);
  }
  return NotFound("no leaderboard named \"" + std::string(name.substr(0, 64)) +
                  "\" (realtime.leaderboards)");
}

Result<RealtimeReport> Realtime::Report(std::string_view window, RealtimeDimension by,
                                        size_t n) const {
  RECO_ASSIGN_OR_RETURN(int w, FindWindow(window));
  RealtimeReport report;
  report.window = std::string(window);
  report.now = clock_.NowMicros();
  report.by = by;
  if (w == kDecayWindow) {
    report.half_life_s = options_.half_life_s;
  } else {
    const WindowSpec& spec = options_.windows[static_cast<size_t>(w)];
    const int64_t bucket_us = spec.bucket_s * kMicrosPerSecond;
    int64_t current = report.now / bucket_us;
    if (report.now % bucket_us != 0 && report.now < 0) --current;
    report.bucket_s = spec.bucket_s;
    report.from = (current - spec.buckets() + 1) * bucket_us;
  }
  const size_t exposures_series = ExposureSeries(by);
  std::vector<KeyValue> exposures, clicks;
  counters_->Values(exposures_series, w, report.now, exposures);
  counters_->Values(exposures_series + 1, w, report.now, clicks);
  std::unordered_map<std::string, RealtimeRow, StringHash, std::equal_to<>> rows;
  for (KeyValue& e : exposures) {
    RealtimeRow& row = rows[e.key];
    row.impressions = e.value;
  }
  for (KeyValue& c : clicks) {
    RealtimeRow& row = rows[c.key];
    row.clicks = c.value;
  }
  report.keys = rows.size();
  report.rows.reserve(rows.size());
  for (auto& [key, row] : rows) {
    row.key = key;
    report.totals.impressions += row.impressions;
    report.totals.clicks += row.clicks;
    report.rows.push_back(std::move(row));
  }
  std::sort(report.rows.begin(), report.rows.end(), [](const RealtimeRow& a, const RealtimeRow& b) {
    if (a.impressions != b.impressions) return a.impressions > b.impressions;
    if (a.clicks != b.clicks) return a.clicks > b.clicks;
    return a.key < b.key;
  });
  if (report.rows.size() > n) report.rows.resize(n);
  return report;
}

}  // namespace reco
