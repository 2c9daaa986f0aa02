// Store: durable data — users, items, feedback, scheduler state, scenarios. One interface, a
// backend per directory (sqlite/ now; postgres/ later), one conformance suite
// (store_conformance_test.cc) for all.
//
// Thread-safety: a Store is safe for concurrent use from many threads without external
// synchronisation. Every write call is atomic: all its rows are written or none, and a write
// that returned ok survives a kill -9 of the process at any later moment.
// Lifetime: the Store must outlive every call in flight; Close() (or the destructor) waits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace reco {

// One page of a cursor listing. `next_cursor` is empty on the last page; it is opaque to
// clients (they pass it back unchanged).
template <typename T>
struct Page {
  std::vector<T> rows;
  std::string next_cursor;
};

// Selects feedback rows; unset fields match everything.
struct FeedbackFilter {
  std::optional<std::string> feedback_type;
  std::optional<std::string> user_id;
  std::optional<std::string> item_id;
};

struct InsertFeedbackOptions {
  // false (POST /api/feedback): an existing (type, user, item) row is kept unchanged.
  // true (PUT /api/feedback): an existing row is replaced (value, timestamp, comment).
  bool overwrite = false;
  // Unknown user/item ids are inserted as bare users/items; when false they are an
  // InvalidArgument error naming the row index and the id, and nothing of the batch is written.
  bool auto_insert_users = true;
  bool auto_insert_items = true;
};

struct StoreCounts {
  int64_t users = 0;
  int64_t items = 0;
  int64_t feedback = 0;
};

// A feedback row as scanned in bulk, with the store's write sequence number: every insert or
// overwrite takes the next number, so "rows with seq > watermark" are exactly the rows written
// after the watermark was read.
struct FeedbackRecord {
  Feedback feedback;
  int64_t seq = 0;
};

// A named lease (leader lock) held by `holder` until `expires_at` (exclusive).
struct LeaseRecord {
  std::string name;
  std::string holder;
  TimestampUs expires_at = 0;
};

// One run of a scheduled job (scheduler/scheduler.h), shared by every process on the store.
struct JobRunRecord {
  int64_t id = 0;  // assigned by InsertJobRun, increasing
  std::string job;
  std::string trigger;  // "scheduled" | "manual"
  std::string status;   // "queued" | "running" | "succeeded" | "failed" | "timed_out"
  int attempts = 0;
  TimestampUs scheduled_for = 0;  // the cron time of a scheduled run; 0 for manual runs
  TimestampUs created = 0;
  TimestampUs started = 0;   // 0 until the first attempt starts
  TimestampUs finished = 0;  // 0 until the run ends
  std::string holder;        // the scheduler instance that runs it ("" while queued)
  std::string error;         // the last attempt's error, "" when none
  // The leadership term of the scheduler that wrote it (Store::NextFencingToken); 0 = not fenced
  // (a queued manual run, or a writer outside the scheduler).
  int64_t fencing_token = 0;
};

// Selects job runs; unset fields match everything.
struct JobRunFilter {
  std::optional<std::string> job;
  std::optional<std::string> trigger;
  std::optional<std::string> status;
  int limit = 100;  // newest `limit` rows
};

// The refusal of a job-run write under a fencing token older than the store's newest
// (Store::NextFencingToken): FailedPrecondition with field "fencing_token".
inline Status StaleFencingToken(int64_t token, int64_t current) {
  return Status(StatusCode::kFailedPrecondition,
                "stale fencing token " + std::to_string(token) +
                    ": a newer scheduler leader took token " + std::to_string(current),
                "fencing_token");
}
inline bool IsStaleFencingToken(const Status& st) {
  return st.code() == StatusCode::kFailedPrecondition && st.field() == "fencing_token";
}

// One arm of an A/B experiment (experiment/experiment.h validates it).
struct ExperimentVariantRecord {
  std::string name;
  double weight = 0;        // relative share of the experiment's users, > 0
  std::string target_kind;  // "scenario" | "model_version"
  std::string target;       // the scenario name or the model version it serves
};

// An A/B experiment as stored. Times are 0 while unset.
struct ExperimentRecord {
  std::string id;
  std::string name;
  std::string layer;             // experiments of one layer share its users, never a user
  std::string status = "draft";  // "draft" | "running" | "stopped"
  double traffic = 1.0;          // fraction of the layer's users in the experiment, (0, 1]
  // First bucket of the experiment's range of its layer's buckets, fixed when it starts.
  int bucket_offset = 0;
  std::vector<ExperimentVariantRecord> variants;  // the first is the control
  std::vector<std::string> click_types;           // feedback types counted as clicks
  std::vector<std::string> conversion_types;      // feedback types counted as conversions
  TimestampUs started_at = 0;
  TimestampUs stopped_at = 0;
  TimestampUs created_at = 0;
  TimestampUs updated_at = 0;
};

// A recommendation scenario's stored configuration (serving/scenario.h reads and validates the
// JSON; the store keeps the text as given).
struct ScenarioRecord {
  std::string name;
  std::string config_json;
  TimestampUs created = 0;
  TimestampUs updated = 0;
};

// Whether the store accepts writes, and why not.
struct StoreWritability {
  bool writable = true;
  // Opened read-only: on purpose (`reco serve --read-only`) or because the database cannot be
  // written (then `reason` says so and reco serve refuses to start without --read-only).
  bool read_only = false;
  bool read_only_requested = false;  // read_only because it was asked for
  std::string reason;                // "" when writable, "read_only" or "disk_full"
  std::string message;               // the cause, naming the database file
};

// The kinds of failed write calls reported to a write-failure observer (metric label "reason").
inline constexpr std::string_view kWriteFailureDiskFull = "disk_full";
inline constexpr std::string_view kWriteFailureReadOnly = "read_only";
inline constexpr std::string_view kWriteFailureUnavailable = "unavailable";  // busy, locked
inline constexpr std::string_view kWriteFailureError = "error";              // I/O, internal

class Store {
 public:
  virtual ~Store() = default;

  // ---- users
  // Inserts or replaces users (Gorse's POST /api/user(s) semantics). Returns rows affected.
  virtual Result<int64_t> InsertUsers(std::span<const User> users) = 0;
  virtual Result<User> GetUser(std::string_view user_id) = 0;  // NotFound
  virtual Result<int64_t> ModifyUser(std::string_view user_id, const UserPatch& patch) = 0;
  // Deletes the user and its feedback. Returns 1, or 0 when there was no such user.
  virtual Result<int64_t> DeleteUser(std::string_view user_id) = 0;
  // Ordered by user id; cursor "" starts at the beginning.
  virtual Result<Page<User>> ListUsers(std::string_view cursor, int n) = 0;

  // ---- items
  virtual Result<int64_t> InsertItems(std::span<const Item> items) = 0;
  virtual Result<Item> GetItem(std::string_view item_id) = 0;  // NotFound
  virtual Result<int64_t> ModifyItem(std::string_view item_id, const ItemPatch& patch) = 0;
  virtual Result<int64_t> DeleteItem(std::string_view item_id) = 0;  // and its feedback
  virtual Result<int64_t> AddItemCategory(std::string_view item_id, std::string_view category) = 0;
  virtual Result<int64_t> RemoveItemCategory(std::string_view item_id,
                                             std::string_view category) = 0;
  virtual Result<Page<Item>> ListItems(std::string_view cursor, int n) = 0;

  // ---- feedback
  // Returns the number of rows written (existing rows kept under overwrite=false don't count).
  virtual Result<int64_t> InsertFeedback(std::span<const Feedback> feedback,
                                         const InsertFeedbackOptions& options) = 0;
  virtual Result<Page<Feedback>> ListFeedback(const FeedbackFilter& filter,
                                              std::string_view cursor, int n) = 0;
  virtual Result<int64_t> DeleteFeedback(const FeedbackFilter& filter) = 0;

  // ---- bulk
  // Users, items and feedback in one transaction (reco import): all or nothing.
  virtual Status Import(std::span<const User> users, std::span<const Item> items,
                        std::span<const Feedback> feedback,
                        const InsertFeedbackOptions& options) = 0;
  // Streams every row to `fn` (no particular order unless stated). Used by training and by
  // serving at start-up; the callback must not call back into the store.
  virtual Status ScanUsers(const std::function<void(const User&)>& fn) = 0;
  virtual Status ScanItems(const std::function<void(const Item&)>& fn) = 0;
  // Rows with seq > after_seq, in seq order.
  virtual Status ScanFeedback(int64_t after_seq,
                              const std::function<void(const FeedbackRecord&)>& fn) = 0;
  virtual Result<int64_t> MaxFeedbackSeq() = 0;
  virtual Result<StoreCounts> Counts() = 0;

  // ---- scheduler: leases (leader election) and job runs
  // Takes or renews lease `name` for `holder` until now + ttl_us when it is free, expired
  // (expires_at <= now) or already held by `holder`; atomic across processes sharing the store.
  // Returns whether `holder` holds the lease after the call.
  virtual Result<bool> TryAcquireLease(std::string_view name, std::string_view holder,
                                       TimestampUs now, int64_t ttl_us) = 0;
  // Drops the lease when `holder` holds it; a no-op otherwise.
  virtual Status ReleaseLease(std::string_view name, std::string_view holder) = 0;
  virtual Result<LeaseRecord> GetLease(std::string_view name) = 0;  // NotFound when not held
  // Fencing of the job runs: each scheduler leadership term takes a token, strictly greater
  // than every token taken before on this store (it survives a restart of the lock's Redis).
  // InsertJobRun, UpdateJobRun and ClaimJobRun with a token > 0 are refused with
  // FailedPrecondition (IsStaleFencingToken) once a greater token was taken, atomically with the
  // write: a deposed leader can no longer record a run after its successor took over.
  virtual Result<int64_t> NextFencingToken() = 0;
  // The greatest token taken so far (0 when none).
  virtual Result<int64_t> CurrentFencingToken() = 0;
  // Returns the new run's id (run.id is ignored). Fenced by run.fencing_token.
  virtual Result<int64_t> InsertJobRun(const JobRunRecord& run) = 0;
  // Replaces every field of run `run.id`; NotFound when there is no such run. Fenced by
  // run.fencing_token.
  virtual Status UpdateJobRun(const JobRunRecord& run) = 0;
  // Moves run `id` from "queued" to "running" for `holder` (started = now, when unset) under
  // `fencing_token` (0 = not fenced). Returns false when the run is not queued (e.g. another
  // process claimed it first).
  virtual Result<bool> ClaimJobRun(int64_t id, std::string_view holder, TimestampUs now,
                                   int64_t fencing_token) = 0;
  virtual Result<JobRunRecord> GetJobRun(int64_t id) = 0;  // NotFound
  // Matching runs, newest (highest id) first.
  virtual Result<std::vector<JobRunRecord>> ListJobRuns(const JobRunFilter& filter) = 0;

  // ---- A/B experiments: the record and its variants are written together.
  // AlreadyExists when the id is taken.
  virtual Status InsertExperiment(const ExperimentRecord& experiment) = 0;
  // Replaces every field of experiment `experiment.id`; NotFound when there is none.
  virtual Status UpdateExperiment(const ExperimentRecord& experiment) = 0;
  virtual Result<ExperimentRecord> GetExperiment(std::string_view id) = 0;  // NotFound
  // Every experiment, ordered by id.
  virtual Result<std::vector<ExperimentRecord>> ListExperiments() = 0;
  // Returns 1, or 0 when there was no such experiment.
  virtual Result<int64_t> DeleteExperiment(std::string_view id) = 0;

  // ---- scenarios (serving/scenario.h)
  // AlreadyExists when a scenario of that name exists (nothing is written then).
  virtual Status InsertScenario(const ScenarioRecord& scenario) = 0;
  // Replaces the configuration and `updated` (keeps `created`); NotFound when there is none.
  virtual Status UpdateScenario(const ScenarioRecord& scenario) = 0;
  virtual Result<ScenarioRecord> GetScenario(std::string_view name) = 0;  // NotFound
  // Every scenario, ordered by name.
  virtual Result<std::vector<ScenarioRecord>> ListScenarios() = 0;
  // Returns 1, or 0 when there was no such scenario.
  virtual Result<int64_t> DeleteScenario(std::string_view name) = 0;

  // Ok when the backend is reachable (readiness probe).
  virtual Status Ping() = 0;
  // Writable unless the store is read-only or its last write failed for lack of disk space (the
  // next write that commits clears that). Backends that cannot tell answer writable.
  virtual StoreWritability Writability() { return {}; }
  // Flushes and closes; later calls fail with Unavailable. Idempotent.
  virtual void Close() = 0;
};

}  // namespace reco
