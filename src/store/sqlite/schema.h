// Versioned schema of the sqlite Store backend. Each migration step has a version number and
// SQL; the applied versions are recorded in `schema_migrations(version, applied_at)`. Opening a
// database applies the missing steps in one transaction; a database whose version is newer
// than this code knows is refused (FailedPrecondition) and left untouched.
//
// Thread-safety: call on the writer connection only, before the store is shared.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/time.h"
#include "store/sqlite/sqlite_db.h"

namespace reco::sqlite {

// The feedback table's secondary indexes at LatestSchemaVersion(): a bulk load into an empty
// table drops them and builds them once at the end, inside its transaction.
extern const char* const kDropFeedbackIndexes;
extern const char* const kCreateFeedbackIndexes;

// The version the current code writes.
int LatestSchemaVersion();

// The highest applied version (0 for an empty database).
Result<int> CurrentSchemaVersion(Connection& conn);

// Brings the database to `target_version` (normally LatestSchemaVersion(); tests create older
// databases with a smaller target). `applied_at` is recorded in microseconds since the epoch.
Status MigrateSchema(Connection& conn, int target_version, TimestampUs applied_at);

}  // namespace reco::sqlite
