#include "store/postgres/postgres_store.h"

#include <functional>

#include "core/sha256.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/postgres_store_impl.h"

namespace reco {

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresStoreOptions& options) {
  if (!pg::IsPostgresUrl(options.url)) {
    return InvalidArgument(
        "store.url: \"" + pg::MaskUrl(options.url) + "\" is not a postgres:// or postgresql:// URL",
        "store.url");
  }
  if (options.pool_size < 1) {
    return InvalidArgument("store.pool_size: must be at least 1", "store.pool_size");
  }
  auto store = std::make_unique<pg::PostgresStore>(options);
  RECO_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

std::string TenantSchema(std::string_view tenant) {
  if (tenant.empty() || tenant == "default") return "";
  std::string schema = "t_" + std::string(tenant);
  if (schema.size() <= 63) return schema;
  return schema.substr(0, 50) + "_" + Sha256Hex(tenant).substr(0, 12);
}

Status DropTenantSchema(const std::string& url, std::string_view tenant) {
  const std::string schema = TenantSchema(tenant);
  if (schema.empty()) return InvalidArgument("tenant: the default tenant's tables are kept");
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConn> conn,
                        pg::PgConn::Connect(url, pg::MaskUrl(url)));
  return conn->Exec("DROP SCHEMA IF EXISTS " + pg::QuoteIdent(schema) + " CASCADE");
}

}  // namespace reco

namespace reco::pg {
namespace {

// Bounds of one group commit.

// Rows fetched per round trip by the scans.
constexpr int kScanChunkRows = 20'000;

}  // namespace

void ConnPool::Add(std::unique_ptr<PgConn> conn) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(conn));
  ++total_;
  cv_.notify_one();
}

ConnPool::Lease ConnPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !free_.empty(); });
  if (closed_) return {};
  std::unique_ptr<PgConn> conn = std::move(free_.back());
  free_.pop_back();
  lock.unlock();
  if (conn->Broken()) conn->Reset().ok();  // a failed reconnect fails the call that uses it
  return Lease(this, std::move(conn));
}

void ConnPool::Release(std::unique_ptr<PgConn> conn) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(conn));
  cv_.notify_all();
}

void ConnPool::Close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return free_.size() == total_; });
  free_.clear();
  total_ = 0;
}

PostgresStore::PostgresStore(PostgresStoreOptions options)
    : options_(std::move(options)), masked_url_(MaskUrl(options_.url)) {}

Result<std::unique_ptr<PgConn>> PostgresStore::Connect() {
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<PgConn> conn, PgConn::Connect(options_.url, masked_url_));
  RECO_RETURN_IF_ERROR(PrepareSession(*conn));
  return conn;
}

Status PostgresStore::PrepareSession(PgConn& conn) {
  if (!options_.schema.empty()) {
    RECO_RETURN_IF_ERROR(conn.Exec("SET search_path TO " + QuoteIdent(options_.schema)));
  }
  if (options_.read_only) RECO_RETURN_IF_ERROR(conn.Exec("SET default_transaction_read_only = on"));
  // Room for the staging tables (temp_buffers must be set before the session's first temporary
  // table), the sorts of a batch and an import's index builds without spilling to disk.
  return conn.Exec(
      "SET temp_buffers = '256MB'; SET work_mem = '64MB'; SET maintenance_work_mem = '256MB'");
}

Status PostgresStore::Init() {
  const Clock& clock = options_.clock != nullptr ? *options_.clock : SystemClock::Get();
  std::lock_guard lock(writer_mu_);
  RECO_ASSIGN_OR_RETURN(writer_, Connect());
  Status st = options_.read_only ? CheckSchemaCurrent(*writer_)
                                 : MigrateSchema(*writer_, options_.schema, clock.NowMicros());
  if (st.ok()) st = ReadyWriter();
  if (!st.ok()) {
    writer_.reset();
    return st;
  }
  for (int i = 0; i < options_.pool_size; ++i) {
    auto reader = Connect();
    if (!reader.ok()) {
      writer_.reset();
      readers_.Close();
      return reader.status();
    }
    readers_.Add(std::move(reader).value());
  }
  return Status::Ok();
}

Status PostgresStore::ReadyWriter() {
  if (writer_ == nullptr) return Unavailable("store is closed");
  if (writer_->Broken()) {
    writer_staged_ = false;
    RECO_RETURN_IF_ERROR(writer_->Reset());
    RECO_RETURN_IF_ERROR(PrepareSession(*writer_));
  }
  if (writer_staged_ || options_.read_only) return Status::Ok();
  // Staging tables of this session for COPY; emptied at every commit.
  RECO_RETURN_IF_ERROR(writer_->Exec(
      "CREATE TEMP TABLE IF NOT EXISTS users_stage(ord bigint, user_id text COLLATE \"C\","
      "  labels text, comment text) ON COMMIT DELETE ROWS;"
      "CREATE TEMP TABLE IF NOT EXISTS items_stage(ord bigint, item_id text COLLATE \"C\","
      "  is_hidden boolean, categories text, labels text, ts bigint, comment text)"
      "  ON COMMIT DELETE ROWS;"
      "CREATE TEMP TABLE IF NOT EXISTS feedback_stage(ord bigint, first_ord bigint,"
      "  feedback_type text COLLATE \"C\", user_id text COLLATE \"C\","
      "  item_id text COLLATE \"C\", value double precision, ts bigint, comment text)"
      "  ON COMMIT DELETE ROWS;"));
  writer_staged_ = true;
  return Status::Ok();
}

Result<int64_t> PostgresStore::RunQueued(WriteOp& op) {
  if (options_.read_only) {
    if (options_.on_write_failure) options_.on_write_failure(kWriteFailureReadOnly);
    return Unavailable("the PostgreSQL store " + masked_url_ + " was opened read-only");
  }
  return queue_.Run(op, [this] { return RunGroup(); });
}

size_t PostgresStore::RunGroup() {
  std::lock_guard lock(writer_mu_);
  Status st = ReadyWriter();
  // Taken only now: the calls that queued up while the previous group committed join.
  const std::vector<WriteOp*> group = queue_.Take();
  if (st.ok()) {
    RunInTxn(group);
  } else {
    for (WriteOp* op : group) op->result = st;
  }
  NoteGroupOutcome(group);
  return group.size();
}

void PostgresStore::RunInTxn(std::span<WriteOp* const> group) {
  PgConn& conn = *writer_;
  auto fail_all = [&](const Status& st) {
    for (WriteOp* op : group) {
      if (!op->result.has_value() || op->result->ok()) op->result = st;
    }
  };
  if (Status st = conn.Exec("BEGIN"); !st.ok()) return fail_all(st);
  // A lone call needs no savepoint: its failure rolls the transaction back.
  const bool savepoints = group.size() > 1;
  bool any_ok = false;
  for (WriteOp* op : group) {
    if (savepoints) {
      if (Status st = conn.Exec("SAVEPOINT op"); !st.ok()) {
        conn.Exec("ROLLBACK").ok();
        return fail_all(st);
      }
    }
    op->result = op->fn(conn);
    if (!savepoints) break;
    Status end = conn.Exec(op->result->ok() ? "RELEASE SAVEPOINT op"
                                            : "ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op");
    if (!end.ok()) {
      conn.Exec("ROLLBACK").ok();
      return fail_all(end);
    }
    any_ok = any_ok || op->result->ok();
  }
  if (!savepoints) any_ok = group[0]->result->ok();
  if (!any_ok) {
    conn.Exec("ROLLBACK").ok();
    return;
  }
  if (Status st = conn.Exec("COMMIT"); !st.ok()) {
    conn.Exec("ROLLBACK").ok();
    return fail_all(st);  // nothing of the group is durable
  }
  group_commits_.fetch_add(1, std::memory_order_relaxed);
  if (disk_full_.exchange(false)) {
    std::lock_guard state_lock(state_mu_);
    disk_full_message_.clear();
  }
}

void PostgresStore::NoteGroupOutcome(std::span<WriteOp* const> group) {
  for (const WriteOp* op : group) {
    const Status& st = op->result->status();
    std::string_view reason;
    switch (st.code()) {
      case StatusCode::kInsufficientStorage:
        reason = kWriteFailureDiskFull;
        disk_full_.store(true);
        {
          std::lock_guard state_lock(state_mu_);
          disk_full_message_ = st.message();
        }
        break;
      case StatusCode::kUnavailable:
        reason = kWriteFailureUnavailable;
        break;
      case StatusCode::kInternal:
      case StatusCode::kDataLoss:
        reason = kWriteFailureError;
        break;
      default:
        break;  // the call's own arguments (not found, invalid, exists): not counted
    }
    if (!reason.empty() && options_.on_write_failure) options_.on_write_failure(reason);
  }
}

StoreWritability PostgresStore::Writability() {
  StoreWritability w;
  if (options_.read_only) {
    w.writable = false;
    w.read_only = true;
    w.read_only_requested = true;
    w.reason = "read_only";
    w.message = "the PostgreSQL store " + masked_url_ + " was opened read-only";
  } else if (disk_full_.load()) {
    w.writable = false;
    w.reason = "disk_full";
    std::lock_guard lock(state_mu_);
    w.message = disk_full_message_;
  }
  return w;
}

Status PostgresStore::ScanCursor(const std::string& select,
                                 const std::function<Status(const PgResult&)>& chunk) {
  ConnPool::Lease conn = readers_.Acquire();
  if (!conn) return Unavailable("store is closed");
  RECO_RETURN_IF_ERROR(conn->Exec("BEGIN"));
  Status st = [&]() -> Status {
    RECO_RETURN_IF_ERROR(conn->Exec("DECLARE reco_scan NO SCROLL CURSOR FOR " + select));
    const std::string fetch = "FETCH " + std::to_string(kScanChunkRows) + " FROM reco_scan";
    while (true) {
      RECO_ASSIGN_OR_RETURN(PgResult rows, conn->Simple(fetch));
      if (rows.Rows() == 0) return Status::Ok();
      RECO_RETURN_IF_ERROR(chunk(rows));
    }
  }();
  conn->Exec(st.ok() ? "COMMIT" : "ROLLBACK").ok();
  return st;
}

void PostgresStore::Close() {
  {
    std::lock_guard lock(writer_mu_);
    writer_.reset();
  }
  readers_.Close();
}

Status PostgresStore::Ping() {
  return Read<int64_t>([](PgConn& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query("SELECT 1"));
           return res.Int(0, 0);
         })
      .status();
}

Result<int64_t> PostgresStore::MaxFeedbackSeq() {
  return Read<int64_t>([](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res, conn.Query("SELECT value FROM store_counters WHERE name = 'feedback_seq'"));
    return res.Int(0, 0);
  });
}

Result<StoreCounts> PostgresStore::Counts() {
  return Read<StoreCounts>([](PgConn& conn) -> Result<StoreCounts> {
    RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query("SELECT (SELECT count(*) FROM users),"
                                                   " (SELECT count(*) FROM items),"
                                                   " (SELECT count(*) FROM feedback)"));
    return StoreCounts{res.Int(0, 0), res.Int(0, 1), res.Int(0, 2)};
  });
}

}  // namespace reco::pg
