// OpenStore: picks and opens the Store backend named by the configuration (store.url, else
// database.data_store). The one place where `reco` code chooses a backend.
//
// Thread-safety: thread-safe; the returned store is owned by the caller.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "store/store.h"

namespace reco {

// Told about each write call that fails for a reason of the store's (kWriteFailure* of
// store.h); called on the writing thread, must be cheap and thread-safe.
using WriteFailureObserver = std::function<void(std::string_view reason)>;

// store.url set: PostgreSQL at that URL (store.pool_size readers; a tenant's data directory
// DATA_DIR/tenants/NAME uses schema TenantSchema(NAME)); unreachable is Unavailable naming the
// URL with its password masked, never a fallback to SQLite.
// Else "sqlite": database.sqlite_path resolved against `data_dir` (created when missing, unless
// database.read_only: then the database must exist and is opened read-only).
// Any other data_store value is InvalidArgument naming database.data_store.
Result<std::unique_ptr<Store>> OpenStore(const RecoConfig& config,
                                         const std::filesystem::path& data_dir,
                                         WriteFailureObserver on_write_failure = {});

// What a deleted tenant leaves outside its data directory: with store.url, its PostgreSQL schema
// is dropped; with SQLite nothing (its database is a file of the directory).
Status DeleteTenantStore(const RecoConfig& config, std::string_view tenant);

}  // namespace reco
