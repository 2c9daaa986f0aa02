#include "api/tenant_front.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace reco::api {
namespace {

constexpr std::string_view kBearer = "Bearer ";

// The credential a request presents: X-API-Key, else the Bearer token.
std::string_view PresentedKey(const HttpRequest& req) {
  std::string_view key = req.Header("X-API-Key");
  if (!key.empty()) return key;
  std::string_view auth = req.Header("Authorization");
  if (auth.substr(0, kBearer.size()) == kBearer) return auth.substr(kBearer.size());
  return {};
}

// Routes of the default tenant only: tenant administration and the console.
bool DefaultOnly(std::string_view pattern) {
  return pattern.starts_with("/api/v1/tenants") || pattern.starts_with("/console");
}

void Deny(HttpResponse& res, const Status& status, std::string_view tenant,
          const HttpRequest& req) {
  spdlog::warn("event=tenant_request_denied tenant={} route=\"{}\" remote={} reason=\"{}\"",
               tenant.substr(0, 64), req.route(), req.remote_address(), status.ToString());
  SetStatusError(res, status);
}

}  // namespace

struct TenantFront::Route {
  std::string method;
  std::string pattern;           // as the tenant's ApiService registered it
  std::string prefixed_pattern;  // "/t/{tenant}" + pattern
  bool blocking = false;
  bool default_only = false;
  const HttpHandler* default_handler = nullptr;
};

TenantFront::TenantFront(TenantFrontOptions options, Router default_router)
    : options_(std::move(options)), default_router_(std::move(default_router)) {}

TenantFront::~TenantFront() = default;

Router TenantFront::BuildRouter() {
  Router router;
  for (const Router::RouteEntry& entry : default_router_.Routes()) {
    auto route = std::make_unique<Route>();
    route->method = entry.method;
    route->pattern = entry.pattern;
    route->prefixed_pattern = std::string(kTenantRoutePrefix) + entry.pattern;
    route->blocking = entry.blocking;
    route->default_only = DefaultOnly(entry.pattern);
    route->default_handler = default_router_.Find(entry.method, entry.pattern);
    const Route* r = route.get();
    router.Add(
        r->method, r->pattern,
        [this, r](HttpRequest& req, HttpResponse& res) { Handle(*r, false, req, res); },
        r->blocking);
    if (!r->default_only) {
      router.Add(
          r->method, r->prefixed_pattern,
          [this, r](HttpRequest& req, HttpResponse& res) { Handle(*r, true, req, res); },
          r->blocking);
    }
    routes_.push_back(std::move(route));
  }
  return router;
}

Result<std::string> TenantFront::TargetOf(const HttpRequest& req, bool prefixed) const {
  const std::string_view header = req.Header("X-Tenant-Id");
  if (!header.empty() && header != service::kDefaultTenant) {
    RECO_RETURN_IF_ERROR(service::ValidateTenantName(header, "X-Tenant-Id"));
  }
  if (!prefixed) return std::string(header.empty() ? service::kDefaultTenant : header);
  const std::string_view in_path = req.Param("tenant");
  if (in_path != service::kDefaultTenant) {
    RECO_RETURN_IF_ERROR(service::ValidateTenantName(in_path, "tenant"));
  }
  if (!header.empty() && header != in_path) {
    return InvalidArgument("X-Tenant-Id names tenant " + std::string(header) +
                               " but the path names " + std::string(in_path),
                           "X-Tenant-Id");
  }
  return std::string(in_path);
}

void TenantFront::Handle(const Route& route, bool prefixed, HttpRequest& req, HttpResponse& res) {
  Result<std::string> target = TargetOf(req, prefixed);
  if (!target.ok()) return Deny(res, target.status(), "", req);
  if (*target != service::kDefaultTenant) {
    if (route.default_only) {
      return Deny(res,
                  Status(StatusCode::kNotFound,
                         route.method + " " + route.pattern + " exists on the default tenant only",
                         "X-Tenant-Id"),
                  *target, req);
    }
    return HandleTenant(route, *target, req, res);
  }
  if (Status st = options_.gate->CheckDefault(PresentedKey(req), {}); !st.ok()) {
    return Deny(res, st, service::kDefaultTenant, req);
  }
  // Counted in the default tenant's metrics under the plain route.
  if (prefixed) req.SetRoute(route.pattern);
  (*route.default_handler)(req, res);
}

void TenantFront::HandleTenant(const Route& route, const std::string& tenant, HttpRequest& req,
                               HttpResponse& res) {
  double retry_after = 0;
  Result<service::TenantAdmission> admitted =
      options_.gate->Admit(tenant, PresentedKey(req), {}, &retry_after);
  if (!admitted.ok()) {
    Deny(res, admitted.status(), tenant, req);
    if (admitted.status().code() == StatusCode::kResourceExhausted) {
      res.AddHeader("Retry-After", std::to_string(static_cast<int64_t>(std::ceil(retry_after))));
    }
    return;
  }
  Result<std::shared_ptr<TenantEndpoint>> endpoint = options_.open(admitted->info);
  if (!endpoint.ok()) return Deny(res, endpoint.status(), tenant, req);
  const HttpHandler* handler = (*endpoint)->router->Find(route.method, route.pattern);
  if (handler == nullptr) {
    return Deny(res,
                Status(StatusCode::kNotFound,
                       route.method + " " + route.pattern + " is not served for tenant " + tenant),
                tenant, req);
  }
  const auto start = std::chrono::steady_clock::now();
  (*handler)(req, res);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  (*endpoint)->api->OnRequestDone(route.pattern, route.method, res.status, seconds);
  // The server's own callback skips routes under the prefix: this one is counted already.
  req.SetRoute(route.prefixed_pattern);
}

}  // namespace reco::api
