// ApiService: every REST route of `reco serve` — Gorse's API (users, items, feedback,
// recommendations), the operators' routes (/similar, /recommend/detail, /models/reload, /health)
// and /metrics, /api/v1/openapi.json — registered on a Router from one table that also feeds
// the OpenAPI document.
//
// A handler parses the request, calls one service (src/service/) and writes the answer; the
// business logic lives in the services, which other transports share.
//
// Thread-safety: handlers run concurrently on the server's threads; ApiService holds no
// mutable state of its own beyond metrics (atomic). Lifetime: borrows everything in ApiDeps,
// which must outlive the HTTP server that calls its handlers.
#pragma once

#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/admin_auth.h"
#include "api/console_auth.h"
#include "api/http/http_message.h"
#include "api/http/router.h"
#include "core/config.h"
#include "core/time.h"
#include "ingest/gorse_json.h"
#include "ops/metrics.h"
#include "ops/metrics_history.h"
#include "service/analytics_service.h"
#include "service/catalogue_service.h"
#include "service/dataset_service.h"
#include "service/experiment_service.h"
#include "service/feedback_service.h"
#include "service/job_service.h"
#include "service/model_service.h"
#include "service/pipeline_service.h"
#include "service/preview_service.h"
#include "service/realtime_service.h"
#include "service/recommend_service.h"
#include "service/scenario_service.h"
#include "service/tenant_service.h"
#include "store/store.h"

namespace reco::api {

// What the routes call: the services hold the business logic; the store answers the health
// probes.
struct ApiDeps {
  const RecoConfig* config = nullptr;
  service::CatalogueService* catalogue = nullptr;
  service::FeedbackService* feedback = nullptr;
  service::RecommendService* recommend = nullptr;
  service::ModelService* model = nullptr;
  Store* store = nullptr;  // health probes
  MetricsRegistry* metrics = nullptr;
  const Clock* clock = nullptr;
  service::JobService* jobs = nullptr;            // /api/v1/jobs routes (503 when null)
  service::PipelineService* pipelines = nullptr;  // /api/v1/pipeline routes (503 when null)
  const MetricsHistory* history = nullptr;        // /api/v1/metrics/history (503 when null)
  service::PreviewService* preview = nullptr;     // /api/v1/preview (503 when null)
  service::ExperimentService* experiments = nullptr;  // /api/v1/experiments (none when null)
  service::DatasetService* dataset = nullptr;     // /api/v1/dataset (503 when null)
  // The tenant registry: /api/v1/tenants routes (admin) when set, i.e. on the default tenant.
  service::TenantService* tenants = nullptr;
  // A tenant other than default: the tenant front (api/tenant_front.h) has checked the
  // request's credential before any route of this service runs, so the routes add no check.
  bool authorized_by_tenant_front = false;
  // /api/v1/scenarios, /api/v1/templates and ?scenario= of /api/recommend (none when null).
  service::ScenarioService* scenarios = nullptr;
  // /api/v1/analytics: summaries, top items, coverage of the exposure log (none when null).
  service::AnalyticsService* analytics = nullptr;
  // /api/popular?window=, /api/non-personalized/{name}, /api/v1/analytics/realtime (none when
  // null).
  service::RealtimeService* realtime = nullptr;
};

// The console session a request's cookie names ("" when none).
std::string_view ConsoleSessionId(const HttpRequest& req);

// What /api/v1/openapi.json says about one route.
struct RouteDoc {
  std::string method;
  std::string pattern;
  std::string summary;
  std::string tag;
  std::vector<std::pair<std::string, std::string>> query;  // name, description
  std::string request_schema;                              // "" or a schema name; "X[]" for arrays
  std::string response_schema;                             // a schema name; "X[]" for arrays
  bool recommendation = false;  // observed in recommendation_latency_seconds
  bool needs_api_key = true;    // X-API-Key checked when server.api_key is set
  // A state-changing operators' route: guarded by AuthorizeAdmin (api/admin_auth.h) instead of
  // needs_api_key.
  std::optional<AdminScope> admin;
  // The handler may take long (reads files, scans the store): it runs on the server's blocking
  // pool, as every write does.
  bool blocking = false;
};

class ApiService {
 public:
  explicit ApiService(ApiDeps deps);
  ~ApiService();

  void RegisterRoutes(Router& router);
  // Called by the server after every response (metrics).
  void OnRequestDone(std::string_view route, std::string_view method, int status, double seconds);

  const std::vector<RouteDoc>& docs() const { return docs_; }
  std::string OpenApiJson() const;

 private:
  struct RouteMetrics;

  void Add(Router& router, RouteDoc doc, HttpHandler handler);
  // `handler` behind the credential check its RouteDoc asks for (none, X-API-Key or admin).
  HttpHandler Guard(const RouteDoc& doc, HttpHandler handler) const;
  // `handler`, then frees this thread's body-parser buffers if a large body grew them.
  HttpHandler ReleasingParserBuffers(HttpHandler handler) const;
  // The series of a handler's (route, method); null for requests no handler answered.
  RouteMetrics* FindRouteMetrics(std::string_view route, std::string_view method) const;
  // The calling thread's request body parser (api/responses.h).
  ingest::GorseJsonParser& Parser() const;
  // Each Add…Routes registers a few routes (routes_data.cc, routes_recommend.cc) and may call
  // the next group.
  void AddUserRoutes(Router& router);
  void AddUserEditRoutes(Router& router);
  void AddItemRoutes(Router& router);
  void AddItemEditRoutes(Router& router);
  void AddItemCategoryRoutes(Router& router);
  void AddItemVectorRoutes(Router& router);  // routes_vectors.cc
  void AddDataSummaryRoute(Router& router);
  void AddFeedbackRoutes(Router& router);
  void AddFeedbackFilterRoutes(Router& router);
  void AddFeedbackKeyRoutes(Router& router);
  void AddRecommendRoutes(Router& router);
  void AddSessionRoutes(Router& router);
  void AddPopularRoutes(Router& router);
  void AddNeighborRoutes(Router& router);
  void AddUserNeighborRoute(Router& router);
  void AddOperatorRecommendRoutes(Router& router);
  void AddPreviewRoute(Router& router);
  void AddScenarioRoutes(Router& router);  // routes_scenarios.cc
  void AddScenarioItemRoutes(Router& router);
  void AddTemplateRoutes(Router& router);
  void AddOperatorRoutes(Router& router);  // routes_ops.cc
  void AddMetricsRoutes(Router& router);
  void AddReloadRoute(Router& router);
  void AddRegistryRoutes(Router& router);  // routes_registry.cc
  void AddRunRoutes(Router& router);
  void AddModelActionRoutes(Router& router);
  void AddJobRoutes(Router& router);  // routes_jobs.cc
  void AddJobRunRoutes(Router& router);
  void AddPipelineRoutes(Router& router);  // routes_pipeline.cc
  void AddPipelineReadRoutes(Router& router);
  void AddPipelineFileRoutes(Router& router);
  void AddConsoleRoutes(Router& router);  // routes_console.cc
  void AddConsoleSessionRoutes(Router& router);
  void AddMetricsHistoryRoute(Router& router);
  void AddExperimentRoutes(Router& router);  // routes_experiments.cc
  void AddExperimentEditRoutes(Router& router);
  void AddExperimentReadRoutes(Router& router);
  // The experiments service of ApiDeps, else the one this ApiService built.
  service::ExperimentService& Experiments();
  void AddDatasetRoutes(Router& router);  // routes_dataset.cc
  void AddAnalyticsRoutes(Router& router);  // routes_analytics.cc
  void AddRealtimeRoutes(Router& router);   // routes_realtime.cc
  void AddTenantRoutes(Router& router);  // routes_tenants.cc
  void AddTenantKeyRoutes(Router& router);

  ApiDeps d_;
  // The console's sessions; null when console.enabled is false (no /console routes).
  std::unique_ptr<ConsoleSessions> console_;
  std::vector<RouteDoc> docs_;
  std::vector<std::unique_ptr<RouteMetrics>> route_metrics_;
  // Route pattern text -> its metrics per method; filled before the server starts, then read-only.
  std::unordered_map<std::string, std::vector<RouteMetrics*>, StringHash, std::equal_to<>>
      by_route_;
  std::unique_ptr<RouteMetrics> unmatched_metrics_;
  CounterFamily* requests_total_ = nullptr;
  HistogramFamily* request_seconds_ = nullptr;
  HistogramFamily* recommendation_seconds_ = nullptr;
};

}  // namespace reco::api
