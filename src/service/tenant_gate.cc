#include "service/tenant_gate.h"

#include <algorithm>

#include "core/secure_compare.h"

namespace reco::service {

TenantGate::TenantGate(TenantGateOptions options) : options_(std::move(options)) {}

Result<std::string> TenantGate::TargetOf(std::string_view named, std::string_view field) {
  if (named.empty() || named == kDefaultTenant) return std::string(kDefaultTenant);
  if (Status valid = ValidateTenantName(named, field); !valid.ok()) {
    return Status(valid.code(), std::string(field) + ": " + valid.message(), valid.field());
  }
  return std::string(named);
}

bool TenantGate::IsAdmin(std::string_view key) const {
  return !options_.admin_key.empty() && ConstantTimeEquals(key, options_.admin_key);
}

Status TenantGate::CheckDefault(std::string_view key, const CredentialName& name) const {
  if (key.empty() || IsAdmin(key)) return Status::Ok();
  if (std::optional<std::string> owner = options_.tenants->Identify(key)) {
    return Status(StatusCode::kPermissionDenied,
                  "the key of tenant " + *owner + " may act only on tenant " + *owner,
                  std::string(name.field));
  }
  return Status::Ok();
}

Status TenantGate::Authorize(std::string_view tenant, std::string_view key,
                             const CredentialName& name) const {
  const std::string field(name.field);
  if (key.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "tenant " + std::string(tenant) + " needs the " + std::string(name.carrier) +
                      " " + field + ": <a key of " + std::string(tenant) + " or the admin key>",
                  field);
  }
  if (IsAdmin(key)) return Status::Ok();
  std::optional<std::string> owner = options_.tenants->Identify(key);
  if (!owner) {
    return Status(StatusCode::kUnauthenticated,
                  "invalid " + field + " " + std::string(name.carrier), field);
  }
  if (*owner != tenant) {
    return Status(StatusCode::kPermissionDenied,
                  "the key of tenant " + *owner + " may act only on tenant " + *owner, field);
  }
  return Status::Ok();
}

Status TenantGate::TakeToken(const std::string& tenant, double rate, double& retry_after) {
  const TimestampUs now = options_.clock->NowMicros();
  const double burst = std::max(1.0, rate);
  std::lock_guard lock(buckets_mu_);
  auto [it, inserted] = buckets_.try_emplace(tenant, Bucket{.tokens = burst, .last = now});
  Bucket& b = it->second;
  const double elapsed = static_cast<double>(std::max<TimestampUs>(0, now - b.last)) / 1e6;
  b.tokens = std::min(burst, b.tokens + elapsed * rate);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return Status::Ok();
  }
  retry_after = (1.0 - b.tokens) / rate;
  return ResourceExhausted("tenant " + tenant + " is over its quota of " + std::to_string(rate) +
                           " requests per second (requests_per_second)");
}

Result<TenantAdmission> TenantGate::Admit(std::string_view tenant, std::string_view key,
                                          const CredentialName& name, double* retry_after) {
  RECO_ASSIGN_OR_RETURN(TenantInfo info, options_.tenants->Get(tenant));
  RECO_RETURN_IF_ERROR(Authorize(tenant, key, name));
  if (const double rate = info.quotas.requests_per_second; rate > 0) {
    double wait = 0;
    Status token = TakeToken(info.name, rate, wait);
    if (retry_after != nullptr) *retry_after = wait;
    RECO_RETURN_IF_ERROR(token);
  }
  return TenantAdmission{.info = std::move(info)};
}

}  // namespace reco::service
