// Window counters shared by the replicas of a deployment through the Cache (Redis), and the
// canary guardrails' counts shared the same way (docs/realtime.md#replicas).
//
// SharedWindowCounters: each replica counts its events in an in-process WindowCounters (the
// `local` store) and, for the sliding windows, also in per-bucket deltas that Sync() — every
// `sync_interval_ms` on a thread of its own — adds to one counter hash per (series, window,
// bucket) in one round trip (HINCRBYFLOAT, with an expiry of the window's length). Sync() then
// reads back the hashes of the buckets that may have changed (the current and recent ones, and
// every bucket of every window on the first sync or after a failure), so that a replica that
// starts late sees the counts so far. A window's value is the sum of its buckets' hashes as last
// read, plus this replica's deltas not read back yet: a replica sees its own events at once and
// the others' within one sync. While the cache cannot be reached (the last sync failed), reads
// answer from the local store — this replica's events only — and the deltas wait for the next
// successful sync (those of buckets that slid out of every window are dropped). The decayed
// score (kDecayWindow) is always the local one: it is not shared.
//
// SharedCounts: named cumulative counts (no windows) kept the same way in one counter hash.
//
// Thread-safety: every method is safe to call concurrently. Lifetime: both borrow the Cache and
// the Clock, which must outlive them; the destructor stops the sync thread (without a last
// sync: the deltas of the last interval are lost when a replica stops).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cache/cache.h"
#include "core/status.h"
#include "core/time.h"
#include "serving/window_counters.h"

namespace reco {

struct SharedCountersOptions {
  // Every hash name starts with it, e.g. CacheKeys(tenant).counters("rt") + ":".
  std::string prefix;
  int64_t sync_interval_ms = 200;  // 0: no thread, the caller calls Sync() (tests)
};

// A WindowCounters that also keeps the sliding windows in `cache`; see the top of the file.
class SharedWindowCounters final : public WindowCounters {
 public:
  SharedWindowCounters(WindowCountersOptions options, Cache& cache, const Clock& clock,
                       SharedCountersOptions shared);
  ~SharedWindowCounters() override;

  void Add(size_t series, std::span<const std::string_view> keys, double weight,
           TimestampUs ts) override;
  void Values(size_t series, int window, TimestampUs now,
              std::vector<KeyValue>& out) const override;
  double Value(size_t series, std::string_view key, int window, TimestampUs now) const override;
  // The local store's.
  WindowCounterStats stats() const override;

  // Adds the deltas to the cache, then reads back the buckets that may have changed. The error
  // of the cache when it fails (the view then answers from the local store until a sync works).
  Status Sync();
  // True when the last sync worked: reads answer from the shared hashes.
  bool shared_view() const;

 private:
  using Fields = std::unordered_map<std::string, double>;
  struct BucketKey {
    size_t series = 0;
    size_t window = 0;
    int64_t bucket = 0;
    auto operator<=>(const BucketKey&) const = default;
  };
  std::string HashName(const BucketKey& b) const;
  int64_t BucketOf(TimestampUs ts, size_t window) const;
  // Calls `fn(fields)` for each source of the buckets of `window` at `now`: the hashes read
  // back, the deltas sent and not read back, and those not sent yet. Under mu_.
  template <typename Fn>
  void ForEachSource(size_t series, size_t window, TimestampUs now, Fn&& fn) const;
  void Run();

  const WindowCountersOptions options_;
  Cache& cache_;
  const Clock& clock_;
  const SharedCountersOptions shared_;
  std::unique_ptr<WindowCounters> local_;
  std::vector<int64_t> bucket_us_;  // per window
  std::vector<int64_t> ttl_ms_;     // per window: of its hashes

  mutable std::mutex mu_;
  std::map<BucketKey, Fields> pending_;   // added, not sent yet
  std::map<BucketKey, Fields> inflight_;  // sent, not read back yet
  std::map<BucketKey, Fields> read_;      // the hashes as last read
  bool healthy_ = false;                  // the last sync worked
  bool complete_ = false;                 // every bucket of every window was read once

  std::mutex sync_mu_;  // one Sync at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// WindowCounters factory for Realtime::Create: shared ones over `cache`.
std::unique_ptr<WindowCounters> NewSharedWindowCounters(WindowCountersOptions options,
                                                        Cache& cache, const Clock& clock,
                                                        SharedCountersOptions shared);

// Named cumulative counts in one counter hash (`shared.prefix` is its full name): Add() counts
// locally at once; Sync() sends the deltas and reads the hash back; Get() is the hash as last
// read plus this process's deltas not read back yet. While the cache cannot be reached, Get()
// still counts this process's events (on top of the last read) and the deltas wait.
class SharedCounts final : public NamedCounts {
 public:
  SharedCounts(Cache& cache, SharedCountersOptions shared, int64_t ttl_ms);
  ~SharedCounts() override;

  void Add(std::string_view field, double delta) override;
  double Get(std::string_view field) const override;
  Status Sync();

 private:
  void Run();

  Cache& cache_;
  const SharedCountersOptions shared_;
  const int64_t ttl_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, double> pending_, inflight_, read_;
  std::mutex sync_mu_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace reco
