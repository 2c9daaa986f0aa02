#include "app/metrics_server.h"

#include <spdlog/spdlog.h>

namespace reco::app {

Result<std::unique_ptr<HttpServer>> StartMetricsServer(MetricsRegistry& metrics,
                                                       const MetricsServerOptions& options) {
  Router router;
  router.Add("GET", "/metrics",
             [&metrics](HttpRequest&, HttpResponse& res) { WriteMetrics(metrics, res); });
  // One thread: a scrape every few seconds is the whole load.
  auto server = std::make_unique<HttpServer>(
      HttpServerOptions{
          .host = options.host, .port = options.port, .threads = 1, .metrics = &metrics},
      std::move(router));
  RECO_RETURN_IF_ERROR(server->Start());
  spdlog::info("event=metrics_listening url=http://{}:{}/metrics", options.host, server->port());
  return server;
}

}  // namespace reco::app
