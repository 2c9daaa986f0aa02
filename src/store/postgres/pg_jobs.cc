// Leases and job runs of the PostgreSQL Store backend (the scheduler's shared state).
#include <string>

#include "store/postgres/postgres_store_impl.h"

namespace reco::pg {
namespace {

// A lease row is taken when absent, renewed by its holder, or taken over once expired; the row
// lock (or the primary key, for two first takers) makes it atomic across processes.
constexpr const char* kAcquireLease =
    "INSERT INTO leases(name, holder, expires_at) VALUES($1, $2, $3)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= $4";
constexpr const char* kRunColumns =
    "SELECT id, job, trigger_kind, status, attempts, scheduled_for, created, started, finished,"
    " holder, error, fencing_token FROM job_runs";
// The fence of the job runs (Store::NextFencingToken).
constexpr const char* kFence = "job_runs";

JobRunRecord ReadRun(const PgResult& res, int row) {
  JobRunRecord run;
  run.id = res.Int(row, 0);
  run.job = res.Text(row, 1);
  run.trigger = res.Text(row, 2);
  run.status = res.Text(row, 3);
  run.attempts = static_cast<int>(res.Int(row, 4));
  run.scheduled_for = res.Int(row, 5);
  run.created = res.Int(row, 6);
  run.started = res.Int(row, 7);
  run.finished = res.Int(row, 8);
  run.holder = res.Text(row, 9);
  run.error = res.Text(row, 10);
  run.fencing_token = res.Int(row, 11);
  return run;
}

// The fields after the id as parameters $1..$11, in kRunColumns order.
Params RunParams(const JobRunRecord& run) {
  Params p;
  p.Add(run.job)
      .Add(run.trigger)
      .Add(run.status)
      .Add(run.attempts)
      .Add(static_cast<int64_t>(run.scheduled_for))
      .Add(static_cast<int64_t>(run.created))
      .Add(static_cast<int64_t>(run.started))
      .Add(static_cast<int64_t>(run.finished))
      .Add(run.holder)
      .Add(run.error)
      .Add(run.fencing_token);
  return p;
}

// Inside the write's transaction: refuses a token older than the fence. The row is read FOR
// SHARE, so NextFencingToken waits for this transaction: once it returns, every write under an
// older token is either committed (and visible to the new leader) or refused.
Status CheckFence(PgConn& conn, int64_t token) {
  if (token <= 0) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(PgResult res,
                        conn.Query("SELECT token FROM fences WHERE name = $1 FOR SHARE",
                                   Params().Add(kFence)));
  const int64_t current = res.Rows() == 0 ? 0 : res.Int(0, 0);
  if (token < current) return StaleFencingToken(token, current);
  return Status::Ok();
}

Status CheckName(std::string_view value, const char* what) {
  if (value.empty()) return InvalidArgument(std::string(what) + " must not be empty", what);
  return Status::Ok();
}

}  // namespace

Result<bool> PostgresStore::TryAcquireLease(std::string_view name, std::string_view holder,
                                            TimestampUs now, int64_t ttl_us) {
  RECO_RETURN_IF_ERROR(CheckName(name, "lease"));
  RECO_RETURN_IF_ERROR(CheckName(holder, "holder"));
  if (ttl_us <= 0) return InvalidArgument("lease ttl must be positive", "ttl");
  RECO_ASSIGN_OR_RETURN(int64_t changed, Write([&](PgConn& conn) {
                          return conn.Command(kAcquireLease,
                                              Params()
                                                  .Add(name)
                                                  .Add(holder)
                                                  .Add(static_cast<int64_t>(now + ttl_us))
                                                  .Add(static_cast<int64_t>(now)));
                        }));
  return changed > 0;
}

Status PostgresStore::ReleaseLease(std::string_view name, std::string_view holder) {
  return Write([&](PgConn& conn) {
           return conn.Command("DELETE FROM leases WHERE name = $1 AND holder = $2",
                               Params().Add(name).Add(holder));
         })
      .status();
}

Result<LeaseRecord> PostgresStore::GetLease(std::string_view name) {
  return Read<LeaseRecord>([&](PgConn& conn) -> Result<LeaseRecord> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query("SELECT holder, expires_at FROM leases WHERE name = $1", Params().Add(name)));
    if (res.Rows() == 0) return NotFound("lease \"" + std::string(name) + "\" is not held");
    return LeaseRecord{std::string(name), std::string(res.Text(0, 0)), res.Int(0, 1)};
  });
}

Result<int64_t> PostgresStore::NextFencingToken() {
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query("INSERT INTO fences(name, token) VALUES($1, 1) ON CONFLICT (name)"
                   " DO UPDATE SET token = fences.token + 1 RETURNING token",
                   Params().Add(kFence)));
    return res.Int(0, 0);
  });
}

Result<int64_t> PostgresStore::CurrentFencingToken() {
  return Read<int64_t>([&](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res, conn.Query("SELECT token FROM fences WHERE name = $1", Params().Add(kFence)));
    return res.Rows() == 0 ? int64_t{0} : res.Int(0, 0);
  });
}

Result<int64_t> PostgresStore::InsertJobRun(const JobRunRecord& run) {
  RECO_RETURN_IF_ERROR(CheckName(run.job, "job"));
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_RETURN_IF_ERROR(CheckFence(conn, run.fencing_token));
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query("INSERT INTO job_runs(job, trigger_kind, status, attempts, scheduled_for,"
                   " created, started, finished, holder, error, fencing_token)"
                   " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                   RunParams(run)));
    return res.Int(0, 0);
  });
}

Status PostgresStore::UpdateJobRun(const JobRunRecord& run) {
  RECO_RETURN_IF_ERROR(CheckName(run.job, "job"));
  return Write([&](PgConn& conn) -> Result<int64_t> {
           RECO_RETURN_IF_ERROR(CheckFence(conn, run.fencing_token));
           RECO_ASSIGN_OR_RETURN(
               int64_t changed,
               conn.Command("UPDATE job_runs SET job = $1, trigger_kind = $2, status = $3,"
                            " attempts = $4, scheduled_for = $5, created = $6, started = $7,"
                            " finished = $8, holder = $9, error = $10, fencing_token = $11"
                            " WHERE id = $12",
                            RunParams(run).Add(run.id)));
           if (changed == 0) return NotFound("job run " + std::to_string(run.id) + " not found");
           return int64_t{1};
         })
      .status();
}

Result<bool> PostgresStore::ClaimJobRun(int64_t id, std::string_view holder, TimestampUs now,
                                        int64_t fencing_token) {
  RECO_RETURN_IF_ERROR(CheckName(holder, "holder"));
  RECO_ASSIGN_OR_RETURN(int64_t changed, Write([&](PgConn& conn) -> Result<int64_t> {
                          RECO_RETURN_IF_ERROR(CheckFence(conn, fencing_token));
                          return conn.Command(
                              "UPDATE job_runs SET status = 'running', holder = $1,"
                              " started = CASE WHEN started = 0 THEN $2 ELSE started END,"
                              " fencing_token = $3 WHERE id = $4 AND status = 'queued'",
                              Params()
                                  .Add(holder)
                                  .Add(static_cast<int64_t>(now))
                                  .Add(fencing_token)
                                  .Add(id));
                        }));
  return changed > 0;
}

Result<JobRunRecord> PostgresStore::GetJobRun(int64_t id) {
  return Read<JobRunRecord>([&](PgConn& conn) -> Result<JobRunRecord> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res, conn.Query(std::string(kRunColumns) + " WHERE id = $1", Params().Add(id)));
    if (res.Rows() == 0) return NotFound("job run " + std::to_string(id) + " not found");
    return ReadRun(res, 0);
  });
}

Result<std::vector<JobRunRecord>> PostgresStore::ListJobRuns(const JobRunFilter& filter) {
  if (filter.limit <= 0) {
    return InvalidArgument("limit must be positive, got " + std::to_string(filter.limit), "limit");
  }
  // Unset filters bind NULL and match everything.
  const std::string sql = std::string(kRunColumns) +
                          " WHERE ($1::text IS NULL OR job = $1)"
                          " AND ($2::text IS NULL OR trigger_kind = $2)"
                          " AND ($3::text IS NULL OR status = $3) ORDER BY id DESC LIMIT $4";
  return Read<std::vector<JobRunRecord>>([&](PgConn& conn) -> Result<std::vector<JobRunRecord>> {
    RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query(sql, Params()
                                                            .AddOptional(filter.job)
                                                            .AddOptional(filter.trigger)
                                                            .AddOptional(filter.status)
                                                            .Add(filter.limit)));
    std::vector<JobRunRecord> runs;
    for (int r = 0; r < res.Rows(); ++r) runs.push_back(ReadRun(res, r));
    return runs;
  });
}

}  // namespace reco::pg
