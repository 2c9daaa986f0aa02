#include "store/postgres/pg_schema.h"

#include <string>

namespace reco::pg {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only: a released step is never edited, a change is a new step. Ids are text in the
// "C" collation (byte order, as the SQLite backend lists them).
constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE users("
     "  user_id text COLLATE \"C\" PRIMARY KEY,"
     "  labels text NOT NULL DEFAULT 'null', comment text NOT NULL DEFAULT '');"
     "CREATE TABLE items("
     "  item_id text COLLATE \"C\" PRIMARY KEY, is_hidden boolean NOT NULL DEFAULT false,"
     "  categories text NOT NULL DEFAULT '[]', labels text NOT NULL DEFAULT 'null',"
     "  ts bigint NOT NULL DEFAULT 0, comment text NOT NULL DEFAULT '');"
     // seq: the write sequence number (ScanFeedback after a watermark is a range of the key).
     "CREATE TABLE feedback("
     "  seq bigint PRIMARY KEY, feedback_type text COLLATE \"C\" NOT NULL,"
     "  user_id text COLLATE \"C\" NOT NULL, item_id text COLLATE \"C\" NOT NULL,"
     "  value double precision NOT NULL, ts bigint NOT NULL, comment text NOT NULL DEFAULT '',"
     "  CONSTRAINT feedback_key UNIQUE (user_id, item_id, feedback_type));"
     "CREATE INDEX feedback_by_item ON feedback(item_id, user_id, feedback_type);"
     // The last sequence number issued; its row lock orders feedback writers across processes.
     "CREATE TABLE store_counters(name text PRIMARY KEY, value bigint NOT NULL);"
     "INSERT INTO store_counters(name, value) VALUES('feedback_seq', 0);"},
    {2,
     // The scheduler: named leases (leader election across processes) and job run history.
     "CREATE TABLE leases(name text PRIMARY KEY, holder text NOT NULL, expires_at bigint NOT NULL);"
     "CREATE TABLE job_runs("
     "  id bigserial PRIMARY KEY, job text NOT NULL, trigger_kind text NOT NULL,"
     "  status text NOT NULL, attempts integer NOT NULL DEFAULT 0,"
     "  scheduled_for bigint NOT NULL DEFAULT 0, created bigint NOT NULL,"
     "  started bigint NOT NULL DEFAULT 0, finished bigint NOT NULL DEFAULT 0,"
     "  holder text NOT NULL DEFAULT '', error text NOT NULL DEFAULT '');"
     "CREATE INDEX job_runs_by_job ON job_runs(job, id);"
     "CREATE INDEX job_runs_by_status ON job_runs(status, id);"},
    {3,
     // A/B experiments and their variants (in order: the first is the control); scenarios.
     "CREATE TABLE experiments("
     "  id text COLLATE \"C\" PRIMARY KEY, name text NOT NULL, layer text NOT NULL,"
     "  status text NOT NULL, traffic double precision NOT NULL,"
     "  bucket_offset integer NOT NULL DEFAULT 0, click_types text NOT NULL DEFAULT '[]',"
     "  conversion_types text NOT NULL DEFAULT '[]', started_at bigint NOT NULL DEFAULT 0,"
     "  stopped_at bigint NOT NULL DEFAULT 0, created_at bigint NOT NULL DEFAULT 0,"
     "  updated_at bigint NOT NULL DEFAULT 0);"
     "CREATE TABLE experiment_variants("
     "  experiment_id text NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
     "  position integer NOT NULL, name text NOT NULL, weight double precision NOT NULL,"
     "  target_kind text NOT NULL, target text NOT NULL,"
     "  PRIMARY KEY(experiment_id, position));"
     "CREATE TABLE scenarios("
     "  name text COLLATE \"C\" PRIMARY KEY, config text NOT NULL,"
     "  created bigint NOT NULL, updated bigint NOT NULL);"},
    {4,
     // Fencing of the job runs: the newest scheduler leadership term, and the term of each run.
     "CREATE TABLE fences(name text PRIMARY KEY, token bigint NOT NULL);"
     "ALTER TABLE job_runs ADD COLUMN fencing_token bigint NOT NULL DEFAULT 0;"},
};

Result<int> CurrentVersion(PgConn& conn) {
  RECO_ASSIGN_OR_RETURN(PgResult exists,
                        conn.Query("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (!exists.Bool(0, 0)) return 0;
  RECO_ASSIGN_OR_RETURN(PgResult res,
                        conn.Query("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(res.Int(0, 0));
}

Status TooNew(PgConn& conn, int current) {
  return FailedPrecondition("PostgreSQL database " + conn.masked_url() + " has schema version " +
                            std::to_string(current) + " but this reco supports up to " +
                            std::to_string(LatestSchemaVersion()) +
                            "; it was written by a newer reco, upgrade reco to open it");
}

}  // namespace

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

std::string QuoteIdent(std::string_view schema) {
  if (schema.empty()) return "";
  std::string out = "\"";
  for (char c : schema) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

Status MigrateSchema(PgConn& conn, const std::string& schema, TimestampUs applied_at) {
  RECO_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  Status st = [&]() -> Status {
    RECO_RETURN_IF_ERROR(conn.Query("SELECT pg_advisory_xact_lock(hashtext($1))",
                                    Params().Add("reco schema migrations " + schema))
                             .status());
    if (!schema.empty()) {
      RECO_RETURN_IF_ERROR(conn.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema)));
    }
    RECO_RETURN_IF_ERROR(
        conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations("
                  "  version integer PRIMARY KEY, applied_at bigint NOT NULL)"));
    RECO_ASSIGN_OR_RETURN(int current, CurrentVersion(conn));
    if (current > LatestSchemaVersion()) return TooNew(conn, current);
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      Status applied = conn.Exec(m.sql);
      if (!applied.ok()) return applied.WithPrefix("schema migration " + std::to_string(m.version));
      RECO_RETURN_IF_ERROR(
          conn.Command("INSERT INTO schema_migrations(version, applied_at) VALUES($1, $2)",
                       Params().Add(m.version).Add(static_cast<int64_t>(applied_at)))
              .status());
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    conn.Exec("ROLLBACK").ok();
    return st;
  }
  return conn.Exec("COMMIT");
}

Status CheckSchemaCurrent(PgConn& conn) {
  RECO_ASSIGN_OR_RETURN(int current, CurrentVersion(conn));
  if (current > LatestSchemaVersion()) return TooNew(conn, current);
  if (current < LatestSchemaVersion()) {
    return FailedPrecondition("PostgreSQL database " + conn.masked_url() + " has schema version " +
                              std::to_string(current) + ", older than this reco's " +
                              std::to_string(LatestSchemaVersion()) +
                              "; a read-only store applies no migration: open it once writable");
  }
  return Status::Ok();
}

}  // namespace reco::pg
