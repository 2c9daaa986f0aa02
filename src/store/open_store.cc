#include "store/open_store.h"

#include "core/file_util.h"
#include "store/sqlite/sqlite_store.h"

namespace reco {

Result<std::unique_ptr<Store>> OpenStore(const RecoConfig& config,
                                         const std::filesystem::path& data_dir,
                                         WriteFailureObserver on_write_failure) {
  const DatabaseConfig& db = config.database;
  if (db.data_store != "sqlite") {
    return InvalidArgument("database.data_store: unsupported value \"" + db.data_store +
                               "\"; accepted values: \"sqlite\"",
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

}  // namespace reco
