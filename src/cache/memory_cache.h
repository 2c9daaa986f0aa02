// MemoryCache: the Cache of a single process (the default when cache.url is empty). Nothing is
// shared with other processes; expiry follows the injected Clock, so TTLs are testable without
// sleeping. Subscribers receive what this process publishes, on a thread per subscription.
//
// Thread-safety: as Cache (one mutex; handlers run outside it). Lifetime: the clock must
// outlive the cache; the cache must outlive its subscriptions.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cache/cache.h"
#include "core/time.h"

namespace reco {

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const Clock& clock = SystemClock::Get());
  ~MemoryCache() override;

  std::string Describe() const override { return "memory"; }
  bool shared() const override { return false; }
  Status Ping() override { return Status::Ok(); }

  Status AppendHistory(std::string_view prefix, std::span<const HistoryEntry> entries,
                       const HistoryLimits& limits) override;
  Result<UserHistory> ReadHistory(std::string_view prefix, std::string_view user_id) override;

  Status AddCounters(std::string_view name,
                     std::span<const std::pair<std::string, double>> deltas) override;
  Result<std::vector<std::pair<std::string, double>>> ReadCounters(
      std::string_view name) override;
  Status DeleteCounters(std::string_view name) override;
  Status AddCountersMany(std::span<const CounterDeltas> updates) override;
  Result<std::vector<CounterFields>> ReadCountersMany(std::span<const std::string> names) override;

  Result<std::optional<FencingToken>> AcquireLock(std::string_view name, std::string_view holder,
                                                  int64_t ttl_ms) override;
  Status ReleaseLock(std::string_view name, std::string_view holder) override;

  Status Publish(std::string_view channel, std::string_view message) override;
  Result<std::unique_ptr<Subscription>> Subscribe(std::vector<std::string> channels,
                                                  MessageHandler handler,
                                                  SubscribeOptions options) override;

 private:
  struct History {
    std::vector<std::string> recent;  // oldest first
    std::set<std::string> seen;
    TimestampUs expires = 0;
  };
  struct Lock {
    std::string holder;
    FencingToken token = 0;
    TimestampUs expires = 0;
  };
  class MemorySubscription;
  friend class MemorySubscription;

  void Unsubscribe(MemorySubscription* subscription);
  // Drops hash `name` when its TTL has passed. Under mu_.
  void ExpireCountersLocked(std::string_view name);

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, History, std::less<>> histories_;
  std::map<std::string, std::map<std::string, double>, std::less<>> counters_;
  std::map<std::string, TimestampUs, std::less<>> counter_expiry_;  // hashes given a TTL
  std::map<std::string, Lock, std::less<>> locks_;
  std::map<std::string, FencingToken, std::less<>> fences_;  // last token per lock name
  std::vector<MemorySubscription*> subscriptions_;
};

}  // namespace reco
