// PgConn: one libpq connection of the PostgreSQL Store backend, with the statements it needs:
// simple queries, parameterised queries prepared once per connection (by their text), and
// COPY FROM STDIN. Errors become Status values by SQLSTATE (PgError).
//
// Thread-safety: a PgConn is used by one thread at a time (the store's writer lock or a pool
// lease). PgResult is an owned, immutable query result. Lifetime: the connection closes with
// the object.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace reco::pg {

// True for "postgres://..." and "postgresql://..." URLs.
bool IsPostgresUrl(std::string_view url);
// The URL with its password replaced by "***" (in the user-info part and in a `password=`
// query parameter): "postgres://reco:***@host:5432/db". Safe to log and to put in errors.
std::string MaskUrl(std::string_view url);

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* res) : res_(res, &PQclear) {}

  const PGresult* get() const { return res_.get(); }
  ExecStatusType StatusType() const {
    return res_ ? PQresultStatus(res_.get()) : PGRES_FATAL_ERROR;
  }
  int Rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::string_view Text(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col),
            static_cast<size_t>(PQgetlength(res_.get(), row, col))};
  }
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }
  // Rows a command changed (PQcmdTuples); 0 when it reports none.
  int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_{nullptr, &PQclear};
};

// The parameters of one statement ($1, $2, ...), sent as text; nullopt is SQL NULL.
class Params {
 public:
  Params& Add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& Add(const char* v) { return Add(std::string_view(v)); }
  Params& Add(int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& Add(int v) { return Add(static_cast<int64_t>(v)); }
  Params& Add(double v);
  Params& Add(bool v) {
    values_.emplace_back(v ? "t" : "f");
    return *this;
  }
  Params& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <typename T>
  Params& AddOptional(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// Appends `s` to `out` escaped for COPY's text format (backslash, tab, newline, CR).
void AppendCopyText(std::string& out, std::string_view s);

class PgConn {
 public:
  // Connects to `url` (a libpq URI). The error names `masked_url`, never the password.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url,
                                                 const std::string& masked_url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One or more statements without parameters (BEGIN, SAVEPOINT, DDL).
  Status Exec(std::string_view sql);
  // One statement without parameters, not prepared (DECLARE, FETCH); returns its rows.
  Result<PgResult> Simple(const std::string& sql);
  // A statement with parameters, prepared on this connection the first time its text is seen.
  Result<PgResult> Query(const std::string& sql, const Params& params = {});
  // Query() returning the number of rows the command changed.
  Result<int64_t> Command(const std::string& sql, const Params& params = {});
  // Runs `copy_sql` (COPY ... FROM STDIN) and sends `data` (COPY text format rows).
  Status CopyIn(const std::string& copy_sql, std::string_view data);

  // The connection was lost; Reset() reconnects (prepared statements and temporary tables of
  // the old session are gone).
  bool Broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  Status Reset();
  const std::string& masked_url() const { return masked_url_; }

 private:
  PgConn(PGconn* conn, std::string masked_url) : conn_(conn), masked_url_(std::move(masked_url)) {}
  Status ErrorOf(const PGresult* res, std::string_view what) const;

  PGconn* conn_;
  std::string masked_url_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace reco::pg
