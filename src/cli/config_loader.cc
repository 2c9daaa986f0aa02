#include "cli/config_loader.h"

#include <filesystem>

#include "cli/commands.h"

namespace reco::cli {

void RequireDataDir(const std::string& command, const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    throw CommandFailed{1, command + ": data directory " + data_dir + " does not exist (--data-dir)"};
  }
}

RecoConfig LoadCommandConfig(const std::string& config_flag, const std::string& data_dir) {
  std::filesystem::path path = config_flag;
  if (path.empty() && !data_dir.empty()) {
    std::filesystem::path candidate = std::filesystem::path(data_dir) / "reco.toml";
    if (std::filesystem::exists(candidate)) path = candidate;
  } else if (!path.empty() && !std::filesystem::exists(path)) {
    throw CommandFailed{2, "config file " + path.string() + " does not exist (--config)"};
  }
  auto config = RecoConfig::Load(path);
  if (!config.ok()) throw CommandFailed{2, "configuration: " + config.status().message()};
  return *config;
}

}  // namespace reco::cli
