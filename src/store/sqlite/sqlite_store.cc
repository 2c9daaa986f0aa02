#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco {

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  if (options.path.empty()) return InvalidArgument("sqlite store: empty database path", "path");
  if (options.reader_connections < 1) {
    return InvalidArgument("sqlite store: reader_connections must be at least 1",
                           "reader_connections");
  }
  auto store = std::make_unique<sqlite::SqliteStore>(options);
  Status st = store->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace reco

namespace reco::sqlite {
namespace {

// Bounds of one group commit.

std::string Pragma(std::string_view name, int64_t value) {
  return "PRAGMA " + std::string(name) + " = " + std::to_string(value);
}

}  // namespace

Result<int64_t> SqliteStore::RunQueued(WriteOp& op) {
  if (read_only_) {
    ReportWriteFailure(kWriteFailureReadOnly);
    return Unavailable(read_only_message_);
  }
  return queue_.Run(op, [this] { return RunGroup(); });
}

size_t SqliteStore::QueuedWrites() {
  return queue_.size();
}

Status SqliteStore::BeginGroup(WriteTxn& txn) {
  RECO_RETURN_IF_ERROR(txn.Begin());
  return SyncWithOtherWriters(*writer_);
}

size_t SqliteStore::RunGroup() {
  std::lock_guard lock(writer_mu_);
  std::optional<WriteTxn> txn;
  Status st = Unavailable("store is closed");
  if (writer_ != nullptr) st = BeginGroup(txn.emplace(*writer_));
  // Taken only now: the calls that queued up while the transaction waited for the lock join.
  const std::vector<WriteOp*> group = queue_.Take();
  std::vector<WriteOp*> pending = group;
  while (st.ok()) {
    pending = RunInTxn(*txn, pending);
    if (pending.empty()) break;
    st = BeginGroup(txn.emplace(*writer_));  // the previous transaction rolls back first
  }
  if (!st.ok()) {
    for (WriteOp* op : pending) op->result = st;
  }
  NoteGroupOutcome(group);
  return group.size();
}

std::vector<SqliteStore::WriteOp*> SqliteStore::RunInTxn(WriteTxn& txn,
                                                         std::span<WriteOp* const> ops) {
  Connection& conn = *writer_;
  const int64_t seq_before = seq_;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (RunOp(conn, *ops[i], /*alone=*/ops.size() == 1)) continue;
    // ops[i] failed after writing: drop the transaction and run the others again without it.
    RollbackIds(seq_before);
    std::vector<WriteOp*> rerun;
    for (size_t k = 0; k < ops.size(); ++k) {
      if (k > i || (k < i && ops[k]->result->ok())) rerun.push_back(ops[k]);
    }
    return rerun;
  }
  Status st = Status::Ok();
  if (seq_ != seq_before) st = SaveSeq(conn);
  if (st.ok()) st = txn.Commit();
  if (st.ok()) {
    users_.Commit();
    items_.Commit();
    types_.Commit();
    group_commits_.fetch_add(1, std::memory_order_relaxed);
    NoteCommitted();
    return {};
  }
  RollbackIds(seq_before);
  // Nothing of the group is durable: the calls that succeeded get the error.
  for (WriteOp* op : ops) {
    if (op->result->ok()) op->result = st;
  }
  return {};
}

bool SqliteStore::RunOp(Connection& conn, WriteOp& op, bool alone) {
  const int64_t seq_before = seq_;
  const IdIndex::Mark marks[] = {users_.MarkNow(), items_.MarkNow(), types_.MarkNow()};
  const int64_t changes_before = sqlite3_total_changes64(conn.db());
  op.result = op.fn(conn);
  if (op.result->ok()) return true;
  seq_ = seq_before;
  {
    std::unique_lock ids_lock(ids_mu_);
    users_.RollbackTo(marks[0]);
    items_.RollbackTo(marks[1]);
    types_.RollbackTo(marks[2]);
  }
  // Most failures (unknown ids, missing rows) happen before the call wrote anything; then the
  // rest of the group goes on in the same transaction. A solo call may have changed the schema.
  const bool wrote = alone || op.solo || sqlite3_total_changes64(conn.db()) != changes_before ||
                     sqlite3_get_autocommit(conn.db()) != 0;
  return !wrote;
}

void SqliteStore::RollbackIds(int64_t seq) {
  seq_ = seq;
  std::unique_lock ids_lock(ids_mu_);
  users_.Rollback();
  items_.Rollback();
  types_.Rollback();
}

Status SqliteStore::ConfigureWriter() {
  Connection& conn = *writer_;
  RECO_RETURN_IF_ERROR(conn.Exec("PRAGMA page_size = 4096"));
  {
    RECO_ASSIGN_OR_RETURN(Stmt wal, conn.Prepare("PRAGMA journal_mode = WAL"));
    int rc = wal.Step();
    if (rc != SQLITE_ROW) return wal.Error(rc, "set WAL mode");
    if (wal.Text(0) != "wal") {
      return FailedPrecondition("cannot use WAL mode for " + options_.path.string() +
                                " (journal mode stays \"" + std::string(wal.Text(0)) + "\")");
    }
  }
  RECO_RETURN_IF_ERROR(conn.Exec("PRAGMA synchronous = NORMAL"));
  RECO_RETURN_IF_ERROR(conn.Exec(Pragma("cache_size", -1024LL * options_.writer_cache_mib)));
  // The writer's large sorts (an import's index build, a migration's copy) spill sorted runs to
  // temporary files (SQLITE_TMPDIR, else /var/tmp or /tmp) instead of holding every row in
  // memory; it can only be set outside a transaction.
  RECO_RETURN_IF_ERROR(conn.Exec("PRAGMA temp_store = FILE"));
  RECO_RETURN_IF_ERROR(conn.Exec(Pragma("journal_size_limit", 64LL << 20)));
  RECO_RETURN_IF_ERROR(conn.Exec(Pragma("wal_autocheckpoint", options_.wal_autocheckpoint_pages)));
  if (options_.max_pages > 0) {
    RECO_RETURN_IF_ERROR(conn.Exec(Pragma("max_page_count", options_.max_pages)));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> SqliteStore::OpenReader() {
  RECO_ASSIGN_OR_RETURN(auto conn, Connection::Open(options_.path, /*create=*/false,
                                                    options_.busy_timeout_ms, read_only_));
  RECO_RETURN_IF_ERROR(conn->Exec(Pragma("cache_size", -1024LL * options_.reader_cache_mib)));
  RECO_RETURN_IF_ERROR(conn->Exec("PRAGMA temp_store = MEMORY"));
  RECO_RETURN_IF_ERROR(conn->Exec(Pragma("mmap_size", 256LL << 20)));
  RECO_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = 1"));
  return conn;
}

Status SqliteStore::Init() {
  const Clock& clock = options_.clock != nullptr ? *options_.clock : SystemClock::Get();
  std::lock_guard lock(writer_mu_);
  Status st = OpenWriter();
  if (st.ok() && read_only_) {
    st = CheckSchemaReadOnly(*writer_);
  } else if (st.ok()) {
    st = ConfigureWriter();
    if (st.ok()) st = MigrateSchema(*writer_, LatestSchemaVersion(), clock.NowMicros());
  }
  if (st.ok()) st = LoadIds(*writer_);
  if (!st.ok()) {
    writer_.reset();
    return st;
  }
  for (int i = 0; i < options_.reader_connections; ++i) {
    auto reader = OpenReader();
    if (!reader.ok()) {
      writer_.reset();
      readers_.Close();
      return reader.status();
    }
    readers_.Add(std::move(reader).value());
  }
  return Status::Ok();
}

Status SqliteStore::LoadIds(Connection& conn) {
  struct Source {
    IdIndex* index;
    const char* sql;
  };
  const Source sources[] = {{&users_, "SELECT idx, user_id FROM users"},
                            {&items_, "SELECT idx, item_id FROM items"},
                            {&types_, "SELECT idx, name FROM feedback_types"}};
  std::vector<IdIndex> fresh(std::size(sources));
  for (size_t s = 0; s < std::size(sources); ++s) {
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sources[s].sql));
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) fresh[s].Load(stmt.Int(0), stmt.Text(1));
    if (rc != SQLITE_DONE) return stmt.Error(rc, "load ids");
  }
  RECO_ASSIGN_OR_RETURN(
      seq_, conn.QueryInt("SELECT value FROM store_counters WHERE name = 'feedback_seq'"));
  RECO_ASSIGN_OR_RETURN(data_version_, conn.QueryInt("PRAGMA data_version"));
  RECO_ASSIGN_OR_RETURN(ids_fingerprint_, IdsFingerprint(conn));
  std::unique_lock ids_lock(ids_mu_);
  for (size_t s = 0; s < std::size(sources); ++s) {
    sources[s].index->ReplaceWith(std::move(fresh[s]));
  }
  return Status::Ok();
}

// Changes whenever another process adds or removes a user, item or feedback type: the count,
// the highest index and the length of the id at that index of each id table (a re-used highest
// index after a delete is caught unless the new id has the same length). Cheap next to
// reloading the id tables.
Result<std::string> SqliteStore::IdsFingerprint(Connection& conn) {
  std::string fingerprint;
  for (const auto& [table, column] : {std::pair{"users", "user_id"}, std::pair{"items", "item_id"},
                                      std::pair{"feedback_types", "name"}}) {
    const std::string sql = std::string(
                                "SELECT count(*) * 1000003 + ifnull(max(idx), 0) * 131 + "
                                "ifnull((SELECT length(") +
                            column + ") FROM " + table + " ORDER BY idx DESC LIMIT 1), 0) FROM " +
                            table;
    RECO_ASSIGN_OR_RETURN(int64_t v, conn.QueryInt(sql));
    fingerprint += std::to_string(v) + ",";
  }
  return fingerprint;
}

Status SqliteStore::SyncWithOtherWriters(Connection& conn) {
  RECO_ASSIGN_OR_RETURN(int64_t version, conn.QueryInt("PRAGMA data_version"));
  if (version == data_version_) return Status::Ok();
  // Another process committed. Reload the id tables only when they changed (a worker's lease
  // renewals and job-run updates do not touch them); the feedback sequence is always re-read.
  RECO_ASSIGN_OR_RETURN(std::string fingerprint, IdsFingerprint(conn));
  if (fingerprint != ids_fingerprint_) return LoadIds(conn);
  RECO_ASSIGN_OR_RETURN(
      seq_, conn.QueryInt("SELECT value FROM store_counters WHERE name = 'feedback_seq'"));
  data_version_ = version;
  return Status::Ok();
}

Status SqliteStore::RefreshIds() {
  std::lock_guard lock(writer_mu_);
  if (writer_ == nullptr) return Unavailable("store is closed");
  return LoadIds(*writer_);
}

Status SqliteStore::SaveSeq(Connection& conn) {
  RECO_ASSIGN_OR_RETURN(
      Stmt stmt, conn.Prepare("UPDATE store_counters SET value = ? WHERE name = 'feedback_seq'"));
  stmt.Bind(1, seq_);
  return stmt.Run("save feedback sequence");
}

void SqliteStore::Close() {
  {
    std::lock_guard lock(writer_mu_);
    if (writer_ != nullptr) {
      writer_->Exec("PRAGMA optimize").ok();
      writer_.reset();
    }
  }
  readers_.Close();
}

Status SqliteStore::Ping() {
  auto r = Read<int64_t>([](Connection& conn) { return conn.QueryInt("SELECT 1"); });
  return r.status();
}

Result<int64_t> SqliteStore::MaxFeedbackSeq() {
  return Read<int64_t>([](Connection& conn) {
    return conn.QueryInt("SELECT value FROM store_counters WHERE name = 'feedback_seq'");
  });
}

Result<StoreCounts> SqliteStore::Counts() {
  return Read<StoreCounts>([](Connection& conn) -> Result<StoreCounts> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare("SELECT (SELECT count(*) FROM users),"
                                                  " (SELECT count(*) FROM items),"
                                                  " (SELECT count(*) FROM feedback)"));
    int rc = stmt.Step();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "count rows");
    return StoreCounts{stmt.Int(0), stmt.Int(1), stmt.Int(2)};
  });
}

}  // namespace reco::sqlite
