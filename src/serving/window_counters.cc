#include "serving/window_counters.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "serving/hash_slots.h"
#include "serving/online_state.h"  // StringHash

namespace reco {
namespace {

constexpr size_t kShards = 64;
constexpr int64_t kNoBucket = std::numeric_limits<int64_t>::min();

// floor(ts / bucket_us) for negative times too.
int64_t BucketOf(TimestampUs ts, int64_t bucket_us) {
  int64_t q = ts / bucket_us;
  if (ts % bucket_us != 0 && ts < 0) --q;
  return q;
}

uint64_t KeyHash(std::string_view key) { return StringHash{}(key); }

struct Bucket {
  int64_t index = 0;
  double count = 0;
};

// One key in one window. The newest bucket with events is held inline: most events of a busy
// key fall in the bucket of its previous event, and then an event touches nothing else.
struct WindowState {
  int64_t newest = kNoBucket;
  double newest_count = 0;
  double sum = 0;              // of `older` and the newest bucket
  std::vector<Bucket> older;   // the buckets before `newest` still in the window, oldest first
};

// The key and its decayed score: one cache line, read by every write to the key.
struct alignas(64) KeyState {
  std::string key;
  uint64_t hash = 0;
  double decayed = 0;
  TimestampUs decayed_at = 0;
  TimestampUs last = 0;  // newest event
};

// One series in one shard: keys in dense arrays found through a HashSlots index, so that a
// write reads one slot, one key record and its windows, and allocates nothing in steady state.
struct Table {
  HashSlots index;
  std::vector<KeyState> states;
  std::vector<WindowState> windows;  // windows-per-key records per key, key after key
};

struct alignas(64) Shard {
  mutable std::mutex mu;
  std::vector<Table> series;
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
    Shard& shard = shards_[ThreadStripe()];
    std::lock_guard lock(shard.mu);
    MaybeSweep(shard, ts);
    Table& table = shard.series[series];
    if (keys.size() == 1) {
      const uint32_t p = FindOrInsert(table, keys[0], KeyHash(keys[0]), ts);
      if (p != HashSlots::kNone) Update(table, p, weight, ts);
      return;
    }
    // A served list's keys in three passes, so that the cache misses of its keys overlap
    // instead of following one another: the slots, then the records, then the updates.
    thread_local std::vector<uint64_t> hashes;
    thread_local std::vector<uint32_t> positions;
    hashes.resize(keys.size());
    positions.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      hashes[i] = KeyHash(keys[i]);
      table.index.Prefetch(hashes[i]);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      positions[i] = FindOrInsert(table, keys[i], hashes[i], ts);
      if (positions[i] == HashSlots::kNone) continue;
      __builtin_prefetch(&table.states[positions[i]]);
      __builtin_prefetch(&table.windows[positions[i] * windows()]);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (positions[i] != HashSlots::kNone) Update(table, positions[i], weight, ts);
    }
  }

  void Values(size_t series, int window, TimestampUs now,
              std::vector<KeyValue>& out) const override {
    out.clear();
    // A key written by several threads has a record in each of their shards.
    std::unordered_map<std::string, double, StringHash, std::equal_to<>> merged;
    for (size_t s = 0; s < kShards; ++s) {
      const Shard& shard = shards_[s];
      std::lock_guard lock(shard.mu);
      const Table& table = shard.series[series];
      for (size_t p = 0; p < table.states.size(); ++p) {
        const double v = ValueOf(table, p, window, now);
        if (v == 0) continue;
        auto it = merged.find(table.states[p].key);
        if (it == merged.end()) {
          merged.emplace(table.states[p].key, v);
        } else {
          it->second += v;
        }
      }
    }
    for (auto& [key, v] : merged) out.push_back({key, v});
  }

  double Value(size_t series, std::string_view key, int window, TimestampUs now) const override {
    const uint64_t hash = KeyHash(key);
    double total = 0;
    auto read = [&](const Shard& shard) {
      std::lock_guard lock(shard.mu);
      const Table& table = shard.series[series];
      const uint32_t p = Find(table, key, hash);
      if (p != HashSlots::kNone) total += ValueOf(table, p, window, now);
    };
    for (size_t s = 0; s < kShards; ++s) read(shards_[s]);
    return total;
  }

  WindowCounterStats stats() const override {
    WindowCounterStats stats;
    for (size_t s = 0; s < kShards; ++s) {
      std::lock_guard lock(shards_[s].mu);
      for (const Table& table : shards_[s].series) {
        stats.keys += table.states.size();
        for (const WindowState& ws : table.windows) {
          stats.buckets += ws.older.size() + (ws.newest != kNoBucket ? 1 : 0);
        }
      }
    }
    stats.dropped = dropped_.load(std::memory_order_relaxed);
    return stats;
  }

 private:
  size_t windows() const { return bucket_us_.size(); }

  static uint32_t Find(const Table& table, std::string_view key, uint64_t hash) {
    return table.index.Find(hash, [&](uint32_t p) { return table.states[p].key == key; });
  }

  // True when `state` had no event in the longest window at `now`: it reads as nothing.
  bool Expired(const KeyState& state, TimestampUs now) const {
    return state.last <= now - longest_us_;
  }

  double ValueOf(const Table& table, size_t p, int window, TimestampUs now) const {
    const KeyState& state = table.states[p];
    if (Expired(state, now)) return 0;
    if (window == kDecayWindow) {
      return state.decayed * DecayFactor(now - state.decayed_at, options_.half_life_s);
    }
    const size_t w = static_cast<size_t>(window);
    const WindowState& ws = table.windows[p * windows() + w];
    const int64_t last = BucketOf(now, bucket_us_[w]);
    const int64_t first = last - buckets_[w] + 1;
    if (ws.newest == kNoBucket || ws.newest < first) return 0;
    double sum = ws.sum;
    for (const Bucket& b : ws.older) {  // oldest first: those before the window
      if (b.index >= first) break;
      sum -= b.count;
    }
    // Buckets after `now` (a read at an earlier time than some write) are not counted either.
    if (ws.newest > last) {
      sum -= ws.newest_count;
      for (auto it = ws.older.rbegin(); it != ws.older.rend() && it->index > last; ++it) {
        sum -= it->count;
      }
    }
    return sum;
  }

  // The position of `key`, added when new (kNone when the table is full: counted as dropped).
  uint32_t FindOrInsert(Table& table, std::string_view key, uint64_t hash, TimestampUs ts) {
    uint32_t p = Find(table, key, hash);
    if (p != HashSlots::kNone) return p;
    if (table.states.size() >= max_keys_per_shard_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return HashSlots::kNone;
    }
    p = static_cast<uint32_t>(table.states.size());
    KeyState& state = table.states.emplace_back();
    state.key.assign(key);
    state.hash = hash;
    state.decayed_at = ts;
    state.last = ts;
    table.windows.resize(table.windows.size() + windows());
    table.index.Insert(hash, p);
    return p;
  }

  void Update(Table& table, uint32_t p, double weight, TimestampUs ts) {
    for (size_t w = 0; w < windows(); ++w) {
      AddToWindow(table.windows[p * windows() + w], w, weight, ts);
    }
    KeyState& state = table.states[p];
    if (ts >= state.decayed_at) {
      state.decayed =
          state.decayed * DecayFactor(ts - state.decayed_at, options_.half_life_s) + weight;
      state.decayed_at = ts;
    } else {  // an event older than the score's time (threads racing for the lock)
      state.decayed += weight * DecayFactor(state.decayed_at - ts, options_.half_life_s);
    }
    state.last = std::max(state.last, ts);
  }

  void AddToWindow(WindowState& ws, size_t w, double weight, TimestampUs ts) const {
    const int64_t index = BucketOf(ts, bucket_us_[w]);
    if (index == ws.newest) {  // the common case
      ws.newest_count += weight;
      ws.sum += weight;
      return;
    }
    if (ws.newest == kNoBucket || index > ws.newest) {
      // A new newest bucket: the old one joins `older`, and what slid out of the window goes.
      if (ws.newest != kNoBucket) ws.older.push_back({ws.newest, ws.newest_count});
      ws.newest = index;
      ws.newest_count = weight;
      ws.sum += weight;
      size_t gone = 0;
      while (gone < ws.older.size() && ws.older[gone].index <= index - buckets_[w]) {
        ws.sum -= ws.older[gone].count;
        ++gone;
      }
      if (gone > 0) ws.older.erase(ws.older.begin(), ws.older.begin() + static_cast<ptrdiff_t>(gone));
      if (ws.older.empty()) ws.sum = ws.newest_count;  // exact again
      return;
    }
    // An event before the newest bucket (threads racing for the lock).
    if (index <= ws.newest - buckets_[w]) return;  // already outside the window
    auto pos = std::lower_bound(ws.older.begin(), ws.older.end(), index,
                                [](const Bucket& b, int64_t i) { return b.index < i; });
    if (pos != ws.older.end() && pos->index == index) {
      pos->count += weight;
    } else {
      ws.older.insert(pos, Bucket{index, weight});
    }
    ws.sum += weight;
  }

  // Drops the keys with no event in the longest window: the live ones move down over the
  // expired ones and the index is rebuilt.
  void MaybeSweep(Shard& shard, TimestampUs now) {
    if (now < shard.next_sweep) return;
    shard.next_sweep = now + sweep_every_us_;
    const size_t n_windows = windows();
    for (Table& table : shard.series) {
      size_t kept = 0;
      for (size_t p = 0; p < table.states.size(); ++p) {
        if (Expired(table.states[p], now)) continue;
        if (kept != p) {
          table.states[kept] = std::move(table.states[p]);
          for (size_t w = 0; w < n_windows; ++w) {
            table.windows[kept * n_windows + w] = std::move(table.windows[p * n_windows + w]);
          }
        }
        ++kept;
      }
      if (kept == table.states.size()) continue;
      table.states.resize(kept);
      table.windows.resize(kept * n_windows);
      if (kept < table.states.capacity() / 4) {  // give back the memory of a burst of keys
        table.states.shrink_to_fit();
        table.windows.shrink_to_fit();
      }
      table.index.Clear();
      for (size_t p = 0; p < kept; ++p) {
        table.index.Insert(table.states[p].hash, static_cast<uint32_t>(p));
      }
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
