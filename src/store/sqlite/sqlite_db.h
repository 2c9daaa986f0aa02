// Thin RAII layer over the SQLite C API used by the sqlite Store backend: a Connection owns a
// sqlite3 handle and a cache of prepared statements; a Stmt is a borrowed statement that resets
// itself when it goes out of scope; a WriteTxn rolls back unless committed.
//
// Thread-safety: a Connection (and its statements) is used by one thread at a time; the
// store hands connections out under a mutex (writer) or a pool (readers).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace reco::sqlite {

// Maps an SQLite result code to a Status: busy/locked/cannot-open/read-only → Unavailable,
// full → InsufficientStorage (the disk holding the database is full; the message says so and
// that writes resume once there is room), corrupt/not-a-database → DataLoss, everything else →
// Internal. `what` prefixes the message; the database file is named when `db` is given.
Status ErrorStatus(sqlite3* db, int rc, std::string_view what);

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt() {
    if (stmt_ != nullptr) sqlite3_reset(stmt_);
  }

  // Parameters are 1-based. Text is bound without copying: it must stay alive until the next
  // Step()/Reset().
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  void Reset() { sqlite3_reset(stmt_); }

  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Runs to completion (no rows expected); non-done results become a Status.
  Status Run(std::string_view what);

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (p == nullptr) return {};
    return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  Status Error(int rc, std::string_view what) const { return ErrorStatus(db_, rc, what); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating when `create`) the database file with the given pragmas applied;
  // `read_only` opens it with SQLITE_OPEN_READONLY (every write then fails).
  static Result<std::unique_ptr<Connection>> Open(const std::filesystem::path& path, bool create,
                                                  int busy_timeout_ms, bool read_only = false);
  // Takes ownership of `db`.
  Connection(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(const std::string& sql);
  // A cached prepared statement, reset, with all parameters NULL, ready to bind.
  Result<Stmt> Prepare(const std::string& sql);
  // Runs `sql` and returns the first column of the first row (0 when there is no row).
  Result<int64_t> QueryInt(const std::string& sql);

  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* db() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  sqlite3* db_;
  std::filesystem::path path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE ... COMMIT; the destructor rolls back an uncommitted transaction.
class WriteTxn {
 public:
  explicit WriteTxn(Connection& conn) : conn_(conn) {}
  ~WriteTxn();
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  Status Begin();
  Status Commit();

 private:
  Connection& conn_;
  bool open_ = false;
};

}  // namespace reco::sqlite
