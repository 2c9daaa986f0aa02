// Config for a subcommand: --config FILE, else DATA_DIR/reco.toml when it exists, else the
// defaults; then the environment. Failures throw CommandFailed naming the file and key.
#pragma once

#include <string>

#include "core/config.h"

namespace reco::cli {

RecoConfig LoadCommandConfig(const std::string& config_flag, const std::string& data_dir);

// Throws CommandFailed (exit 1) "COMMAND: data directory DIR does not exist (--data-dir)" unless
// `data_dir` is a directory.
void RequireDataDir(const std::string& command, const std::string& data_dir);

}  // namespace reco::cli
