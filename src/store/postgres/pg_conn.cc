#include "store/postgres/pg_conn.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace reco::pg {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void IgnoreNotice(void*, const char*) {}

// Status code of a SQLSTATE (https://www.postgresql.org/docs/15/errcodes-appendix.html).
StatusCode CodeOf(std::string_view state) {
  if (state.starts_with("08") || state.starts_with("57P")) return StatusCode::kUnavailable;
  if (state == "40001" || state == "40P01") return StatusCode::kUnavailable;  // retry
  if (state == "53100") return StatusCode::kInsufficientStorage;              // disk_full
  if (state.starts_with("53")) return StatusCode::kUnavailable;
  if (state == "25006") return StatusCode::kUnavailable;  // read-only transaction
  if (state == "23505") return StatusCode::kAlreadyExists;
  if (state.starts_with("22")) return StatusCode::kInvalidArgument;  // bad text (encoding)
  return StatusCode::kInternal;
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

std::string MaskUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    size_t query = out.find('?', start);
    if (query == std::string::npos) query = out.size();
    // The user info ends at the last '@' before the query (a raw '@' in a password included).
    const size_t at = out.rfind('@', query);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a query parameter (or in a key=value connection string).
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&' && out[pos - 1] != ' ') continue;
    const size_t value = pos + 9;
    size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

int64_t PgResult::Int(int row, int col) const {
  std::string_view s = Text(row, col);
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double PgResult::Double(int row, int col) const {
  std::string_view s = Text(row, col);
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t PgResult::Affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  if (n == nullptr || *n == '\0') return 0;
  return std::strtoll(n, nullptr, 10);
}

Params& Params::Add(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  values_.emplace_back(std::string(buf, end));
  return *this;
}

void AppendCopyText(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url,
                                                const std::string& masked_url) {
  std::string target = url;
  if (target.find("connect_timeout=") == std::string::npos) {
    target += target.find('?') == std::string::npos ? "?connect_timeout=10" : "&connect_timeout=10";
  }
  PGconn* conn = PQconnectdb(target.c_str());
  if (conn == nullptr) return Unavailable("cannot connect to PostgreSQL at " + masked_url);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable("cannot connect to PostgreSQL at " + masked_url + ": " + why);
  }
  PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
  std::unique_ptr<PgConn> out(new PgConn(conn, masked_url));
  RECO_RETURN_IF_ERROR(out->Exec("SET client_encoding = 'UTF8'"));
  return out;
}

PgConn::~PgConn() { PQfinish(conn_); }

Status PgConn::Reset() {
  PQreset(conn_);
  prepared_.clear();
  if (Broken()) {
    return Unavailable("cannot reconnect to PostgreSQL at " + masked_url_ + ": " +
                       Trimmed(PQerrorMessage(conn_)));
  }
  PQsetNoticeProcessor(conn_, &IgnoreNotice, nullptr);
  return Exec("SET client_encoding = 'UTF8'");
}

Status PgConn::ErrorOf(const PGresult* res, std::string_view what) const {
  if (Broken()) {
    return Unavailable("postgres " + std::string(what) + ": connection to " + masked_url_ +
                       " lost: " + Trimmed(PQerrorMessage(conn_)));
  }
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message =
      res != nullptr ? Trimmed(PQresultErrorMessage(res)) : Trimmed(PQerrorMessage(conn_));
  StatusCode code = state != nullptr ? CodeOf(state) : StatusCode::kUnavailable;
  return Status(code, "postgres " + std::string(what) + ": " + message);
}

Status PgConn::Exec(std::string_view sql) {
  PgResult res(PQexec(conn_, std::string(sql).c_str()));
  const ExecStatusType st = res.StatusType();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(res.get(), sql);
  return Status::Ok();
}

Result<PgResult> PgConn::Simple(const std::string& sql) {
  PgResult res(PQexec(conn_, sql.c_str()));
  const ExecStatusType st = res.StatusType();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(res.get(), "query");
  return res;
}

Result<PgResult> PgConn::Query(const std::string& sql, const Params& params) {
  const auto& values = params.values();
  std::vector<const char*> ptrs(values.size());
  for (size_t i = 0; i < values.size(); ++i) ptrs[i] = values[i] ? values[i]->c_str() : nullptr;
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "reco_" + std::to_string(prepared_.size() + 1);
    PgResult prep(
        PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(values.size()), nullptr));
    if (prep.StatusType() != PGRES_COMMAND_OK) return ErrorOf(prep.get(), "prepare");
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  PgResult res(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(ptrs.size()), ptrs.data(),
                              nullptr, nullptr, 0));
  const ExecStatusType st = res.StatusType();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(res.get(), "query");
  return res;
}

Result<int64_t> PgConn::Command(const std::string& sql, const Params& params) {
  RECO_ASSIGN_OR_RETURN(PgResult res, Query(sql, params));
  return res.Affected();
}

Status PgConn::CopyIn(const std::string& copy_sql, std::string_view data) {
  {
    PgResult start(PQexec(conn_, copy_sql.c_str()));
    if (start.StatusType() != PGRES_COPY_IN) return ErrorOf(start.get(), "copy");
  }
  constexpr size_t kChunk = 1 << 20;
  bool sent = true;
  for (size_t pos = 0; pos < data.size() && sent; pos += kChunk) {
    const size_t n = std::min(kChunk, data.size() - pos);
    sent = PQputCopyData(conn_, data.data() + pos, static_cast<int>(n)) == 1;
  }
  if (PQputCopyEnd(conn_, sent ? nullptr : "client error") != 1) {
    return Unavailable("postgres copy: " + Trimmed(PQerrorMessage(conn_)));
  }
  Status status = Status::Ok();
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult res(raw);
    if (res.StatusType() != PGRES_COMMAND_OK && status.ok()) status = ErrorOf(res.get(), "copy");
  }
  return status;
}

}  // namespace reco::pg
