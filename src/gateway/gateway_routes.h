// The HTTP routes of `reco gateway`: POST /alertmanager (Alertmanager webhook v4), GET /health
// (200 with the last delivery status), GET /metrics (Prometheus text).
//
// Thread-safety: the handlers run on the server's workers; Gateway is thread-safe.
// Lifetime: `gateway` and `metrics` outlive the router.
#pragma once

#include "api/http/router.h"
#include "gateway/gateway.h"
#include "ops/metrics.h"

namespace reco::gateway {

Router MakeGatewayRouter(Gateway& gateway, MetricsRegistry& metrics);

}  // namespace reco::gateway
