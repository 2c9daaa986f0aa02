// The /metrics endpoint of a process that serves no REST API (`reco worker --metrics-port`):
// a small HTTP server answering GET /metrics with the registry's text, so that Prometheus
// scrapes the scheduler's and pipeline's metrics where the jobs run.
//
// Lifetime: the registry must outlive the returned server; Stop() (or the destructor) ends it.
#pragma once

#include <memory>
#include <string>

#include "api/http/http_server.h"
#include "core/status.h"
#include "ops/metrics.h"

namespace reco::app {

struct MetricsServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = a free port (HttpServer::port() tells which)
};

// Started and listening when ok; the bind error (e.g. port in use) otherwise.
Result<std::unique_ptr<HttpServer>> StartMetricsServer(MetricsRegistry& metrics,
                                                       const MetricsServerOptions& options);

}  // namespace reco::app
