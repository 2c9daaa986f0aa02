// The PostgreSQL Store backend (several reco processes sharing one database): one writer
// connection fed by a queue (concurrent write calls are group-committed: one transaction and
// one commit for the calls queued together, each in a savepoint of its own and with its own
// result), a pool of reader connections, bulk writes through COPY, versioned migrations in
// schema_migrations. Feedback sequence numbers come from a counter row locked by each writing
// transaction, so they follow commit order across every process on the database.
//
// Thread-safety and lifetime: as for every Store (see store/store.h). The returned store owns
// its connections; Close() or destruction waits for calls in flight and disconnects.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace reco {

struct PostgresStoreOptions {
  // libpq URI: postgres://USER:PASSWORD@HOST:PORT/DATABASE[?PARAM=VALUE&...]
  std::string url;
  int pool_size = 4;  // reader connections, at least 1 (the writer is one more)
  // Tables live in this schema (created when missing); "" = the connection's default (public).
  // Each tenant other than `default` has its own (TenantSchema).
  std::string schema;
  const Clock* clock = nullptr;  // records migration times; nullptr = system clock
  // Reads are served, every write call fails with Unavailable, no migration is applied.
  bool read_only = false;
  // Told about each write call that fails for a reason of the store's (kWriteFailure*).
  std::function<void(std::string_view reason)> on_write_failure;
};

// Connects, applies missing migrations (one transaction, serialised across processes by an
// advisory lock) and opens the reader pool. Unavailable naming the URL with its password masked
// when the server cannot be reached; FailedPrecondition when the database has a newer schema.
Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresStoreOptions& options);

// The schema of a tenant's tables: "" for `default`, else "t_" + name (shortened with a hash
// past PostgreSQL's 63-byte identifiers).
std::string TenantSchema(std::string_view tenant);

// Drops tenant `tenant`'s schema and every table in it (a tenant deleted); nothing when there is
// none. InvalidArgument for the default tenant, whose tables are never dropped.
Status DropTenantSchema(const std::string& url, std::string_view tenant);

}  // namespace reco
