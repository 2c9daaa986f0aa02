// `reco tenant create|list|show|delete|keys` on --data-dir DIR (docs/tenants.md). The data
// directory itself is the `default` tenant; another tenant NAME is the complete data directory
// DIR/tenants/NAME. `create` and `keys --new` print the new API key as the last line of their
// output: it is stored only as a hash and never shown again.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/config_loader.h"
#include "store/open_store.h"
#include "core/time.h"
#include "service/tenant_service.h"

namespace reco::cli {
namespace {

struct TenantFlags {
  std::string data_dir;
  std::string name;
  service::TenantQuotas quotas;
  bool new_key = false;
  bool rotate = false;    // a new key, every earlier one revoked
  std::string revoke_id;  // revoke this key
};

template <typename T>
T OrFail(Result<T> result, const std::string& what) {
  if (!result.ok()) {
    throw CommandFailed{result.status().code() == StatusCode::kInvalidArgument ? 2 : 1,
                        what + ": " + result.status().ToString()};
  }
  return std::move(result).value();
}

service::TenantService Open(const TenantFlags& flags, const std::string& command) {
  RequireDataDir(command, flags.data_dir);
  return service::TenantService(flags.data_dir, SystemClock::Get());
}

void PrintKey(const service::IssuedKey& issued) {
  std::printf("key %s of tenant %s (shown once: store it now; send it as X-API-Key)\n%s\n",
              issued.id.c_str(), issued.tenant.c_str(), issued.key.c_str());
}

void PrintTenant(const service::TenantInfo& t) {
  std::printf("%s created=%s keys=%zu max_users=%lld max_items=%lld requests_per_second=%g\n",
              t.name.c_str(), FormatTimestamp(t.created).c_str(), t.keys.size(),
              static_cast<long long>(t.quotas.max_users),
              static_cast<long long>(t.quotas.max_items), t.quotas.requests_per_second);
}

void Create(const TenantFlags& flags) {
  service::TenantService tenants = Open(flags, "reco tenant create");
  service::IssuedKey issued =
      OrFail(tenants.Create(flags.name, flags.quotas), "reco tenant create");
  std::printf("tenant %s created: data directory %s\n", flags.name.c_str(),
              tenants.DirOf(flags.name).c_str());
  PrintKey(issued);
}

void List(const TenantFlags& flags) {
  service::TenantService tenants = Open(flags, "reco tenant list");
  std::printf("default (the data directory %s)\n", flags.data_dir.c_str());
  for (const service::TenantInfo& t : OrFail(tenants.List(), "reco tenant list")) PrintTenant(t);
}

void Show(const TenantFlags& flags) {
  service::TenantService tenants = Open(flags, "reco tenant show");
  service::TenantInfo t = OrFail(tenants.Get(flags.name), "reco tenant show");
  PrintTenant(t);
  std::printf("directory %s\n", tenants.DirOf(flags.name).c_str());
  for (const service::TenantKeyInfo& k : t.keys) {
    std::printf("key %s created=%s\n", k.id.c_str(), FormatTimestamp(k.created).c_str());
  }
}

void Delete(const TenantFlags& flags) {
  service::TenantService tenants = Open(flags, "reco tenant delete");
  // With a PostgreSQL store the tenant's tables (its schema) go first: when they cannot be
  // dropped, nothing is deleted.
  OrFail(tenants.Get(flags.name), "reco tenant delete");
  if (Status st = DeleteTenantStore(LoadCommandConfig("", flags.data_dir), flags.name); !st.ok()) {
    throw CommandFailed{1, "reco tenant delete: the tenant's tables were not dropped (nothing "
                           "deleted): " + st.ToString()};
  }
  if (Status st = tenants.Delete(flags.name); !st.ok()) {
    throw CommandFailed{st.code() == StatusCode::kInvalidArgument ? 2 : 1,
                        "reco tenant delete: " + st.ToString()};
  }
  std::printf("tenant %s deleted: its keys and %s are gone\n", flags.name.c_str(),
              tenants.DirOf(flags.name).c_str());
}

void Keys(const TenantFlags& flags) {
  service::TenantService tenants = Open(flags, "reco tenant keys");
  if (!flags.revoke_id.empty()) {
    if (Status st = tenants.RevokeKey(flags.name, flags.revoke_id); !st.ok()) {
      throw CommandFailed{1, "reco tenant keys: " + st.ToString()};
    }
    std::printf("key %s of tenant %s revoked\n", flags.revoke_id.c_str(), flags.name.c_str());
    return;
  }
  if (flags.new_key || flags.rotate) {
    PrintKey(OrFail(tenants.IssueKey(flags.name, flags.rotate), "reco tenant keys"));
    return;
  }
  service::TenantInfo t = OrFail(tenants.Get(flags.name), "reco tenant keys");
  for (const service::TenantKeyInfo& k : t.keys) {
    std::printf("%s created=%s\n", k.id.c_str(), FormatTimestamp(k.created).c_str());
  }
}

CLI::App* AddSub(CLI::App* parent, const std::shared_ptr<TenantFlags>& flags, const char* name,
                 const char* help, bool takes_name, void (*run)(const TenantFlags&)) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  if (takes_name) cmd->add_option("NAME", flags->name, "Tenant name")->required();
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (the default tenant)")->required();
  cmd->callback([flags, run] { run(*flags); });
  return cmd;
}

}  // namespace

void RegisterTenantCommand(CLI::App& app) {
  auto flags = std::make_shared<TenantFlags>();
  CLI::App* tenant = app.add_subcommand(
      "tenant",
      "Manage tenants: each is a data directory of its own under DIR/tenants/NAME with its own "
      "API keys; DIR itself is the default tenant.");
  tenant->require_subcommand(1);
  CLI::App* create =
      AddSub(tenant, flags, "create",
             "Create tenant NAME and print its first API key as the last line", true, Create);
  create->add_option("--max-users", flags->quotas.max_users, "Quota of users (0 = none)");
  create->add_option("--max-items", flags->quotas.max_items, "Quota of items (0 = none)");
  create->add_option("--requests-per-second", flags->quotas.requests_per_second,
                     "Requests per second (token bucket; 0 = no limit)");
  AddSub(tenant, flags, "list", "List the tenants", false, List);
  AddSub(tenant, flags, "show", "Show tenant NAME: quotas, directory, key ids", true, Show);
  AddSub(tenant, flags, "delete",
         "Delete tenant NAME: its registry entry, keys and directory, nothing else", true, Delete);
  CLI::App* keys = AddSub(tenant, flags, "keys",
                          "List the key ids of tenant NAME; --new issues another key", true, Keys);
  CLI::Option* new_key =
      keys->add_flag("--new", flags->new_key,
                     "Issue another key (printed as the last line); earlier keys stay valid");
  CLI::Option* rotate =
      keys->add_flag("--rotate", flags->rotate,
                     "Issue a new key (printed as the last line) and revoke every earlier one");
  keys->add_option("--revoke", flags->revoke_id, "Revoke the key with this id")
      ->excludes(new_key)
      ->excludes(rotate);
  new_key->excludes(rotate);
}

}  // namespace reco::cli
