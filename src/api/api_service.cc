#include "api/api_service.h"

#include <spdlog/spdlog.h>

#include "api/responses.h"
#include "core/json_writer.h"
#include "core/secure_compare.h"

namespace reco::api {

std::string_view ConsoleSessionId(const HttpRequest& req) {
  return ConsoleSessions::SessionId(req.Header("Cookie"),
                                    ConsoleSessions::CookieName(req.Header("Host")));
}

namespace {

// A request that presents no credential header but a console cookie is judged by its console
// session.
bool UsesConsoleSession(const ConsoleSessions* console, const HttpRequest& req) {
  return console != nullptr && !ConsoleSessionId(req).empty() &&
         req.Header("Authorization").empty() && req.Header("X-API-Key").empty();
}

// An operators' state-changing route: never from a page of another site; then the console
// session, or the credential headers (api/admin_auth.h).
Status AuthorizeAdminRequest(AdminScope scope, const std::string& route,
                             const AdminCredentials& credentials, const ConsoleSessions* console,
                             const HttpRequest& req) {
  if (IsCrossOrigin(req.Header("Origin"), req.Header("Host"))) {
    return Status(StatusCode::kPermissionDenied,
                  route + " refuses requests from pages of another origin (" +
                      std::string(req.Header("Origin").substr(0, 100)) + ")");
  }
  if (UsesConsoleSession(console, req)) {
    return console->Authorize(req.method(), ConsoleSessionId(req), req.Header("X-CSRF-Token"));
  }
  // Browsers send Origin with every POST; command-line clients do not. A page of this server
  // acts only through a console session, so a read-only console cannot act through the
  // loopback exemption below.
  if (!req.Header("Origin").empty() && req.Header("Authorization").empty() &&
      req.Header("X-API-Key").empty()) {
    return Status(StatusCode::kPermissionDenied,
                  route + ": a browser page acts only with a console session that may act (log "
                          "in, or start reco serve with --console-write when no token is "
                          "configured)");
  }
  return AuthorizeAdmin(scope, route, credentials,
                        {.x_api_key = req.Header("X-API-Key"),
                         .authorization = req.Header("Authorization"),
                         .remote_address = req.remote_address()});
}

}  // namespace

// Per-route metric series, looked up once per (route, status) and then cached: the request
// path takes no mutex once warm.
struct ApiService::RouteMetrics {
  std::string method;
  std::string route;
  bool recommendation = false;
  Histogram* seconds = nullptr;
  Histogram* recommendation_seconds = nullptr;
  std::array<std::atomic<Counter*>, 600> by_status{};
};

HttpHandler ApiService::ReleasingParserBuffers(HttpHandler handler) const {
  // The body parser of this thread grows to the largest body it parsed; a burst of large bodies
  // must not leave that much memory per thread behind.
  const auto max_bytes = static_cast<size_t>(d_.config->server.buffer_release_bytes);
  return [max_bytes, inner = std::move(handler)](HttpRequest& req, HttpResponse& res) {
    inner(req, res);
    ReleaseBodyParserBuffers(max_bytes);
  };
}

ApiService::ApiService(ApiDeps deps) : d_(deps) {
  requests_total_ =
      d_.metrics->AddCounter("http_requests_total", "HTTP requests by route, method and status.",
                             {"route", "method", "status"});
  request_seconds_ = d_.metrics->AddHistogram(
      "http_request_duration_seconds", "Time to answer an HTTP request, by route.", {"route"});
  recommendation_seconds_ =
      d_.metrics->AddHistogram("recommendation_latency_seconds",
                               "Time to answer a recommendation request, by route.", {"route"});
  unmatched_metrics_ = std::make_unique<RouteMetrics>();
  unmatched_metrics_->route = std::string(kUnmatchedRoute);
  unmatched_metrics_->seconds = request_seconds_->WithLabels({unmatched_metrics_->route});
  if (d_.config->console.enabled) {
    console_ = std::make_unique<ConsoleSessions>(
        ConsoleAuthOptions{
            .credentials = {d_.config->server.api_key, d_.config->server.reload_token},
            .write_without_token = d_.config->console.write_without_token,
            .session_seconds = d_.config->console.session_hours * 3600},
        *d_.clock);
  }
}

ApiService::~ApiService() = default;

void ApiService::Add(Router& router, RouteDoc doc, HttpHandler handler) {
  auto metrics = std::make_unique<RouteMetrics>();
  metrics->method = doc.method;
  metrics->route = doc.pattern;
  metrics->recommendation = doc.recommendation;
  metrics->seconds = request_seconds_->WithLabels({doc.pattern});
  if (doc.recommendation) {
    metrics->recommendation_seconds = recommendation_seconds_->WithLabels({doc.pattern});
  }
  by_route_[doc.pattern].push_back(metrics.get());
  route_metrics_.push_back(std::move(metrics));
  handler = Guard(doc, std::move(handler));
  if (doc.method != "GET") handler = ReleasingParserBuffers(std::move(handler));
  // Writes may wait on a store commit: they run on the server's blocking pool.
  router.Add(doc.method, doc.pattern, std::move(handler),
             /*blocking=*/doc.method != "GET" || doc.blocking);
  docs_.push_back(std::move(doc));
}

HttpHandler ApiService::Guard(const RouteDoc& doc, HttpHandler handler) const {
  const std::string& api_key = d_.config->server.api_key;
  const ConsoleSessions* console = console_.get();
  if (d_.authorized_by_tenant_front) return handler;
  if (doc.admin) {
    return [scope = *doc.admin, route = doc.method + " " + doc.pattern,
            credentials = AdminCredentials{api_key, d_.config->server.reload_token}, console,
            inner = std::move(handler)](HttpRequest& req, HttpResponse& res) {
      Status allowed = AuthorizeAdminRequest(scope, route, credentials, console, req);
      if (!allowed.ok()) {
        spdlog::warn("event=admin_request_denied route=\"{}\" remote={} reason=\"{}\"", route,
                     req.remote_address(), allowed.ToString());
        return SetStatusError(res, allowed);
      }
      inner(req, res);
    };
  }
  if (!doc.needs_api_key || api_key.empty()) return handler;
  return [api_key, console, inner = std::move(handler)](HttpRequest& req, HttpResponse& res) {
    std::string_view given = req.Header("X-API-Key");
    if (given.empty() && UsesConsoleSession(console, req)) {
      Status allowed =
          console->Authorize(req.method(), ConsoleSessionId(req), req.Header("X-CSRF-Token"));
      if (!allowed.ok()) return SetStatusError(res, allowed);
      return inner(req, res);
    }
    if (!ConstantTimeEquals(given, api_key)) {
      SetJsonError(res, 401, given.empty() ? "missing X-API-Key header" : "invalid X-API-Key header",
                   "X-API-Key");
      return;
    }
    inner(req, res);
  };
}

void ApiService::RegisterRoutes(Router& router) {
  AddUserRoutes(router);
  AddItemRoutes(router);
  AddFeedbackRoutes(router);
  AddRecommendRoutes(router);
  if (d_.scenarios != nullptr) AddScenarioRoutes(router);
  AddOperatorRoutes(router);
  AddRegistryRoutes(router);
  AddJobRoutes(router);
  AddPipelineRoutes(router);
  AddDatasetRoutes(router);
  AddConsoleRoutes(router);
  if (d_.experiments != nullptr) AddExperimentRoutes(router);
  if (d_.analytics != nullptr) AddAnalyticsRoutes(router);
  if (d_.realtime != nullptr) AddRealtimeRoutes(router);
  if (d_.tenants != nullptr) AddTenantRoutes(router);
}

ApiService::RouteMetrics* ApiService::FindRouteMetrics(std::string_view route,
                                                       std::string_view method) const {
  auto it = by_route_.find(route);
  if (it == by_route_.end()) return nullptr;
  RouteMetrics* found = nullptr;
  // HEAD requests are answered by GET handlers.
  for (RouteMetrics* candidate : it->second) {
    if (candidate->method == method || (method == "HEAD" && candidate->method == "GET")) {
      found = candidate;
    }
  }
  return found;
}

void ApiService::OnRequestDone(std::string_view route, std::string_view method, int status,
                               double seconds) {
  if (status < 100 || status >= 600) status = 599;
  RouteMetrics* m = FindRouteMetrics(route, method);
  if (m == nullptr) {
    // Not answered by a handler (404, 405, 501, 4xx before routing): labels only take known
    // values, the route pattern (or "unmatched") and a standard method (or "other"), so that
    // clients cannot add series.
    auto it = by_route_.find(route);
    const std::string_view route_label = it == by_route_.end() ? kUnmatchedRoute : it->first;
    unmatched_metrics_->seconds->Observe(seconds);
    requests_total_
        ->WithLabels(
            {std::string(route_label), std::string(MethodLabel(method)), std::to_string(status)})
        ->Inc();
    return;
  }
  m->seconds->Observe(seconds);
  if (m->recommendation_seconds != nullptr && status < 500) {
    m->recommendation_seconds->Observe(seconds);
  }
  if (method != m->method) {  // HEAD on a GET route: rare, not cached
    requests_total_
        ->WithLabels({m->route, std::string(MethodLabel(method)), std::to_string(status)})
        ->Inc();
    return;
  }
  Counter* counter = m->by_status[status].load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = requests_total_->WithLabels({m->route, m->method, std::to_string(status)});
    m->by_status[status].store(counter, std::memory_order_release);
  }
  counter->Inc();
}

}  // namespace reco::api
