#include "store/open_store.h"

#include "core/file_util.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace reco {
namespace {

// A tenant's data directory is DATA_DIR/tenants/NAME (service/tenant_service.h); its tables
// live in a schema of their own in a shared PostgreSQL database.
std::string TenantOfDataDir(const std::filesystem::path& data_dir) {
  std::filesystem::path dir = data_dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();
  if (dir.parent_path().filename() == "tenants") return dir.filename().string();
  return "";
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const RecoConfig& config,
                                         const std::filesystem::path& data_dir,
                                         WriteFailureObserver on_write_failure) {
  const DatabaseConfig& db = config.database;
  if (!config.store.url.empty()) {
    // The data directory still holds the model files, runs and registry.
    if (!db.read_only && !data_dir.empty()) RECO_RETURN_IF_ERROR(EnsureDirectory(data_dir));
    PostgresStoreOptions options;
    options.url = config.store.url;
    options.pool_size = config.store.pool_size;
    options.schema = TenantSchema(TenantOfDataDir(data_dir));
    options.read_only = db.read_only;
    options.on_write_failure = std::move(on_write_failure);
    return OpenPostgresStore(options);
  }
  if (db.data_store != "sqlite") {
    return InvalidArgument("database.data_store: unsupported value \"" + db.data_store +
                               "\"; accepted values: \"sqlite\" (store.url selects PostgreSQL)",
                           "database.data_store");
  }
  if (db.sqlite_path.empty()) {
    return InvalidArgument("database.sqlite_path: must not be empty", "database.sqlite_path");
  }
  SqliteStoreOptions options;
  options.path = data_dir / db.sqlite_path;
  options.read_only = db.read_only;
  options.on_write_failure = std::move(on_write_failure);
  if (!db.read_only) {
    if (!data_dir.empty()) RECO_RETURN_IF_ERROR(EnsureDirectory(data_dir));
    if (options.path.has_parent_path()) {
      RECO_RETURN_IF_ERROR(EnsureDirectory(options.path.parent_path()));
    }
  }
  return OpenSqliteStore(options);
}

Status DeleteTenantStore(const RecoConfig& config, std::string_view tenant) {
  if (config.store.url.empty()) return Status::Ok();
  return DropTenantSchema(config.store.url, tenant);
}

}  // namespace reco
