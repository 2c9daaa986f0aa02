#include "api/reco_server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "api/api_service.h"
#include "api/http/http_server.h"
#include "ops/metrics.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/recommender.h"
#include "store/open_store.h"

namespace reco {
namespace {

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

struct RecoServer::Parts {
  std::unique_ptr<Store> store;
  MetricsRegistry metrics;
  std::unique_ptr<OnlineState> state;
  std::unique_ptr<ModelManager> models;
  std::unique_ptr<Recommender> recommender;
  std::unique_ptr<api::ApiService> api;
  std::unique_ptr<HttpServer> http;
};

RecoServer::RecoServer(RecoServerOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

RecoServer::~RecoServer() { Stop(); }

int RecoServer::port() const { return parts_ && parts_->http ? parts_->http->port() : 0; }

Status RecoServer::Start() {
  auto start = std::chrono::steady_clock::now();
  const RecoConfig& config = options_.config;
  parts_ = std::make_unique<Parts>();
  Parts& p = *parts_;
  RECO_ASSIGN_OR_RETURN(p.store, OpenStore(config, options_.data_dir));

  p.state = std::make_unique<OnlineState>(
      OnlineStateOptions{.feedback_types = config.recommend.feedback_types,
                         .history_size = config.recommend.history_size});
  RECO_ASSIGN_OR_RETURN(int64_t max_seq, p.state->LoadFromStore(*p.store));
  spdlog::info("online state loaded items={} feedback_seq={}", p.state->ItemCount(), max_seq);

  Gauge* loaded_ts = p.metrics.GetGauge("model_loaded_timestamp_seconds",
                                        "Unix time at which the serving models were loaded.");
  p.models = std::make_unique<ModelManager>(
      options_.data_dir / "models", *p.state, clock_, [loaded_ts](const ReloadReport& r) {
        loaded_ts->Set(static_cast<double>(r.loaded_at) / kMicrosPerSecond);
      });
  auto report = p.models->Reload(/*fail_on_rejected=*/false);
  if (!report.ok()) {
    spdlog::warn("serving without models: {}", report.status().message());
  } else {
    for (const auto& r : report->rejected) spdlog::warn("model file rejected: {}", r);
  }

  CounterFamily* degraded = p.metrics.AddCounter(
      "recommendation_degraded_total",
      "Recommendation answers that fell back along the chain, by reason.", {"reason"});
  p.recommender = std::make_unique<Recommender>(
      *p.state, p.models->bundles(), RecommenderOptions{},
      [degraded](std::string_view reason) { degraded->WithLabels({std::string(reason)})->Inc(); });
  p.metrics.AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                             ResidentBytes);

  p.api = std::make_unique<api::ApiService>(api::ApiDeps{.config = &config,
                                                         .store = p.store.get(),
                                                         .state = p.state.get(),
                                                         .recommender = p.recommender.get(),
                                                         .models = p.models.get(),
                                                         .metrics = &p.metrics,
                                                         .clock = &clock_});
  Router router;
  p.api->RegisterRoutes(router);
  HttpServerOptions http;
  http.host = config.server.host;
  http.port = config.server.http_port;
  http.threads = config.server.threads;
  http.blocking_threads = config.server.blocking_threads;
  http.max_body_bytes = config.server.max_body_bytes;
  http.drain_seconds = config.server.drain_seconds;
  api::ApiService* service = p.api.get();
  http.on_request_done = [service](const RequestLog& log) {
    service->OnRequestDone(log.route, log.method, log.status, log.duration_seconds);
  };
  p.http = std::make_unique<HttpServer>(std::move(http), std::move(router));
  RECO_RETURN_IF_ERROR(p.http->Start());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("reco serve listening on http://{}:{} ready_seconds={:.3f} models_loaded={}",
               config.server.host, p.http->port(), secs, p.models->models_loaded());
  return Status::Ok();
}

void RecoServer::Stop() {
  if (!parts_) return;
  if (parts_->http) parts_->http->Stop();
  if (parts_->store) parts_->store->Close();
  parts_.reset();
  spdlog::info("reco serve stopped");
}

}  // namespace reco
