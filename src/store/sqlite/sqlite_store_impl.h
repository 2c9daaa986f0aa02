// SqliteStore: the Store implementation behind OpenSqliteStore (private to this directory).
//
// Concurrency: write calls queue up (store/group_commit_queue.h); the call at the front leads a
// group of the calls queued behind it, runs them in order on the writer connection (writer_mu_) in one
// transaction, commits once and hands each call its own result, exactly as if the calls had run
// one after another. Reads borrow a connection from readers_. The interned id tables are guarded by
// ids_mu_ (exclusive to modify — only ever done while holding writer_mu_ — shared to read).
// Lifetime: Close() takes the writer and every reader back, then closes them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "store/sqlite/id_index.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/group_commit_queue.h"
#include "store/import_stream.h"
#include "store/store.h"

namespace reco::sqlite {

class SqliteStore final : public Store, public StreamingImport {
 public:
  explicit SqliteStore(SqliteStoreOptions options) : options_(std::move(options)) {}
  ~SqliteStore() override { Close(); }

  // Opens the files, migrates the schema, loads the id tables.
  Status Init();

  Result<int64_t> InsertUsers(std::span<const User> users) override;
  Result<User> GetUser(std::string_view user_id) override;
  Result<int64_t> ModifyUser(std::string_view user_id, const UserPatch& patch) override;
  Result<int64_t> DeleteUser(std::string_view user_id) override;
  Result<Page<User>> ListUsers(std::string_view cursor, int n) override;

  Result<int64_t> InsertItems(std::span<const Item> items) override;
  Result<Item> GetItem(std::string_view item_id) override;
  Result<int64_t> ModifyItem(std::string_view item_id, const ItemPatch& patch) override;
  Result<int64_t> DeleteItem(std::string_view item_id) override;
  Result<int64_t> AddItemCategory(std::string_view item_id, std::string_view category) override;
  Result<int64_t> RemoveItemCategory(std::string_view item_id, std::string_view category) override;
  Result<Page<Item>> ListItems(std::string_view cursor, int n) override;

  Result<int64_t> InsertFeedback(std::span<const Feedback> feedback,
                                 const InsertFeedbackOptions& options) override;
  Result<Page<Feedback>> ListFeedback(const FeedbackFilter& filter, std::string_view cursor,
                                      int n) override;
  Result<int64_t> DeleteFeedback(const FeedbackFilter& filter) override;

  Status Import(std::span<const User> users, std::span<const Item> items,
                std::span<const Feedback> feedback, const InsertFeedbackOptions& options) override;
  Status ScanUsers(const std::function<void(const User&)>& fn) override;
  Status ScanItems(const std::function<void(const Item&)>& fn) override;
  Status ImportStream(const ImportChunkFn& next, const InsertFeedbackOptions& options) override;
  Status ScanFeedback(int64_t after_seq,
                      const std::function<void(const FeedbackRecord&)>& fn) override;
  Result<int64_t> MaxFeedbackSeq() override;
  Result<StoreCounts> Counts() override;

  // Scenarios: sqlite_scenarios.cc.
  Status InsertScenario(const ScenarioRecord& scenario) override;
  Status UpdateScenario(const ScenarioRecord& scenario) override;
  Result<ScenarioRecord> GetScenario(std::string_view name) override;
  Result<std::vector<ScenarioRecord>> ListScenarios() override;
  Result<int64_t> DeleteScenario(std::string_view name) override;

  // Leases and job runs: sqlite_jobs.cc.
  Result<bool> TryAcquireLease(std::string_view name, std::string_view holder, TimestampUs now,
                               int64_t ttl_us) override;
  Status ReleaseLease(std::string_view name, std::string_view holder) override;
  Result<LeaseRecord> GetLease(std::string_view name) override;
  Result<int64_t> InsertJobRun(const JobRunRecord& run) override;
  Status UpdateJobRun(const JobRunRecord& run) override;
  Result<int64_t> NextFencingToken() override;
  Result<int64_t> CurrentFencingToken() override;
  Result<bool> ClaimJobRun(int64_t id, std::string_view holder, TimestampUs now,
                           int64_t fencing_token) override;
  Result<JobRunRecord> GetJobRun(int64_t id) override;
  Result<std::vector<JobRunRecord>> ListJobRuns(const JobRunFilter& filter) override;

  // A/B experiments: sqlite_experiments.cc.
  Status InsertExperiment(const ExperimentRecord& experiment) override;
  Status UpdateExperiment(const ExperimentRecord& experiment) override;
  Result<ExperimentRecord> GetExperiment(std::string_view id) override;
  Result<std::vector<ExperimentRecord>> ListExperiments() override;
  Result<int64_t> DeleteExperiment(std::string_view id) override;

  Status Ping() override;
  StoreWritability Writability() override;
  // Write calls waiting or running, and transactions committed so far (tests, metrics).
  size_t QueuedWrites();
  int64_t GroupCommits() const { return group_commits_.load(std::memory_order_relaxed); }
  void Close() override;

 private:
  // A feedback row of a batch, resolved to its interned key; `row` indexes the batch.
  struct KeyedRow {
    int64_t user;
    int64_t item;
    int64_t type;
    size_t row;
  };
  // A scanned feedback row; its comment is [comment_offset, +comment_size) of a shared buffer.
  struct ScannedRow {
    int64_t seq;
    int64_t user;
    int64_t item;
    int64_t type;
    double value;
    int64_t timestamp;
    uint32_t comment_offset;
    uint32_t comment_size;
  };
  // The resolved filter; `empty` when it names an id that does not exist.
  struct ResolvedFilter {
    int64_t user = -1;
    int64_t item = -1;
    int64_t type = -1;
    bool empty = false;
  };

  // One queued write call: `fn` runs on the writer connection inside a transaction.
  struct WriteOp {
    std::function<Result<int64_t>(Connection&)> fn;
    size_t rows = 1;    // weight against the group's row bound
    bool solo = false;  // runs in a transaction of its own (bulk import)
    std::optional<Result<int64_t>> result;
    bool done = false;  // result is set (guarded by the queue)
    std::condition_variable cv;
  };

  // Runs `fn(writer)` atomically: committed with the other calls of its group, or (on failure)
  // undone alone together with its id-table changes and sequence numbers. Returns only after
  // the group's COMMIT. `rows` is the call's size (bounds group sizes).
  template <typename Fn>
  Result<int64_t> Write(Fn&& fn, size_t rows = 1, bool solo = false);
  Result<int64_t> RunQueued(WriteOp& op);
  // BEGIN IMMEDIATE and reload the id tables if another process wrote (writer_mu_ held).
  Status BeginGroup(WriteTxn& txn);
  // Leads a group (takes writer_mu_): sets the result of each of its ops, returns their number.
  size_t RunGroup();
  // Runs `ops` in order in the open transaction and commits once. An op that fails before
  // writing is undone alone (its id-table changes and sequence numbers); one that fails after
  // writing aborts the transaction: the returned ops (the others without a final result) must
  // then run again in a new one, which gives each the result it would have had without it.
  std::vector<WriteOp*> RunInTxn(WriteTxn& txn, std::span<WriteOp* const> ops);
  // Runs `op`; false when it failed and the transaction must not commit (it wrote something,
  // ran `alone`, is solo, or SQLite ended the transaction).
  bool RunOp(Connection& conn, WriteOp& op, bool alone);
  // Undoes the id-table changes of the transaction and resets the sequence counter to `seq`.
  void RollbackIds(int64_t seq);
  // Runs `fn(reader)` on a pooled reader connection.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn);

  // Opens writer_: read-only when asked, or when the database turns out not to be writable
  // (read_only_ and read_only_message_ then say why). Writability: sqlite_writability.cc.
  Status OpenWriter();
  // A write transaction that is rolled back: Ok, or why the database cannot be written.
  Status ProbeWrite(Connection& conn);
  // FailedPrecondition unless the read-only database has the latest schema.
  Status CheckSchemaReadOnly(Connection& conn);
  // Counts the group's failed calls (on_write_failure) and notes a full disk.
  void NoteGroupOutcome(std::span<WriteOp* const> group);
  // A commit went through: the disk is no longer full.
  void NoteCommitted();
  void ReportWriteFailure(std::string_view reason) const;

  Status ConfigureWriter();
  Result<std::unique_ptr<Connection>> OpenReader();
  // Reloads the id tables and the sequence counter from `conn` (writer_mu_ held).
  Status LoadIds(Connection& conn);
  Status SaveSeq(Connection& conn);
  // Reloads when another connection (another process) committed since our last look.
  Status SyncWithOtherWriters(Connection& conn);
  static Result<std::string> IdsFingerprint(Connection& conn);
  // Reloads the id tables when a reader met an index it cannot resolve.
  Status RefreshIds();

  // Writes (upserts) the rows; ids must be validated.
  Status WriteUsers(Connection& conn, std::span<const User> users);
  Status WriteItems(Connection& conn, std::span<const Item> items);
  Result<int64_t> EditItemCategories(std::string_view item_id, std::string_view category, bool add);
  // Interns the batch's ids, sorts by key and drops duplicate keys (first kept for insert,
  // last for overwrite).
  Result<std::vector<KeyedRow>> ResolveFeedback(std::span<const Feedback> feedback,
                                                const InsertFeedbackOptions& options);
  Status WriteNewIds(Connection& conn, const IdIndex& index, int64_t from_idx,
                     const std::string& sql);
  // `into_empty`: the table has no rows and no secondary indexes (a bulk load).
  Result<int64_t> WriteFeedback(Connection& conn, std::span<const Feedback> feedback,
                                const InsertFeedbackOptions& options, bool into_empty);
  // Appends resolved rows to an empty, index-free feedback table, each with the next seq.
  Result<int64_t> AppendFeedback(Connection& conn, std::span<const Feedback> feedback,
                                 const std::vector<KeyedRow>& rows);
  // Binds one row's 7 columns (user, item, type, value, timestamp, comment, seq) after the
  // first `first` parameters.
  static void BindFeedback(Stmt& stmt, int first, const KeyedRow& r, const Feedback& f,
                           int64_t seq);
  // Names `rows` in chunks and passes them to `fn`.
  Status EmitScanned(const std::vector<ScannedRow>& rows, const std::string& comments,
                     const std::function<void(const FeedbackRecord&)>& fn);
  ResolvedFilter ResolveFilter(const FeedbackFilter& filter);
  // Maps scanned integer keys back to ids; false when an index is unknown to this process.
  bool NameFeedback(int64_t user, int64_t item, int64_t type, Feedback& out);

  SqliteStoreOptions options_;

  GroupCommitQueue<WriteOp> queue_;
  std::atomic<int64_t> group_commits_{0};

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // null once closed
  int64_t data_version_ = 0;            // writer's PRAGMA data_version after our last write
  std::string ids_fingerprint_;         // IdsFingerprint() when the id tables were loaded
  int64_t seq_ = 0;                     // last feedback seq issued

  ReaderPool readers_;

  // Set by Init, constant afterwards.
  bool read_only_ = false;
  std::string read_only_message_;
  // The last write failed for lack of disk space (until a commit goes through).
  std::atomic<bool> disk_full_{false};
  std::mutex state_mu_;
  std::string disk_full_message_;  // guarded by state_mu_

  std::shared_mutex ids_mu_;
  IdIndex users_;
  IdIndex items_;
  IdIndex types_;
};

template <typename Fn>
Result<int64_t> SqliteStore::Write(Fn&& fn, size_t rows, bool solo) {
  WriteOp op;
  op.fn = std::forward<Fn>(fn);
  op.rows = rows;
  op.solo = solo;
  return RunQueued(op);
}

template <typename T, typename Fn>
Result<T> SqliteStore::Read(Fn&& fn) {
  ReaderPool::Lease lease = readers_.Acquire();
  if (!lease) return Unavailable("store is closed");
  return fn(*lease);
}

}  // namespace reco::sqlite
