// Leases and job runs of the sqlite Store backend (the scheduler's shared state).
#include <string>

#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

// A lease row is taken when absent, renewed by its holder, or taken over once expired.
constexpr const char* kAcquireLease =
    "INSERT INTO leases(name, holder, expires_at) VALUES(?1, ?2, ?3)"
    " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4";
constexpr const char* kRunColumns =
    "SELECT id, job, trigger_kind, status, attempts, scheduled_for, created, started, finished,"
    " holder, error, fencing_token FROM job_runs";
// The fence of the job runs (Store::NextFencingToken).
constexpr const char* kFence = "job_runs";

JobRunRecord ReadRun(const Stmt& stmt) {
  JobRunRecord run;
  run.id = stmt.Int(0);
  run.job = stmt.Text(1);
  run.trigger = stmt.Text(2);
  run.status = stmt.Text(3);
  run.attempts = static_cast<int>(stmt.Int(4));
  run.scheduled_for = stmt.Int(5);
  run.created = stmt.Int(6);
  run.started = stmt.Int(7);
  run.finished = stmt.Int(8);
  run.holder = stmt.Text(9);
  run.error = stmt.Text(10);
  run.fencing_token = stmt.Int(11);
  return run;
}

// Binds the fields after the id as parameters 1..11, in kRunColumns order.
void BindRun(Stmt& stmt, const JobRunRecord& run) {
  stmt.BindText(1, run.job);
  stmt.BindText(2, run.trigger);
  stmt.BindText(3, run.status);
  stmt.Bind(4, static_cast<int64_t>(run.attempts));
  stmt.Bind(5, static_cast<int64_t>(run.scheduled_for));
  stmt.Bind(6, static_cast<int64_t>(run.created));
  stmt.Bind(7, static_cast<int64_t>(run.started));
  stmt.Bind(8, static_cast<int64_t>(run.finished));
  stmt.BindText(9, run.holder);
  stmt.BindText(10, run.error);
  stmt.Bind(11, run.fencing_token);
}

// The newest token of the job runs' fence (0 when none was taken).
Result<int64_t> FenceToken(Connection& conn) {
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare("SELECT token FROM fences WHERE name = ?"));
  stmt.BindText(1, kFence);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return stmt.Error(rc, "read fencing token");
  return stmt.Int(0);
}

// Inside the write transaction (one writer at a time): refuses a token older than the fence.
Status CheckFence(Connection& conn, int64_t token) {
  if (token <= 0) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(int64_t current, FenceToken(conn));
  if (token < current) return StaleFencingToken(token, current);
  return Status::Ok();
}

Status CheckName(std::string_view value, const char* what) {
  if (value.empty()) return InvalidArgument(std::string(what) + " must not be empty", what);
  return Status::Ok();
}

}  // namespace

Result<bool> SqliteStore::TryAcquireLease(std::string_view name, std::string_view holder,
                                          TimestampUs now, int64_t ttl_us) {
  RECO_RETURN_IF_ERROR(CheckName(name, "lease"));
  RECO_RETURN_IF_ERROR(CheckName(holder, "holder"));
  if (ttl_us <= 0) return InvalidArgument("lease ttl must be positive", "ttl");
  RECO_ASSIGN_OR_RETURN(int64_t changed, Write([&](Connection& conn) -> Result<int64_t> {
                          RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(kAcquireLease));
                          stmt.BindText(1, name);
                          stmt.BindText(2, holder);
                          stmt.Bind(3, static_cast<int64_t>(now + ttl_us));
                          stmt.Bind(4, static_cast<int64_t>(now));
                          RECO_RETURN_IF_ERROR(stmt.Run("acquire lease"));
                          return conn.Changes();
                        }));
  return changed > 0;
}

Status SqliteStore::ReleaseLease(std::string_view name, std::string_view holder) {
  return Write([&](Connection& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(Stmt stmt,
                                 conn.Prepare("DELETE FROM leases WHERE name = ? AND holder = ?"));
           stmt.BindText(1, name);
           stmt.BindText(2, holder);
           RECO_RETURN_IF_ERROR(stmt.Run("release lease"));
           return conn.Changes();
         })
      .status();
}

Result<LeaseRecord> SqliteStore::GetLease(std::string_view name) {
  return Read<LeaseRecord>([&](Connection& conn) -> Result<LeaseRecord> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt,
                          conn.Prepare("SELECT holder, expires_at FROM leases WHERE name = ?"));
    stmt.BindText(1, name);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return NotFound("lease \"" + std::string(name) + "\" is not held");
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read lease");
    return LeaseRecord{std::string(name), std::string(stmt.Text(0)), stmt.Int(1)};
  });
}

Result<int64_t> SqliteStore::NextFencingToken() {
  return Write([&](Connection& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        Stmt stmt, conn.Prepare("INSERT INTO fences(name, token) VALUES(?, 1) ON CONFLICT(name)"
                                " DO UPDATE SET token = token + 1 RETURNING token"));
    stmt.BindText(1, kFence);
    int rc = stmt.Step();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "take fencing token");
    const int64_t token = stmt.Int(0);
    RECO_RETURN_IF_ERROR(stmt.Run("take fencing token"));
    return token;
  });
}

Result<int64_t> SqliteStore::CurrentFencingToken() {
  return Read<int64_t>([&](Connection& conn) { return FenceToken(conn); });
}

Result<int64_t> SqliteStore::InsertJobRun(const JobRunRecord& run) {
  RECO_RETURN_IF_ERROR(CheckName(run.job, "job"));
  return Write([&](Connection& conn) -> Result<int64_t> {
    RECO_RETURN_IF_ERROR(CheckFence(conn, run.fencing_token));
    RECO_ASSIGN_OR_RETURN(
        Stmt stmt,
        conn.Prepare("INSERT INTO job_runs(job, trigger_kind, status, attempts, scheduled_for,"
                     " created, started, finished, holder, error, fencing_token)"
                     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    BindRun(stmt, run);
    RECO_RETURN_IF_ERROR(stmt.Run("insert job run"));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.db()));
  });
}

Status SqliteStore::UpdateJobRun(const JobRunRecord& run) {
  RECO_RETURN_IF_ERROR(CheckName(run.job, "job"));
  return Write([&](Connection& conn) -> Result<int64_t> {
           RECO_RETURN_IF_ERROR(CheckFence(conn, run.fencing_token));
           RECO_ASSIGN_OR_RETURN(
               Stmt stmt,
               conn.Prepare("UPDATE job_runs SET job = ?, trigger_kind = ?, status = ?,"
                            " attempts = ?, scheduled_for = ?, created = ?, started = ?,"
                            " finished = ?, holder = ?, error = ?, fencing_token = ? WHERE id = ?"));
           BindRun(stmt, run);
           stmt.Bind(12, run.id);
           RECO_RETURN_IF_ERROR(stmt.Run("update job run"));
           if (conn.Changes() == 0) {
             return NotFound("job run " + std::to_string(run.id) + " not found");
           }
           return int64_t{1};
         })
      .status();
}

Result<bool> SqliteStore::ClaimJobRun(int64_t id, std::string_view holder, TimestampUs now,
                                      int64_t fencing_token) {
  RECO_RETURN_IF_ERROR(CheckName(holder, "holder"));
  RECO_ASSIGN_OR_RETURN(
      int64_t changed, Write([&](Connection& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(CheckFence(conn, fencing_token));
        RECO_ASSIGN_OR_RETURN(
            Stmt stmt, conn.Prepare("UPDATE job_runs SET status = 'running', holder = ?,"
                                    " started = CASE WHEN started = 0 THEN ? ELSE started END,"
                                    " fencing_token = ? WHERE id = ? AND status = 'queued'"));
        stmt.BindText(1, holder);
        stmt.Bind(2, static_cast<int64_t>(now));
        stmt.Bind(3, fencing_token);
        stmt.Bind(4, id);
        RECO_RETURN_IF_ERROR(stmt.Run("claim job run"));
        return conn.Changes();
      }));
  return changed > 0;
}

Result<JobRunRecord> SqliteStore::GetJobRun(int64_t id) {
  return Read<JobRunRecord>([&](Connection& conn) -> Result<JobRunRecord> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(std::string(kRunColumns) + " WHERE id = ?"));
    stmt.Bind(1, id);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return NotFound("job run " + std::to_string(id) + " not found");
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read job run");
    return ReadRun(stmt);
  });
}

Result<std::vector<JobRunRecord>> SqliteStore::ListJobRuns(const JobRunFilter& filter) {
  if (filter.limit <= 0) {
    return InvalidArgument("limit must be positive, got " + std::to_string(filter.limit), "limit");
  }
  // Unset filters bind NULL and match everything.
  const std::string sql = std::string(kRunColumns) +
                          " WHERE (?1 IS NULL OR job = ?1) AND (?2 IS NULL OR trigger_kind = ?2)"
                          " AND (?3 IS NULL OR status = ?3) ORDER BY id DESC LIMIT ?4";
  return Read<std::vector<JobRunRecord>>(
      [&](Connection& conn) -> Result<std::vector<JobRunRecord>> {
        RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
        if (filter.job) stmt.BindText(1, *filter.job);
        if (filter.trigger) stmt.BindText(2, *filter.trigger);
        if (filter.status) stmt.BindText(3, *filter.status);
        stmt.Bind(4, static_cast<int64_t>(filter.limit));
        std::vector<JobRunRecord> runs;
        int rc;
        while ((rc = stmt.Step()) == SQLITE_ROW) runs.push_back(ReadRun(stmt));
        if (rc != SQLITE_DONE) return stmt.Error(rc, "list job runs");
        return runs;
      });
}

}  // namespace reco::sqlite
