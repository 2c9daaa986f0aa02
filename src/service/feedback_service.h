// FeedbackService: every feedback write and read of every transport. A write is one sequence,
// here only: the store write (with the database.auto_insert_* settings), the mirror into the
// OnlineState (the user's next answer reflects it at once), the click join of positive rows to
// the exposures the rollout logged, and feedback_ingested_total by kind.
//
// Thread-safety: safe from any number of request threads (the store, online state, rollout and
// metrics are). Lifetime: borrows the Store, OnlineState, Rollout (may be null: no click join)
// and MetricsRegistry, which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ops/metrics.h"
#include "serving/online_state.h"
#include "serving/realtime.h"
#include "serving/rollout.h"
#include "store/store.h"

namespace reco::service {

// What a write or delete changed: {"RowAffected": n} on REST.
struct RowsAffected {
  int64_t rows = 0;
};

// A tenant's limits on its catalogue (docs/tenants.md); 0 = none.
struct CatalogueLimits {
  int64_t max_users = 0;
  int64_t max_items = 0;
};
// Read on every insert, so that a change of the quotas applies to the next request; empty = no
// limits (the default tenant).
using CatalogueLimitsFn = std::function<CatalogueLimits()>;

struct FeedbackServiceOptions {
  // Unknown user/item ids on feedback create bare users/items; when false the batch is an
  // InvalidArgument naming the row (database.auto_insert_user / auto_insert_item).
  bool auto_insert_users = true;
  bool auto_insert_items = true;
  // At a quota, unknown ids are no longer inserted: their rows are refused as without
  // auto-insert.
  CatalogueLimitsFn limits;
  // Hot scores and real-time metrics fed with every accepted row (serving/realtime.h); null:
  // none. Borrowed.
  Realtime* realtime = nullptr;
  // Called after every successful write, once the store and the online state have the rows
  // (e.g. ReplicaSync shares them with the other replicas); empty = nothing. Its failures do
  // not fail the write.
  std::function<void(std::span<const Feedback>)> after_write;
  // Called after a successful Delete with the user whose feedback was deleted.
  std::function<void(std::string_view user_id)> after_delete;
};

struct WriteFeedbackRequest {
  std::span<const Feedback> rows;
  // false: an existing (type, user, item) row is kept (insert); true: it is replaced (upsert).
  bool overwrite = false;
};

// One feedback row (with a type) or every row between a user and an item (without).
struct FeedbackKey {
  std::optional<std::string> feedback_type;
  std::string user_id;
  std::string item_id;
};

struct ListFeedbackRequest {
  std::optional<std::string> feedback_type;  // unset: every type
  std::string cursor;                        // "" for the first page
  int n = 10;
};

class FeedbackService {
 public:
  FeedbackService(Store& store, OnlineState& state, Rollout* rollout, MetricsRegistry& metrics,
                  FeedbackServiceOptions options);

  // Writes the rows, mirrors them into the online state, joins positive rows to exposures and
  // counts them. The store's errors (InvalidArgument naming the row, Unavailable, ...) are
  // returned and nothing else happens then.
  Result<RowsAffected> Write(const WriteFeedbackRequest& request);
  // Deletes the matching rows and rebuilds the user's online history from what remains.
  Result<RowsAffected> Delete(const FeedbackKey& key);
  // Rebuilds the user's online history from the store's rows (after another process deleted
  // some of them).
  Status ReloadUser(std::string_view user_id);

  Result<Page<Feedback>> List(const ListFeedbackRequest& request);
  // Every row matching `filter` (at most kMaxFeedbackFound).
  Result<std::vector<Feedback>> Find(const FeedbackFilter& filter);
  // The row of a key with a type; NotFound when there is none.
  Result<Feedback> Get(const FeedbackKey& key);

  static constexpr size_t kMaxFeedbackFound = 100000;

 private:
  void CountIngested(std::span<const Feedback> rows);

  Store& store_;
  OnlineState& state_;
  Rollout* rollout_;
  FeedbackServiceOptions options_;
  CounterFamily* ingested_;  // feedback_ingested_total{kind}
};

}  // namespace reco::service
