// TenantFront: the router `reco serve` listens with. It holds every route of the default
// tenant's ApiService twice: as registered ("/api/users") and under "/t/{tenant}"
// ("/t/{tenant}/api/users"). A request acts on the tenant its path names, else on the tenant of
// its X-Tenant-Id header, else on `default`; then:
//   - default: a tenant's key gets 403 (a key acts on its own tenant only); any other request
//     goes to the default tenant's handler, which checks credentials as it always did.
//   - another tenant: 404 naming it when it is not registered; the credential must be the admin
//     key (server.api_key) or one of that tenant's keys (401 when missing or unknown, 403 when it
//     is another tenant's); its requests-per-second quota (429 + Retry-After); then the handler
//     of the same route in the tenant's own ApiService, whose routes add no check of their own.
// The credential and quota checks are service::TenantGate's, which gRPC shares.
// Routes only the default tenant has (tenant administration, the console) answer 404 under
// another tenant.
//
// Thread-safety: BuildRouter() once, before the server starts; the handlers it returns run
// concurrently. Lifetime: the front must outlive the router it built.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/api_service.h"
#include "api/http/router.h"
#include "core/status.h"
#include "service/tenant_gate.h"
#include "service/tenant_service.h"

namespace reco::api {

// One open tenant as the front hands requests to it.
struct TenantEndpoint {
  const Router* router = nullptr;  // the tenant's ApiService routes
  ApiService* api = nullptr;       // counts the tenant's requests in its own metrics
};

struct TenantFrontOptions {
  service::TenantGate* gate = nullptr;  // credentials and quotas (shared with gRPC)
  // The endpoint of the registered tenant `tenant` (never "default", as the registry has it for
  // this request), opened on first use.
  std::function<Result<std::shared_ptr<TenantEndpoint>>(const service::TenantInfo& tenant)> open;
};

// The route label the server's request callback sees for requests already counted in a
// tenant's metrics: patterns that start with it.
inline constexpr std::string_view kTenantRoutePrefix = "/t/{tenant}";

class TenantFront {
 public:
  TenantFront(TenantFrontOptions options, Router default_router);
  ~TenantFront();

  Router BuildRouter();

 private:
  struct Route;

  void Handle(const Route& route, bool prefixed, HttpRequest& req, HttpResponse& res);
  // The tenant the request names; InvalidArgument naming X-Tenant-Id for a malformed header or
  // one that contradicts the path.
  Result<std::string> TargetOf(const HttpRequest& req, bool prefixed) const;
  void HandleTenant(const Route& route, const std::string& tenant, HttpRequest& req,
                    HttpResponse& res);

  TenantFrontOptions options_;
  Router default_router_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace reco::api
