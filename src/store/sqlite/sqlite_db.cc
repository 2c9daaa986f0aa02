#include "store/sqlite/sqlite_db.h"

#include <utility>

namespace reco::sqlite {

namespace {

// The Status of result code `rc` with the message `msg` (see ErrorStatus).
Status StatusFor(int rc, std::string msg) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Unavailable(std::move(msg));
    case SQLITE_FULL:
      return InsufficientStorage(
          std::move(msg) +
          "; the disk holding the database is full, the write was not saved (free disk space: "
          "writes resume by themselves)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(std::move(msg));
    default:
      return Internal(std::move(msg));
  }
}

}  // namespace

Status ErrorStatus(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if (file != nullptr && *file != '\0' && what.find(file) == std::string_view::npos) {
    msg += " (";
    msg += file;
    msg += ")";
  }
  return StatusFor(rc, std::move(msg));
}

Status Stmt::Run(std::string_view what) {
  int rc;
  while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return ErrorStatus(db_, rc, what);
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::filesystem::path& path, bool create,
                                                     int busy_timeout_ms, bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX;
  if (read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  }
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = ErrorStatus(db, rc, "cannot open database " + path.string());
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 0);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::make_unique<Connection>(db, path);
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string what = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return StatusFor(rc, "sqlite: " + what + " (" + path_.string() + ")");
}

Result<Stmt> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    sqlite3_clear_bindings(it->second);
    return Stmt(db_, it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(db_, rc, "prepare");
  cache_.emplace(sql, stmt);
  return Stmt(db_, stmt);
}

Result<int64_t> Connection::QueryInt(const std::string& sql) {
  RECO_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  int rc = stmt.Step();
  if (rc == SQLITE_ROW) return stmt.Int(0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return stmt.Error(rc, "query");
}

WriteTxn::~WriteTxn() {
  if (open_) sqlite3_exec(conn_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status WriteTxn::Begin() {
  RECO_RETURN_IF_ERROR(conn_.Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status WriteTxn::Commit() {
  Status st = conn_.Exec("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace reco::sqlite
