// The online state of a data directory as `reco serve` loads it, and its snapshot
// (serving/online_state.h): the options both the server and `reco train` use, and the refresh
// that `reco train` runs so that the next server start restores the snapshot instead of
// replaying every feedback row of the store.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "serving/online_state.h"
#include "store/store.h"

namespace reco::app {

// The online state's options from the configuration.
OnlineStateOptions OnlineStateOptionsFor(const RecoConfig& config);

// Where the snapshot of `tenant`'s state lives (its data directory) and which store it belongs
// to: the data directory's SQLite file, or the PostgreSQL database (by a hash of its URL, so that
// no password reaches the file).
StateSnapshotOptions StateSnapshotFor(const RecoConfig& config,
                                      const std::filesystem::path& data_dir,
                                      std::string_view tenant);

// Loads the state of `store` as a server start would (the snapshot plus the rows after it, or a
// replay of the store) and leaves a snapshot that covers every row: one is written unless the
// existing one already did.
Result<StateLoadReport> RefreshStateSnapshot(Store& store, const RecoConfig& config,
                                             const std::filesystem::path& data_dir,
                                             std::string_view tenant);

}  // namespace reco::app
