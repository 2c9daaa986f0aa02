// WindowCounters: counts of events per key over sliding time windows, plus an exponentially
// decayed score per key — the storage behind the real-time hot scores and metrics
// (serving/realtime.h, docs/realtime.md).
//
// A counter store holds several series (e.g. "exposures:item"), each a map key → counters. An
// event adds a weight to one key at a time `ts`: to the bucket of `ts` in every window
// (bucket = floor(ts / bucket length)) and to the key's decayed score. At time `now` a window
// of B buckets counts the buckets floor(now / bucket) - B + 1 .. floor(now / bucket): it slides
// by whole buckets. The decayed score is sum(weight * 2^(-(now - ts) / half_life)), kept as
// (score, time of the score) and brought forward lazily. Weights are whole numbers in every use
// reco makes of them, so window sums are exact.
//
// Memory is bounded: a key with no event in the longest window is dropped (its decayed score
// with it) and never read again; a series holds at most `max_keys` keys, and events of new keys
// beyond that are dropped and counted (stats().dropped). Each key keeps at most one entry per
// bucket it had events in, per window (<= WindowSpec::buckets()).
//
// This file holds the interface and its in-process implementation; the one shared by replicas
// through the cache is serving/shared_window_counters.h. Thread-safety: every method of every
// implementation is safe to call concurrently. Lifetime: plain owned objects.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/durations.h"
#include "core/time.h"

namespace reco {

// The window index of the decayed score, beside 0..windows-1.
inline constexpr int kDecayWindow = -1;

struct CounterSeriesSpec {
  std::string name;  // e.g. "exposures:item"; a shared store names its keys after it
};

struct WindowCountersOptions {
  std::vector<WindowSpec> windows;  // at least one
  int64_t half_life_s = 3600;       // of the decayed score, > 0
  size_t max_keys = 1'000'000;      // per series
  std::vector<CounterSeriesSpec> series;
};

struct KeyValue {
  std::string key;
  double value = 0;
};

struct WindowCounterStats {
  uint64_t keys = 0;     // keys held, every series (dropped ones included until swept)
  uint64_t buckets = 0;  // bucket entries held, every series and window
  uint64_t dropped = 0;  // events not counted because their series was full
};

class WindowCounters {
 public:
  virtual ~WindowCounters() = default;
  // Adds `weight` at `ts` to each of `keys` in `series` (an index into the options' series).
  virtual void Add(size_t series, std::span<const std::string_view> keys, double weight,
                   TimestampUs ts) = 0;
  // Every key of `series` with a non-zero value at `now` in `window` (an index into the
  // options' windows, or kDecayWindow), in no particular order, into `out` (cleared first).
  virtual void Values(size_t series, int window, TimestampUs now,
                      std::vector<KeyValue>& out) const = 0;
  // One key's value (0 when it has none).
  virtual double Value(size_t series, std::string_view key, int window, TimestampUs now) const = 0;
  virtual WindowCounterStats stats() const = 0;
};

// Named cumulative counts (no windows) that the replicas of a deployment may share: the canary
// guardrails' requests, errors, exposures and clicks per model version. SharedCounts
// (serving/shared_window_counters.h) keeps them in the cache. Thread-safe.
class NamedCounts {
 public:
  virtual ~NamedCounts() = default;
  virtual void Add(std::string_view field, double delta) = 0;
  // Every replica's count of `field` as last read, plus this one's not read back yet.
  virtual double Get(std::string_view field) const = 0;
};

// The in-process store: 64 shards, each behind its own mutex, written by thread: a thread
// always writes to the same shard, so that a served list takes one lock that no other request
// thread holds, and the misses of its keys overlap. A key written by several threads has a
// record in each of their shards (max_keys counts records: max_keys / 64 per shard); reads add
// the shards up. A shard drops its keys with no event in the longest window when a write finds
// its last sweep one bucket of the shortest window old.
std::unique_ptr<WindowCounters> NewMemoryWindowCounters(WindowCountersOptions options);

// 2^(-elapsed / half_life): the factor a decayed score is multiplied by after `elapsed_us`.
double DecayFactor(int64_t elapsed_us, int64_t half_life_s);

}  // namespace reco
