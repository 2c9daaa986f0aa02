#include "store/sqlite/schema.h"

#include <string>

namespace reco::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only: a released step is never edited, a change is a new step.
constexpr Migration kMigrations[] = {
    {1,
     // Ids are interned: feedback rows hold integer indexes into users/items/feedback_types.
     "CREATE TABLE users("
     "  idx INTEGER PRIMARY KEY, user_id TEXT UNIQUE NOT NULL,"
     "  labels TEXT NOT NULL DEFAULT 'null', comment TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE items("
     "  idx INTEGER PRIMARY KEY, item_id TEXT UNIQUE NOT NULL,"
     "  is_hidden INTEGER NOT NULL DEFAULT 0, categories TEXT NOT NULL DEFAULT '[]',"
     "  labels TEXT NOT NULL DEFAULT 'null', timestamp INTEGER NOT NULL DEFAULT 0,"
     "  comment TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE feedback_types(idx INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);"
     "CREATE TABLE feedback("
     "  user_idx INTEGER NOT NULL, item_idx INTEGER NOT NULL, type_idx INTEGER NOT NULL,"
     "  value REAL NOT NULL, timestamp INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '',"
     "  seq INTEGER NOT NULL,"
     "  PRIMARY KEY(user_idx, item_idx, type_idx)) WITHOUT ROWID;"
     "CREATE INDEX feedback_by_item ON feedback(item_idx);"
     "CREATE INDEX feedback_by_seq ON feedback(seq);"},
    {2,
     // A covering index makes ScanFeedback(after_seq) one sequential index read, and a
     // persisted sequence counter keeps seq monotonic even after the newest rows are deleted.
     "DROP INDEX feedback_by_seq;"
     "CREATE INDEX feedback_scan ON feedback(seq, value, timestamp, comment);"
     "CREATE TABLE store_counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
     "INSERT INTO store_counters(name, value)"
     "  SELECT 'feedback_seq', coalesce(max(seq), 0) FROM feedback;"},
    {3,
     // The write sequence number becomes the rowid: ScanFeedback(after_seq) is a rowid range
     // scan of the table itself, and new rows append to the table's B-tree. The (user, item,
     // type) key moves to a unique index; the item index carries the rest of the key so that
     // listing one item's feedback stays in key order without sorting.
     "CREATE TABLE feedback_v3("
     "  seq INTEGER PRIMARY KEY,"
     "  user_idx INTEGER NOT NULL, item_idx INTEGER NOT NULL, type_idx INTEGER NOT NULL,"
     "  value REAL NOT NULL, timestamp INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '');"
     "INSERT INTO feedback_v3(seq, user_idx, item_idx, type_idx, value, timestamp, comment)"
     "  SELECT seq, user_idx, item_idx, type_idx, value, timestamp, comment FROM feedback"
     "  ORDER BY seq;"
     "DROP TABLE feedback;"
     "ALTER TABLE feedback_v3 RENAME TO feedback;"
     "CREATE UNIQUE INDEX feedback_key ON feedback(user_idx, item_idx, type_idx);"
     "CREATE INDEX feedback_by_item ON feedback(item_idx, user_idx, type_idx);"},
    {4,
     // The scheduler: named leases (leader election across processes) and job run history.
     "CREATE TABLE leases("
     "  name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);"
     "CREATE TABLE job_runs("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, trigger_kind TEXT NOT NULL,"
     "  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
     "  scheduled_for INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
     "  started INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,"
     "  holder TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX job_runs_by_job ON job_runs(job, id);"
     "CREATE INDEX job_runs_by_status ON job_runs(status, id);"},
    {5,
     // A/B experiments and their variants (in order: the first is the control).
     "CREATE TABLE experiments("
     "  id TEXT PRIMARY KEY, name TEXT NOT NULL, layer TEXT NOT NULL, status TEXT NOT NULL,"
     "  traffic REAL NOT NULL, bucket_offset INTEGER NOT NULL DEFAULT 0,"
     "  click_types TEXT NOT NULL DEFAULT '[]',"
     "  conversion_types TEXT NOT NULL DEFAULT '[]', started_at INTEGER NOT NULL DEFAULT 0,"
     "  stopped_at INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL DEFAULT 0,"
     "  updated_at INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE experiment_variants("
     "  experiment_id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,"
     "  weight REAL NOT NULL, target_kind TEXT NOT NULL, target TEXT NOT NULL,"
     "  PRIMARY KEY(experiment_id, position)) WITHOUT ROWID;"},
    {6,
     // Recommendation scenarios: the configuration is JSON text, validated by the server.
     "CREATE TABLE scenarios("
     "  name TEXT PRIMARY KEY, config TEXT NOT NULL,"
     "  created INTEGER NOT NULL, updated INTEGER NOT NULL);"},
    {7,
     // Fencing of the job runs: the newest scheduler leadership term, and the term of each run.
     "CREATE TABLE fences(name TEXT PRIMARY KEY, token INTEGER NOT NULL);"
     "ALTER TABLE job_runs ADD COLUMN fencing_token INTEGER NOT NULL DEFAULT 0;"},
};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    "  version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";

}  // namespace

const char* const kDropFeedbackIndexes = "DROP INDEX feedback_by_item; DROP INDEX feedback_key;";
const char* const kCreateFeedbackIndexes =
    "CREATE UNIQUE INDEX feedback_key ON feedback(user_idx, item_idx, type_idx);"
    "CREATE INDEX feedback_by_item ON feedback(item_idx, user_idx, type_idx);";

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> CurrentSchemaVersion(Connection& conn) {
  RECO_ASSIGN_OR_RETURN(
      int64_t exists,
      conn.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'"));
  if (exists == 0) return 0;
  RECO_ASSIGN_OR_RETURN(int64_t version,
                        conn.QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(version);
}

Status MigrateSchema(Connection& conn, int target_version, TimestampUs applied_at) {
  WriteTxn txn(conn);
  RECO_RETURN_IF_ERROR(txn.Begin());
  RECO_RETURN_IF_ERROR(conn.Exec(kCreateMigrationsTable));
  RECO_ASSIGN_OR_RETURN(int current, CurrentSchemaVersion(conn));
  if (current > LatestSchemaVersion()) {
    return FailedPrecondition("database " + conn.path().string() + " has schema version " +
                              std::to_string(current) + " but this reco supports up to " +
                              std::to_string(LatestSchemaVersion()) +
                              "; it was written by a newer reco, upgrade reco to open it");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= current || m.version > target_version) continue;
    Status st = conn.Exec(m.sql);
    if (!st.ok()) return st.WithPrefix("schema migration " + std::to_string(m.version));
    RECO_ASSIGN_OR_RETURN(
        auto insert,
        conn.Prepare("INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)"));
    insert.Bind(1, static_cast<int64_t>(m.version));
    insert.Bind(2, static_cast<int64_t>(applied_at));
    RECO_RETURN_IF_ERROR(insert.Run("record schema migration"));
  }
  return txn.Commit();
}

}  // namespace reco::sqlite
