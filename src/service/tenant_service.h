// TenantService: the registry of tenants and their API keys.
//
// Tenancy is structural: the `default` tenant is the data directory itself (a data directory of
// an earlier release is the default tenant as it is), and every other tenant NAME is a complete
// data directory of its own, DATA_DIR/tenants/NAME/ (store, models, registry, runs, jobs,
// pipeline state, exposure log, and a reco.toml of per-tenant overrides). Everything reco does
// with a data directory is therefore per tenant without a tenant column anywhere.
//
// The registry is DATA_DIR/tenants/tenants.json, replaced atomically on every change. It holds
// the tenants, their quotas and their keys; a key is stored only as its SHA-256, the key itself
// is returned once, when it is issued. A change made by another process (`reco tenant` while
// `reco serve` runs) is picked up on the next call: the file is re-read when its modification
// time or size changed.
//
// Thread-safety: every method may be called from many threads (one mutex). Several processes may
// read the file at once; changes from two processes at the same instant are not merged (the last
// writer wins), which the CLI and REST paths of one operator never do in practice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco::service {

inline constexpr std::string_view kDefaultTenant = "default";

// Limits of one tenant; 0 = none.
struct TenantQuotas {
  int64_t max_users = 0;
  int64_t max_items = 0;
  double requests_per_second = 0;  // token bucket, burst = max(1, rate)
};

struct TenantKeyInfo {
  std::string id;      // "k" + 8 hex digits, shown in listings
  std::string sha256;  // of the key; never the key itself
  TimestampUs created = 0;
};

struct TenantInfo {
  std::string name;
  TimestampUs created = 0;
  TenantQuotas quotas;
  std::vector<TenantKeyInfo> keys;
};

// A key just issued: `key` is shown once and never stored.
struct IssuedKey {
  std::string tenant;
  std::string id;
  std::string key;
};

// Ok when `name` may name a new tenant: [a-z0-9][a-z0-9_-]{0,62}, not a reserved word
// ("default", "admin", "api", "t", "tenants"). InvalidArgument on `field` otherwise.
Status ValidateTenantName(std::string_view name, std::string_view field = "name");

// Ok when the quotas are in range (non-negative, finite); InvalidArgument naming the quota.
Status ValidateQuotas(const TenantQuotas& quotas);

class TenantService {
 public:
  // `data_dir` is the default tenant's directory (the root).
  TenantService(std::filesystem::path data_dir, const Clock& clock);

  // The data directory of `name`: the root for "default", else root/tenants/NAME.
  std::filesystem::path DirOf(std::string_view name) const;

  Result<std::vector<TenantInfo>> List();
  // NotFound naming the tenant; "default" is answered too (no keys, no quotas).
  Result<TenantInfo> Get(std::string_view name);
  // Creates the directory and the entry and issues the first key. AlreadyExists when the name
  // is taken or its directory exists; nothing is left behind on failure.
  Result<IssuedKey> Create(std::string_view name, const TenantQuotas& quotas);
  // Removes the entry, then the directory (after `before_delete`, e.g. closing the server's
  // open handles on it). The default tenant cannot be deleted.
  Status Delete(std::string_view name);
  // Another key; `revoke_others` (rotation) revokes every earlier key in the same write.
  Result<IssuedKey> IssueKey(std::string_view name, bool revoke_others = false);
  // NotFound naming key_id when the tenant has no such key.
  Status RevokeKey(std::string_view name, std::string_view key_id);
  Status SetQuotas(std::string_view name, const TenantQuotas& quotas);

  // The tenant a presented key belongs to; nullopt when it is no tenant's key.
  std::optional<std::string> Identify(std::string_view key);

  // Called with the tenant's name before its directory is removed.
  void SetBeforeDelete(std::function<void(const std::string&)> hook);

 private:
  std::filesystem::path RegistryPath() const;
  // Re-reads the file when it changed since the last read; the caller holds mu_.
  Status RefreshLocked();
  Status SaveLocked();
  TenantInfo* FindLocked(std::string_view name);
  IssuedKey NewKeyLocked(TenantInfo& tenant);

  std::filesystem::path data_dir_;
  const Clock& clock_;
  std::mutex mu_;
  std::vector<TenantInfo> tenants_;
  std::filesystem::file_time_type loaded_mtime_{};
  uintmax_t loaded_size_ = 0;
  bool loaded_ = false;
  std::function<void(const std::string&)> before_delete_;
};

}  // namespace reco::service
