// OpenStore: picks and opens the Store backend named by the configuration
// (database.data_store). The one place where `reco` code chooses a backend.
//
// Thread-safety: thread-safe; the returned store is owned by the caller.
#pragma once

#include <filesystem>
#include <memory>

#include "core/config.h"
#include "core/status.h"
#include "store/store.h"

namespace reco {

// "sqlite": database.sqlite_path resolved against `data_dir` (created when missing).
// Any other data_store value is InvalidArgument naming database.data_store.
Result<std::unique_ptr<Store>> OpenStore(const RecoConfig& config,
                                         const std::filesystem::path& data_dir);

}  // namespace reco
