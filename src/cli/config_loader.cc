#include "cli/config_loader.h"

#include <filesystem>

#include "cli/commands.h"
#include "core/time.h"
#include "service/tenant_service.h"

namespace reco::cli {

void RequireDataDir(const std::string& command, const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    throw CommandFailed{1, command + ": data directory " + data_dir + " does not exist (--data-dir)"};
  }
}

namespace {

// The data directory whose tenant `data_dir` is (DIR of DIR/tenants/NAME, recognised by
// DIR/tenants/tenants.json); "" when `data_dir` is no tenant's.
std::filesystem::path RootOfTenant(const std::filesystem::path& data_dir) {
  const std::filesystem::path dir = std::filesystem::absolute(data_dir).lexically_normal();
  const std::filesystem::path parent = (dir.has_filename() ? dir : dir.parent_path()).parent_path();
  if (parent.filename() != "tenants" || !std::filesystem::exists(parent / "tenants.json")) {
    return {};
  }
  return parent.parent_path();
}

}  // namespace

RecoConfig LoadCommandConfig(const std::string& config_flag, const std::string& data_dir) {
  // A tenant's directory takes the configuration of the data directory it belongs to, then its
  // own reco.toml as per-tenant overrides (docs/tenants.md).
  const std::filesystem::path root = data_dir.empty() ? "" : RootOfTenant(data_dir);
  std::filesystem::path path = config_flag;
  if (path.empty() && !data_dir.empty()) {
    std::filesystem::path candidate =
        (root.empty() ? std::filesystem::path(data_dir) : root) / "reco.toml";
    if (std::filesystem::exists(candidate)) path = candidate;
  } else if (!path.empty() && !std::filesystem::exists(path)) {
    throw CommandFailed{2, "config file " + path.string() + " does not exist (--config)"};
  }
  auto config = RecoConfig::Load(path);
  if (!config.ok()) throw CommandFailed{2, "configuration: " + config.status().message()};
  const std::filesystem::path tenant_file = std::filesystem::path(data_dir) / "reco.toml";
  if (!root.empty() && std::filesystem::exists(tenant_file)) {
    if (Status st = config->ApplyTenantFile(tenant_file); !st.ok()) {
      throw CommandFailed{2, "configuration: " + st.message()};
    }
  }
  return *config;
}

std::string TenantDataDir(const std::string& command, const std::string& data_dir,
                          const std::string& tenant) {
  if (tenant.empty() || tenant == service::kDefaultTenant) return data_dir;
  RequireDataDir(command, data_dir);
  service::TenantService tenants(data_dir, SystemClock::Get());
  Result<service::TenantInfo> info = tenants.Get(tenant);
  if (!info.ok()) {
    throw CommandFailed{1, command + ": --tenant " + tenant + ": " + info.status().message() +
                               " in " + data_dir + " (reco tenant list --data-dir " + data_dir +
                               ")"};
  }
  return tenants.DirOf(tenant).string();
}

}  // namespace reco::cli
