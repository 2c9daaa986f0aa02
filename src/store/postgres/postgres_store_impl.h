// PostgresStore: the Store implementation behind OpenPostgresStore (private to this directory).
//
// Concurrency: write calls queue up (store/group_commit_queue.h); the call at the front leads a
// group of the calls queued behind it and runs them in order on the writer connection (writer_mu_) in one
// transaction, each inside a savepoint (a failed call is rolled back alone), commits once and
// hands each call its own result. Reads borrow a connection from the pool. Across processes,
// PostgreSQL's row locks serialise what must be (the feedback sequence counter, leases, claims).
// Lifetime: Close() takes the writer and every reader back, then disconnects them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/group_commit_queue.h"
#include "store/import_stream.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"

namespace reco::pg {

// A fixed set of connections shared by concurrent readers; Acquire() blocks until one is free
// and reconnects a connection that was lost. Close() waits for every lease, then disconnects.
class ConnPool {
 public:
  class Lease {
   public:
    Lease() = default;
    Lease(ConnPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    explicit operator bool() const { return conn_ != nullptr; }
    PgConn& operator*() const { return *conn_; }
    PgConn* operator->() const { return conn_.get(); }

   private:
    ConnPool* pool_ = nullptr;
    std::unique_ptr<PgConn> conn_;
  };

  void Add(std::unique_ptr<PgConn> conn);
  Lease Acquire();
  void Close();

 private:
  void Release(std::unique_ptr<PgConn> conn);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> free_;
  size_t total_ = 0;
  bool closed_ = false;
};

// Empties the session's staging table `table` before a batch of `rows` is copied into it. Large
// batches TRUNCATE: in a long transaction (a streamed import) DELETE would leave every earlier
// chunk's rows as dead tuples that each later scan of the table walks again; small batches (one
// feedback write) DELETE, which costs less for a few rows.
Status ClearStage(PgConn& conn, std::string_view table, size_t rows);

class PostgresStore final : public Store, public StreamingImport {
 public:
  explicit PostgresStore(PostgresStoreOptions options);
  ~PostgresStore() override { Close(); }

  // Connects, migrates the schema, fills the pool.
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

  // Feedback, import and scans: pg_feedback.cc.
  Result<int64_t> InsertFeedback(std::span<const Feedback> feedback,
                                 const InsertFeedbackOptions& options) override;
  Result<Page<Feedback>> ListFeedback(const FeedbackFilter& filter, std::string_view cursor,
                                      int n) override;
  Result<int64_t> DeleteFeedback(const FeedbackFilter& filter) override;
  Status Import(std::span<const User> users, std::span<const Item> items,
                std::span<const Feedback> feedback, const InsertFeedbackOptions& options) override;
  Status ImportStream(const ImportChunkFn& next, const InsertFeedbackOptions& options) override;
  Status ScanUsers(const std::function<void(const User&)>& fn) override;
  Status ScanItems(const std::function<void(const Item&)>& fn) override;
  Status ScanFeedback(int64_t after_seq,
                      const std::function<void(const FeedbackRecord&)>& fn) override;
  Result<int64_t> MaxFeedbackSeq() override;
  Result<StoreCounts> Counts() override;

  // Leases and job runs: pg_jobs.cc.
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

  // Experiments and scenarios: pg_experiments.cc.
  Status InsertExperiment(const ExperimentRecord& experiment) override;
  Status UpdateExperiment(const ExperimentRecord& experiment) override;
  Result<ExperimentRecord> GetExperiment(std::string_view id) override;
  Result<std::vector<ExperimentRecord>> ListExperiments() override;
  Result<int64_t> DeleteExperiment(std::string_view id) override;
  Status InsertScenario(const ScenarioRecord& scenario) override;
  Status UpdateScenario(const ScenarioRecord& scenario) override;
  Result<ScenarioRecord> GetScenario(std::string_view name) override;
  Result<std::vector<ScenarioRecord>> ListScenarios() override;
  Result<int64_t> DeleteScenario(std::string_view name) override;

  Status Ping() override;
  StoreWritability Writability() override;
  // Transactions committed by the writer so far (tests, metrics).
  int64_t GroupCommits() const { return group_commits_.load(std::memory_order_relaxed); }
  void Close() override;

 private:
  // One queued write call: `fn` runs on the writer connection inside the group's transaction.
  struct WriteOp {
    std::function<Result<int64_t>(PgConn&)> fn;
    size_t rows = 1;    // weight against the group's row bound
    bool solo = false;  // runs in a transaction of its own (bulk import)
    std::optional<Result<int64_t>> result;
    bool done = false;  // result is set (guarded by the queue)
    std::condition_variable cv;
  };

  template <typename Fn>
  Result<int64_t> Write(Fn&& fn, size_t rows = 1, bool solo = false) {
    WriteOp op;
    op.fn = std::forward<Fn>(fn);
    op.rows = rows;
    op.solo = solo;
    return RunQueued(op);
  }
  Result<int64_t> RunQueued(WriteOp& op);
  // Leads a group (takes writer_mu_): sets the result of each of its ops, returns their number.
  size_t RunGroup();
  // Runs the group in one transaction (writer_mu_ held).
  void RunInTxn(std::span<WriteOp* const> group);
  // Reconnects a lost writer and prepares its session (temporary staging tables).
  Status ReadyWriter();
  Status PrepareSession(PgConn& conn);
  void NoteGroupOutcome(std::span<WriteOp* const> group);

  // Runs `fn(conn)` on a pooled reader connection.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn) {
    ConnPool::Lease lease = readers_.Acquire();
    if (!lease) return Unavailable("store is closed");
    return fn(*lease);
  }
  // Streams the rows of `select` in chunks through a server-side cursor (one transaction).
  // `select` has no parameters (values are inlined by the caller).
  Status ScanCursor(const std::string& select, const std::function<Status(const PgResult&)>& chunk);
  Result<std::unique_ptr<PgConn>> Connect();

  // Upserts through the staging tables (COPY); the later of duplicate ids wins.
  Status WriteUsers(PgConn& conn, std::span<const User> users);
  Status WriteItems(PgConn& conn, std::span<const Item> items);
  // How WriteFeedback meets the table's key indexes.
  enum class KeyIndexes {
    kKept,      // maintained row by row; a stored key is a conflict (ignored or overwritten)
    kDeferred,  // Import: a large batch into an empty table builds them after the rows
    kDropped,   // ImportStream into an empty table: the caller dropped them and builds them
  };
  // Stages, checks (auto-insert off), inserts missing users/items, writes the rows with the
  // next sequence numbers. Returns the rows written.
  Result<int64_t> WriteFeedback(PgConn& conn, std::span<const Feedback> feedback,
                                const InsertFeedbackOptions& options, KeyIndexes indexes);
  Result<int64_t> EditItemCategories(std::string_view item_id, std::string_view category, bool add);

  PostgresStoreOptions options_;
  std::string masked_url_;

  GroupCommitQueue<WriteOp> queue_;
  std::atomic<int64_t> group_commits_{0};

  std::mutex writer_mu_;
  std::unique_ptr<PgConn> writer_;  // null once closed
  bool writer_staged_ = false;      // the writer session has its staging tables
  ConnPool readers_;

  std::atomic<bool> disk_full_{false};
  std::mutex state_mu_;
  std::string disk_full_message_;  // guarded by state_mu_
};

}  // namespace reco::pg
