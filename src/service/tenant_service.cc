#include "service/tenant_service.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "core/secure_compare.h"
#include "core/sha256.h"

namespace reco::service {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kReserved[] = {"default", "admin", "api", "t", "tenants"};

// `n` random 32-bit words from the operating system's random source, as hex digits.
std::string RandomHex(int words) {
  std::random_device device;
  std::string out;
  for (int i = 0; i < words; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(device()));
    out += buf;
  }
  return out;
}

std::string Serialize(const std::vector<TenantInfo>& tenants) {
  JsonWriter w;
  w.BeginObject().Key("format").Int(1).Key("tenants").BeginArray();
  for (const TenantInfo& t : tenants) {
    w.BeginObject().Key("name").String(t.name).Key("created_us").Int(t.created);
    w.Key("quotas").BeginObject();
    w.Key("max_users").Int(t.quotas.max_users).Key("max_items").Int(t.quotas.max_items);
    w.Key("requests_per_second").Double(t.quotas.requests_per_second).EndObject();
    w.Key("keys").BeginArray();
    for (const TenantKeyInfo& k : t.keys) {
      w.BeginObject().Key("id").String(k.id).Key("sha256").String(k.sha256);
      w.Key("created_us").Int(k.created).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Status TenantNotFound(std::string_view name) {
  return Status(StatusCode::kNotFound, "tenant " + std::string(name.substr(0, 64)) + " not found",
                "tenant");
}

Status Corrupt(const fs::path& path, std::string_view what) {
  return DataLoss(path.string() + ": " + std::string(what) +
                  "; restore the file from a backup or recreate the tenants");
}

Result<TenantKeyInfo> ParseKey(simdjson::dom::object k, const fs::path& path) {
  TenantKeyInfo key;
  std::string_view id, hash;
  if (k["id"].get(id) || k["sha256"].get(hash) || k["created_us"].get(key.created)) {
    return Corrupt(path, "a key lacks id, sha256 or created_us");
  }
  key.id = id;
  key.sha256 = hash;
  return key;
}

Result<TenantInfo> ParseTenant(simdjson::dom::object t, const fs::path& path) {
  TenantInfo info;
  std::string_view name;
  simdjson::dom::object quotas;
  simdjson::dom::array keys;
  if (t["name"].get(name) || t["created_us"].get(info.created) || t["quotas"].get(quotas) ||
      t["keys"].get(keys)) {
    return Corrupt(path, "a tenant lacks name, created_us, quotas or keys");
  }
  info.name = name;
  if (quotas["max_users"].get(info.quotas.max_users) ||
      quotas["max_items"].get(info.quotas.max_items) ||
      quotas["requests_per_second"].get(info.quotas.requests_per_second)) {
    return Corrupt(path, "tenant " + info.name + " has malformed quotas");
  }
  for (simdjson::dom::element k : keys) {
    simdjson::dom::object key;
    if (k.get(key)) return Corrupt(path, "a key is not an object");
    RECO_ASSIGN_OR_RETURN(TenantKeyInfo parsed, ParseKey(key, path));
    info.keys.push_back(std::move(parsed));
  }
  return info;
}

Result<std::vector<TenantInfo>> Parse(const std::string& text, const fs::path& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array tenants;
  if (parser.parse(text).get(doc) || doc["tenants"].get(tenants)) {
    return Corrupt(path, "not a tenant registry (no \"tenants\" array)");
  }
  std::vector<TenantInfo> out;
  for (simdjson::dom::element t : tenants) {
    simdjson::dom::object object;
    if (t.get(object)) return Corrupt(path, "a tenant is not an object");
    RECO_ASSIGN_OR_RETURN(TenantInfo info, ParseTenant(object, path));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace

Status ValidateTenantName(std::string_view name, std::string_view field) {
  const std::string f(field);
  if (name.empty() || name.size() > 63) {
    return InvalidArgument("tenant name must have 1 to 63 characters", f);
  }
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(name[0])) {
    return InvalidArgument("tenant name must start with a-z or 0-9: " + std::string(name), f);
  }
  for (char c : name) {
    if (!lower_digit(c) && c != '_' && c != '-') {
      return InvalidArgument(
          "tenant name may hold only a-z, 0-9, '_' and '-': " + std::string(name.substr(0, 64)), f);
    }
  }
  for (std::string_view reserved : kReserved) {
    if (name == reserved) {
      return InvalidArgument("tenant name " + std::string(name) + " is reserved", f);
    }
  }
  return Status::Ok();
}

Status ValidateQuotas(const TenantQuotas& q) {
  if (q.max_users < 0) return InvalidArgument("max_users must be >= 0 (0 = no limit)", "max_users");
  if (q.max_items < 0) return InvalidArgument("max_items must be >= 0 (0 = no limit)", "max_items");
  if (!std::isfinite(q.requests_per_second) || q.requests_per_second < 0 ||
      q.requests_per_second > 1e6) {
    return InvalidArgument("requests_per_second must be in [0, 1e6] (0 = no limit)",
                           "requests_per_second");
  }
  return Status::Ok();
}

TenantService::TenantService(fs::path data_dir, const Clock& clock)
    : data_dir_(std::move(data_dir)), clock_(clock) {}

fs::path TenantService::DirOf(std::string_view name) const {
  if (name == kDefaultTenant) return data_dir_;
  return data_dir_ / "tenants" / std::string(name);
}

fs::path TenantService::RegistryPath() const { return data_dir_ / "tenants" / "tenants.json"; }

Status TenantService::RefreshLocked() {
  const fs::path path = RegistryPath();
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) {  // no registry yet: no tenants besides default
    tenants_.clear();
    loaded_ = true;
    return Status::Ok();
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (loaded_ && mtime == loaded_mtime_ && size == loaded_size_) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  RECO_ASSIGN_OR_RETURN(tenants_, Parse(text, path));
  loaded_mtime_ = mtime;
  loaded_size_ = size;
  loaded_ = true;
  return Status::Ok();
}

Status TenantService::SaveLocked() {
  RECO_RETURN_IF_ERROR(EnsureDirectory(data_dir_ / "tenants"));
  RECO_RETURN_IF_ERROR(WriteFileAtomic(RegistryPath(), Serialize(tenants_)));
  std::error_code ec;
  loaded_mtime_ = fs::last_write_time(RegistryPath(), ec);
  loaded_size_ = fs::file_size(RegistryPath(), ec);
  return Status::Ok();
}

TenantInfo* TenantService::FindLocked(std::string_view name) {
  for (TenantInfo& t : tenants_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

IssuedKey TenantService::NewKeyLocked(TenantInfo& tenant) {
  IssuedKey issued{.tenant = tenant.name, .id = "k" + RandomHex(1), .key = "rt_" + RandomHex(8)};
  tenant.keys.push_back(
      {.id = issued.id, .sha256 = Sha256Hex(issued.key), .created = clock_.NowMicros()});
  return issued;
}

Result<std::vector<TenantInfo>> TenantService::List() {
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  return tenants_;
}

Result<TenantInfo> TenantService::Get(std::string_view name) {
  if (name == kDefaultTenant) return TenantInfo{.name = std::string(kDefaultTenant)};
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  if (TenantInfo* t = FindLocked(name)) return *t;
  return TenantNotFound(name);
}

Result<IssuedKey> TenantService::Create(std::string_view name, const TenantQuotas& quotas) {
  RECO_RETURN_IF_ERROR(ValidateTenantName(name));
  RECO_RETURN_IF_ERROR(ValidateQuotas(quotas));
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  const fs::path dir = DirOf(name);
  if (FindLocked(name) != nullptr || fs::exists(dir)) {
    return Status(StatusCode::kAlreadyExists, "tenant " + std::string(name) + " already exists",
                  "name");
  }
  RECO_RETURN_IF_ERROR(EnsureDirectory(dir));
  tenants_.push_back({.name = std::string(name), .created = clock_.NowMicros(), .quotas = quotas});
  IssuedKey issued = NewKeyLocked(tenants_.back());
  if (Status saved = SaveLocked(); !saved.ok()) {
    tenants_.pop_back();
    std::error_code ec;
    fs::remove_all(dir, ec);
    return saved;
  }
  spdlog::info("event=tenant_created tenant={} dir={}", name, dir.string());
  return issued;
}

Status TenantService::Delete(std::string_view name) {
  if (name == kDefaultTenant) {
    return InvalidArgument("the default tenant (the data directory itself) cannot be deleted",
                           "tenant");
  }
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    RECO_RETURN_IF_ERROR(RefreshLocked());
    auto it = std::find_if(tenants_.begin(), tenants_.end(),
                           [&](const TenantInfo& t) { return t.name == name; });
    if (it == tenants_.end()) return TenantNotFound(name);
    TenantInfo removed = *it;
    tenants_.erase(it);
    if (Status saved = SaveLocked(); !saved.ok()) {
      tenants_.push_back(std::move(removed));
      return saved;
    }
    hook = before_delete_;
  }
  // The entry is gone first: no key of the tenant is accepted while its files are removed.
  if (hook) hook(std::string(name));
  std::error_code ec;
  fs::remove_all(DirOf(name), ec);
  if (ec) {
    return Internal("tenant " + std::string(name) +
                    " removed from the registry but its directory " + DirOf(name).string() +
                    " was not removed: " + ec.message());
  }
  spdlog::info("event=tenant_deleted tenant={}", name);
  return Status::Ok();
}

Result<IssuedKey> TenantService::IssueKey(std::string_view name, bool revoke_others) {
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  TenantInfo* t = FindLocked(name);
  if (t == nullptr) return TenantNotFound(name);
  const std::vector<TenantKeyInfo> before = t->keys;
  if (revoke_others) t->keys.clear();
  IssuedKey issued = NewKeyLocked(*t);
  if (Status saved = SaveLocked(); !saved.ok()) {
    t->keys = before;
    return saved;
  }
  if (revoke_others) {
    spdlog::info("event=tenant_keys_rotated tenant={} revoked={} key_id={}", name, before.size(),
                 issued.id);
  }
  return issued;
}

Status TenantService::RevokeKey(std::string_view name, std::string_view key_id) {
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  TenantInfo* t = FindLocked(name);
  if (t == nullptr) return TenantNotFound(name);
  auto it = std::find_if(t->keys.begin(), t->keys.end(),
                         [&](const TenantKeyInfo& k) { return k.id == key_id; });
  if (it == t->keys.end()) {
    return Status(StatusCode::kNotFound,
                  "tenant " + t->name + " has no key " + std::string(key_id.substr(0, 64)),
                  "key_id");
  }
  const TenantKeyInfo removed = *it;
  const auto at = t->keys.erase(it);
  if (Status saved = SaveLocked(); !saved.ok()) {
    t->keys.insert(at, removed);
    return saved;
  }
  spdlog::info("event=tenant_key_revoked tenant={} key_id={}", name, removed.id);
  return Status::Ok();
}

Status TenantService::SetQuotas(std::string_view name, const TenantQuotas& quotas) {
  RECO_RETURN_IF_ERROR(ValidateQuotas(quotas));
  std::lock_guard lock(mu_);
  RECO_RETURN_IF_ERROR(RefreshLocked());
  TenantInfo* t = FindLocked(name);
  if (t == nullptr) {
    return TenantNotFound(name);
  }
  const TenantQuotas before = t->quotas;
  t->quotas = quotas;
  if (Status saved = SaveLocked(); !saved.ok()) {
    t->quotas = before;
    return saved;
  }
  return Status::Ok();
}

std::optional<std::string> TenantService::Identify(std::string_view key) {
  if (key.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(key);
  std::lock_guard lock(mu_);
  if (Status st = RefreshLocked(); !st.ok()) {
    spdlog::warn("event=tenant_registry_unreadable reason=\"{}\"", st.ToString());
  }
  std::optional<std::string> found;
  for (const TenantInfo& t : tenants_) {
    for (const TenantKeyInfo& k : t.keys) {
      if (ConstantTimeEquals(hash, k.sha256)) found = t.name;
    }
  }
  return found;
}

void TenantService::SetBeforeDelete(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(mu_);
  before_delete_ = std::move(hook);
}

}  // namespace reco::service
