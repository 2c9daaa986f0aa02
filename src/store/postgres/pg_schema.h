// Versioned schema of the PostgreSQL Store backend: numbered migrations recorded in
// schema_migrations(version, applied_at), applied in order in one transaction.
//
// Thread-safety: pure functions over a connection the caller owns.
#pragma once

#include "core/status.h"
#include "core/time.h"
#include "store/postgres/pg_conn.h"

namespace reco::pg {

int LatestSchemaVersion();

// `schema` quoted as an SQL identifier ("" stays "").
std::string QuoteIdent(std::string_view schema);

// Creates `schema` when missing (unless empty) and applies the missing migrations, serialised
// across processes by an advisory lock. FailedPrecondition when the database has a newer
// version than this reco knows.
Status MigrateSchema(PgConn& conn, const std::string& schema, TimestampUs applied_at);

// FailedPrecondition unless the database has the latest schema (read-only opening).
Status CheckSchemaCurrent(PgConn& conn);

}  // namespace reco::pg
