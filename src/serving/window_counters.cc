#include "serving/window_counters.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "serving/online_state.h"  // StringHash

namespace reco {
namespace {

constexpr size_t kShards = 64;

// floor(ts / bucket_us) for negative times too.
int64_t BucketOf(TimestampUs ts, int64_t bucket_us) {
  int64_t q = ts / bucket_us;
  if (ts % bucket_us != 0 && ts < 0) --q;
  return q;
}

struct Bucket {
  int64_t index = 0;
  double count = 0;
};

struct KeyState {
  // Per window: the buckets with events, oldest first, and the sum of their counts.
  std::vector<std::vector<Bucket>> buckets;
  std::vector<double> sums;
  double decayed = 0;
  TimestampUs decayed_at = 0;
  TimestampUs last = 0;  // newest event
};

using KeyMap = std::unordered_map<std::string, KeyState, StringHash, std::equal_to<>>;

struct alignas(64) Shard {
  mutable std::mutex mu;
  std::vector<KeyMap> series;
  TimestampUs next_sweep = kMinTimestamp;
};

std::atomic<uint32_t> next_thread_stripe{0};

size_t ThreadStripe() {
  thread_local const size_t stripe = next_thread_stripe.fetch_add(1) % kShards;
  return stripe;
}

class MemoryWindowCounters final : public WindowCounters {
 public:
  explicit MemoryWindowCounters(WindowCountersOptions options)
      : options_(std::move(options)), shards_(std::make_unique<Shard[]>(kShards)) {
    for (const WindowSpec& w : options_.windows) {
      bucket_us_.push_back(w.bucket_s * kMicrosPerSecond);
      buckets_.push_back(w.buckets());
      longest_us_ = std::max(longest_us_, w.length_s * kMicrosPerSecond);
      sweep_every_us_ = sweep_every_us_ == 0 ? w.bucket_s * kMicrosPerSecond
                                             : std::min(sweep_every_us_, w.bucket_s * kMicrosPerSecond);
    }
    max_keys_per_shard_ = std::max<size_t>(1, (options_.max_keys + kShards - 1) / kShards);
    for (size_t s = 0; s < kShards; ++s) shards_[s].series.resize(options_.series.size());
  }

  void Add(size_t series, std::span<const std::string_view> keys, double weight,
           TimestampUs ts) override {
    if (keys.empty()) return;
    if (options_.series[series].few_keys) {
      Shard& shard = shards_[ThreadStripe()];
      std::lock_guard lock(shard.mu);
      MaybeSweep(shard, ts);
      for (std::string_view key : keys) AddLocked(shard, series, key, weight, ts);
      return;
    }
    // One lock per shard touched: the keys are grouped by shard first.
    thread_local std::vector<std::pair<uint32_t, uint32_t>> order;  // (shard, key index)
    order.clear();
    for (size_t i = 0; i < keys.size(); ++i) {
      order.emplace_back(static_cast<uint32_t>(ShardOf(keys[i])), static_cast<uint32_t>(i));
    }
    std::sort(order.begin(), order.end());
    size_t i = 0;
    while (i < order.size()) {
      Shard& shard = shards_[order[i].first];
      std::lock_guard lock(shard.mu);
      MaybeSweep(shard, ts);
      const uint32_t s = order[i].first;
      for (; i < order.size() && order[i].first == s; ++i) {
        AddLocked(shard, series, keys[order[i].second], weight, ts);
      }
    }
  }

  void Values(size_t series, int window, TimestampUs now,
              std::vector<KeyValue>& out) const override {
    out.clear();
    const bool merge = options_.series[series].few_keys;
    std::unordered_map<std::string, double, StringHash, std::equal_to<>> merged;
    for (size_t s = 0; s < kShards; ++s) {
      const Shard& shard = shards_[s];
      std::lock_guard lock(shard.mu);
      for (const auto& [key, state] : shard.series[series]) {
        const double v = ValueOf(state, window, now);
        if (v == 0) continue;
        if (merge) {
          auto it = merged.find(key);
          if (it == merged.end()) {
            merged.emplace(key, v);
          } else {
            it->second += v;
          }
        } else {
          out.push_back({key, v});
        }
      }
    }
    for (auto& [key, v] : merged) out.push_back({key, v});
  }

  double Value(size_t series, std::string_view key, int window, TimestampUs now) const override {
    double total = 0;
    auto read = [&](const Shard& shard) {
      std::lock_guard lock(shard.mu);
      const KeyMap& map = shard.series[series];
      if (auto it = map.find(key); it != map.end()) total += ValueOf(it->second, window, now);
    };
    if (options_.series[series].few_keys) {
      for (size_t s = 0; s < kShards; ++s) read(shards_[s]);
    } else {
      read(shards_[ShardOf(key)]);
    }
    return total;
  }

  WindowCounterStats stats() const override {
    WindowCounterStats stats;
    for (size_t s = 0; s < kShards; ++s) {
      std::lock_guard lock(shards_[s].mu);
      for (const KeyMap& map : shards_[s].series) {
        stats.keys += map.size();
        for (const auto& [key, state] : map) {
          for (const auto& b : state.buckets) stats.buckets += b.size();
        }
      }
    }
    stats.dropped = dropped_.load(std::memory_order_relaxed);
    return stats;
  }

 private:
  static size_t ShardOf(std::string_view key) { return StringHash{}(key) % kShards; }

  // True when `state` had no event in the longest window at `now`: it reads as nothing.
  bool Expired(const KeyState& state, TimestampUs now) const {
    return state.last <= now - longest_us_;
  }

  double ValueOf(const KeyState& state, int window, TimestampUs now) const {
    if (Expired(state, now)) return 0;
    if (window == kDecayWindow) {
      return state.decayed * DecayFactor(now - state.decayed_at, options_.half_life_s);
    }
    const size_t w = static_cast<size_t>(window);
    const int64_t first = BucketOf(now, bucket_us_[w]) - buckets_[w] + 1;
    const int64_t last = BucketOf(now, bucket_us_[w]);
    double sum = state.sums[w];
    for (const Bucket& b : state.buckets[w]) {  // oldest first: those before the window
      if (b.index >= first) break;
      sum -= b.count;
    }
    // Buckets after `now` (a read at an earlier time than some write) are not counted either.
    for (auto it = state.buckets[w].rbegin(); it != state.buckets[w].rend() && it->index > last;
         ++it) {
      sum -= it->count;
    }
    return sum;
  }

  void AddLocked(Shard& shard, size_t series, std::string_view key, double weight,
                 TimestampUs ts) {
    KeyMap& map = shard.series[series];
    auto it = map.find(key);
    if (it == map.end()) {
      if (map.size() >= max_keys_per_shard_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      it = map.emplace(std::string(key), KeyState{}).first;
      it->second.buckets.resize(bucket_us_.size());
      it->second.sums.assign(bucket_us_.size(), 0.0);
      it->second.decayed_at = ts;
      it->second.last = ts;
    }
    KeyState& state = it->second;
    for (size_t w = 0; w < bucket_us_.size(); ++w) AddToWindow(state, w, weight, ts);
    if (ts >= state.decayed_at) {
      state.decayed =
          state.decayed * DecayFactor(ts - state.decayed_at, options_.half_life_s) + weight;
      state.decayed_at = ts;
    } else {  // an event older than the score's time (threads racing for the lock)
      state.decayed += weight * DecayFactor(state.decayed_at - ts, options_.half_life_s);
    }
    state.last = std::max(state.last, ts);
  }

  void AddToWindow(KeyState& state, size_t w, double weight, TimestampUs ts) {
    std::vector<Bucket>& buckets = state.buckets[w];
    const int64_t index = BucketOf(ts, bucket_us_[w]);
    // Drop the buckets that slid out of the window at the key's newest time.
    const int64_t newest = std::max(index, buckets.empty() ? index : buckets.back().index);
    size_t gone = 0;
    while (gone < buckets.size() && buckets[gone].index <= newest - buckets_[w]) {
      state.sums[w] -= buckets[gone].count;
      ++gone;
    }
    if (gone > 0) buckets.erase(buckets.begin(), buckets.begin() + static_cast<ptrdiff_t>(gone));
    if (buckets.empty()) state.sums[w] = 0;  // exact zero again
    if (index <= newest - buckets_[w]) return;  // already outside the window
    auto pos = std::lower_bound(buckets.begin(), buckets.end(), index,
                                [](const Bucket& b, int64_t i) { return b.index < i; });
    if (pos != buckets.end() && pos->index == index) {
      pos->count += weight;
    } else {
      buckets.insert(pos, Bucket{index, weight});
    }
    state.sums[w] += weight;
  }

  void MaybeSweep(Shard& shard, TimestampUs now) {
    if (now < shard.next_sweep) return;
    shard.next_sweep = now + sweep_every_us_;
    for (KeyMap& map : shard.series) {
      std::erase_if(map, [&](const auto& entry) { return Expired(entry.second, now); });
    }
  }

  WindowCountersOptions options_;
  std::vector<int64_t> bucket_us_;  // per window
  std::vector<int64_t> buckets_;    // per window
  int64_t longest_us_ = 0;
  int64_t sweep_every_us_ = 0;
  size_t max_keys_per_shard_ = 1;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace

double DecayFactor(int64_t elapsed_us, int64_t half_life_s) {
  return std::exp2(-static_cast<double>(elapsed_us) /
                   (static_cast<double>(half_life_s) * kMicrosPerSecond));
}

std::unique_ptr<WindowCounters> NewMemoryWindowCounters(WindowCountersOptions options) {
  return std::make_unique<MemoryWindowCounters>(std::move(options));
}

}  // namespace reco
