// TenantGate: who may act on which tenant — the one credential and quota check of every
// transport (REST's tenant front, api/tenant_front.h, and the gRPC call guard,
// grpc/call_guard.h), so that a key means the same on both:
//   - the default tenant: a tenant's key is refused (PermissionDenied: a key acts on its own
//     tenant only); any other credential is left to the default tenant's own rules
//     (server.api_key, the admin credentials), which the transport applies as before tenants.
//   - another tenant: NotFound naming it when it is not registered; the credential must be the
//     admin key (server.api_key) or one of that tenant's keys (Unauthenticated when missing or
//     unknown, PermissionDenied when it is another tenant's); then its requests-per-second quota
//     (ResourceExhausted; one token bucket per tenant, shared by every transport).
//
// Thread-safety: every method may be called from many threads. Lifetime: borrows the
// TenantService and the Clock, which must outlive it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "service/tenant_service.h"

namespace reco::service {

// How a transport names the credential in its errors: REST's header "X-API-Key", gRPC's
// metadata "x-api-key".
struct CredentialName {
  std::string_view field = "X-API-Key";
  std::string_view carrier = "header";  // "header" | "metadata"
};

struct TenantGateOptions {
  TenantService* tenants = nullptr;
  std::string admin_key;         // server.api_key; "" = none configured
  const Clock* clock = nullptr;  // the token buckets of the requests-per-second quotas
};

// What Admit() lets through: the tenant as the registry has it for this request.
struct TenantAdmission {
  TenantInfo info;
};

class TenantGate {
 public:
  explicit TenantGate(TenantGateOptions options);

  // The tenant a request names (`named` "" = default); InvalidArgument naming `field` (in the
  // message and as its field) when the name is malformed.
  static Result<std::string> TargetOf(std::string_view named, std::string_view field);

  // The default tenant: PermissionDenied when `key` is a tenant's key; Ok otherwise.
  Status CheckDefault(std::string_view key, const CredentialName& name) const;

  // Another tenant (never "default"). `key` is the presented credential ("" when none). On a
  // spent quota the error is ResourceExhausted and `retry_after` (seconds) is set.
  Result<TenantAdmission> Admit(std::string_view tenant, std::string_view key,
                                const CredentialName& name, double* retry_after = nullptr);

 private:
  Status Authorize(std::string_view tenant, std::string_view key, const CredentialName& name) const;
  // Ok, or ResourceExhausted with the seconds until a token is free in `retry_after`.
  Status TakeToken(const std::string& tenant, double rate, double& retry_after);
  bool IsAdmin(std::string_view key) const;

  struct Bucket {
    double tokens = 0;
    TimestampUs last = 0;
  };

  TenantGateOptions options_;
  std::mutex buckets_mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace reco::service
