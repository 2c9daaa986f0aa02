// Config for a subcommand: --config FILE, else DATA_DIR/reco.toml when it exists, else the
// defaults; then the environment. Failures throw CommandFailed naming the file and key.
#pragma once

#include <string>

#include "core/config.h"

namespace reco::cli {

// A tenant's directory (DIR/tenants/NAME) takes DIR's configuration (--config or
// DIR/reco.toml) with the tenant's own reco.toml applied as overrides.
RecoConfig LoadCommandConfig(const std::string& config_flag, const std::string& data_dir);

// --tenant NAME of `command`: the registered tenant's data directory DIR/tenants/NAME; DIR for
// "" or "default". Throws CommandFailed naming the tenant when DIR has no such tenant.
std::string TenantDataDir(const std::string& command, const std::string& data_dir,
                          const std::string& tenant);

// Throws CommandFailed (exit 1) "COMMAND: data directory DIR does not exist (--data-dir)" unless
// `data_dir` is a directory.
void RequireDataDir(const std::string& command, const std::string& data_dir);

}  // namespace reco::cli
