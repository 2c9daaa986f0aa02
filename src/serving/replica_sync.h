// ReplicaSync: keeps one tenant's online state in step across the `reco serve` replicas that
// share a Cache (Redis). After this replica writes feedback (FeedbackService, after the store
// commit) it appends the rows to each user's recent history and seen set in the cache and
// publishes them on the tenant's feedback channel; every other replica applies the rows it
// receives to its own OnlineState (live popularity included), so that the next recommendation
// any replica serves reflects them. A replica's own messages are skipped (by origin id), and
// applying a row twice is harmless. After a model change through this replica's API it
// publishes on the tenant's models channel and the other replicas call `on_models_published`.
//
// When the cache is unreachable the calls fail fast and are counted by the cache's error
// observer (cache_errors_total); serving goes on from the local state. When the subscription is
// established again `on_connected` runs: the owner re-reads the store's feedback written in
// between (UserProfiles::Refresh) and follows the registry. A replica whose publication failed
// also publishes a "resync" message once the cache takes messages again (retried every
// `resync_retry_ms` in the background, and tried on its own reconnection and before its next
// publication), and every other replica runs `on_connected` then: rows a peer missed while it
// was still connected are read from the shared store.
//
// Thread-safety: OnFeedbackWritten / OnModelsChanged are safe from any thread; the callbacks
// run on the subscription's thread. Lifetime: borrows the Cache and the OnlineState, which
// must outlive it; destroying it unsubscribes (and waits for a callback in progress).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "cache/cache.h"
#include "core/status.h"
#include "serving/online_state.h"
#include "store/types.h"

namespace reco {

struct ReplicaSyncOptions {
  std::string tenant = "default";
  // This process's id in its messages; "" = "<hostname>:<pid>:<6 hex>".
  std::string origin;
  HistoryLimits history;
  // A model change was published by another replica (typically ModelService::FollowRegistry).
  std::function<void()> on_models_published;
  // The subscription is (re)established: catch up on what may have been missed.
  std::function<void()> on_connected;
  // Another replica deleted feedback of this user: rebuild the user's state from the store.
  std::function<void(const std::string& user_id)> on_user_reset;
  // After a failed publication, how often the pending resync is tried until the cache takes it.
  int resync_retry_ms = 250;
};

class ReplicaSync {
 public:
  // Subscribes to the tenant's channels (in the background: a cache that is down now is not an
  // error, the subscription connects when it returns).
  static Result<std::unique_ptr<ReplicaSync>> Start(Cache& cache, OnlineState& state,
                                                    ReplicaSyncOptions options);
  ~ReplicaSync();
  ReplicaSync(const ReplicaSync&) = delete;
  ReplicaSync& operator=(const ReplicaSync&) = delete;

  // After the store accepted `rows` and this replica's state has them: history into the cache,
  // then the rows to the other replicas. Errors are the cache's (already counted); the write
  // itself stands.
  Status OnFeedbackWritten(std::span<const Feedback> rows);
  // After feedback of `user_id` was deleted from the store through this replica.
  Status OnUserFeedbackDeleted(std::string_view user_id);
  // After this replica changed its serving models through its API.
  Status OnModelsChanged();

  const std::string& origin() const { return options_.origin; }

  // The message formats, public for tests: {"origin":O,"rows":[{"t","u","i","v","ts"}...]},
  // {"origin":O,"resync":true} and {"origin":O,"reset_user":U} on the feedback channel, and
  // {"origin":O} on the models channel.
  static std::string EncodeFeedback(std::string_view origin, std::span<const Feedback> rows);
  // False when `message` is not a feedback message.
  static bool DecodeFeedback(std::string_view message, std::string& origin,
                             std::vector<Feedback>& rows);

 private:
  ReplicaSync(Cache& cache, OnlineState& state, ReplicaSyncOptions options);
  void OnMessage(std::string_view channel, std::string_view message);
  void OnConnected();
  // Publishes, first flushing a pending resync; a failure leaves one pending.
  Status PublishCounted(const std::string& channel, const std::string& message);
  Status FlushResync();
  void MarkResyncPending();
  // The background thread that tries a pending resync every resync_retry_ms.
  void RetryLoop();

  Cache& cache_;
  OnlineState& state_;
  ReplicaSyncOptions options_;
  CacheKeys keys_;
  std::unique_ptr<Subscription> subscription_;
  std::atomic<bool> resync_pending_{false};
  std::mutex retry_mu_;
  std::condition_variable retry_cv_;
  bool stopping_ = false;  // guarded by retry_mu_
  std::thread retry_;
};

}  // namespace reco
