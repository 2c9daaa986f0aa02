// Cache: online state shared by the `reco serve` replicas and `reco worker` processes of one
// deployment — each user's recent positive history and seen set, named counter hashes (live
// popularity, canary guardrail counts), a leader lock with fencing tokens, and notifications
// (publish / subscribe). One interface, a backend per file: `memory` (one process, the default;
// nothing is shared) and `redis` (cache.url). One conformance suite (cache_conformance_test.cc)
// runs on both.
//
// Names (`key`, `channel`, lock and counter names) are full names chosen by the caller; callers
// put a prefix per tenant in them (CacheKeys below).
//
// Thread-safety: a Cache is safe for concurrent use from many threads. Errors are values:
// Unavailable when the backend cannot be reached (a call fails fast, it never waits long), the
// cache's own refusal otherwise. Handlers of a Subscription run on a thread of the
// subscription. Lifetime: the Cache must outlive every Subscription it returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace reco {

// One feedback row as the history sees it.
struct HistoryEntry {
  std::string user_id;
  std::string item_id;
  bool positive = false;  // appended to the recent positive list; every entry is "seen"
};

struct HistoryLimits {
  int max_recent = 50;                 // recent positive items kept per user (>= 1)
  int64_t ttl_ms = 30LL * 86400'000;   // a user's lists expire this long after their last write
};

struct UserHistory {
  std::vector<std::string> recent_positive;  // oldest first, at most max_recent, no duplicates
  std::vector<std::string> seen;             // sorted
};

// The fencing token of a held lock: strictly greater for every new holder of the lock name
// (renewals keep the token).
using FencingToken = int64_t;

// Called with each message on the subscription's thread, in the order published per channel.
using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

struct SubscribeOptions {
  // Called on the subscription's thread each time the subscription is (re)established: a
  // subscriber catches up there on what it may have missed while disconnected.
  std::function<void()> on_connected;
};

// The deltas of one counter hash, for Cache::AddCountersMany.
struct CounterDeltas {
  std::string name;
  std::vector<std::pair<std::string, double>> deltas;
  int64_t ttl_ms = 0;  // > 0: the hash expires this long after the write (each write moves it on)
};

using CounterFields = std::vector<std::pair<std::string, double>>;

// A live subscription; destroying it unsubscribes and joins its thread.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class Cache {
 public:
  virtual ~Cache() = default;

  // "memory", or the Redis URL with its password masked.
  virtual std::string Describe() const = 0;
  // True when other processes see what this cache holds (redis), false for memory.
  virtual bool shared() const = 0;
  // Round trip to the backend: Unavailable naming the URL when it cannot be reached.
  virtual Status Ping() = 0;

  // ---- per-user history under `prefix` (CacheKeys::history_prefix)
  // Applies the entries in order: positive ones move to the newest end of the user's recent list
  // (trimmed to max_recent), all go to the seen set; both lists' TTL restarts.
  virtual Status AppendHistory(std::string_view prefix, std::span<const HistoryEntry> entries,
                               const HistoryLimits& limits) = 0;
  // Empty lists for an unknown (or expired) user.
  virtual Result<UserHistory> ReadHistory(std::string_view prefix, std::string_view user_id) = 0;

  // ---- counters: named hashes of field -> number
  // Adds each delta to its field of hash `name` (a missing field counts from 0).
  virtual Status AddCounters(std::string_view name,
                             std::span<const std::pair<std::string, double>> deltas) = 0;
  // Every field of hash `name`, sorted by field; empty when the hash does not exist.
  virtual Result<std::vector<std::pair<std::string, double>>> ReadCounters(
      std::string_view name) = 0;
  virtual Status DeleteCounters(std::string_view name) = 0;
  // Many hashes in one round trip (the real-time windows share their buckets this way).
  // Applies each entry as AddCounters does, and its ttl_ms. Backends without it: Unimplemented.
  virtual Status AddCountersMany(std::span<const CounterDeltas> updates);
  // ReadCounters of each of `names`, in their order, in one round trip.
  virtual Result<std::vector<CounterFields>> ReadCountersMany(std::span<const std::string> names);

  // ---- leader lock
  // Takes lock `name` for `holder` for ttl_ms when it is free (SET NX PX), or renews it when
  // `holder` already holds it. Returns the holder's fencing token, nullopt when another holder
  // has it.
  virtual Result<std::optional<FencingToken>> AcquireLock(std::string_view name,
                                                          std::string_view holder,
                                                          int64_t ttl_ms) = 0;
  // Drops the lock when `holder` holds it; a no-op otherwise.
  virtual Status ReleaseLock(std::string_view name, std::string_view holder) = 0;

  // ---- notifications (at most once: a subscriber that is disconnected misses messages, and
  // SubscribeOptions::on_connected tells it when it is back)
  virtual Status Publish(std::string_view channel, std::string_view message) = 0;
  // Starts delivering the messages of `channels` to `handler`. The subscription connects (and
  // reconnects, with back-off) in the background: a backend that is down now is not an error.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(std::vector<std::string> channels,
                                                          MessageHandler handler,
                                                          SubscribeOptions options = {}) = 0;
};

inline Status Cache::AddCountersMany(std::span<const CounterDeltas>) {
  return Unimplemented("this cache backend does not implement AddCountersMany");
}

inline Result<std::vector<CounterFields>> Cache::ReadCountersMany(std::span<const std::string>) {
  return Unimplemented("this cache backend does not implement ReadCountersMany");
}

// Told about each failed call of a cache whose backend can fail (`op`: "history", "counters",
// "lock", "publish", "subscribe", "ping"); called on the calling thread, must be cheap and
// thread-safe. cache_errors_total{op} counts them.
using CacheErrorObserver = std::function<void(std::string_view op)>;

// The names one tenant uses, under "reco:{tenant}:".
struct CacheKeys {
  explicit CacheKeys(std::string_view tenant) : root("reco:" + std::string(tenant) + ":") {}
  std::string root;
  std::string history_prefix() const { return root + "user:"; }
  std::string feedback_channel() const { return root + "feedback"; }
  std::string models_channel() const { return root + "models"; }
  std::string lock(std::string_view name) const { return root + "lock:" + std::string(name); }
  std::string counters(std::string_view name) const {
    return root + "counters:" + std::string(name);
  }
};

}  // namespace reco
