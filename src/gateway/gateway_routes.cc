#include "gateway/gateway_routes.h"

#include <spdlog/spdlog.h>

#include "api/http/http_server.h"
#include "core/json_writer.h"
#include "core/logging.h"

namespace reco::gateway {
namespace {

void HandleAlertmanager(Gateway& gateway, CounterFamily* webhooks, HttpRequest& req,
                        HttpResponse& res) {
  Result<AlertPayload> payload = ParseAlertPayload(req.body());
  Status st = payload.ok() ? gateway.Submit(*payload) : payload.status();
  if (!st.ok()) {
    webhooks->WithLabels({"invalid"})->Inc();
    spdlog::warn("event=gateway_bad_payload request_id={} field={} error=\"{}\"",
                 EscapeLogText(req.request_id()), st.field(), EscapeLogText(st.message()));
    SetStatusError(res, st);
    return;
  }
  webhooks->WithLabels({"accepted"})->Inc();
  spdlog::debug("event=gateway_payload receiver={} status={} alerts={}",
                EscapeLogText(payload->receiver), payload->status, payload->alerts.size());
  JsonWriter w;
  w.BeginObject().Key("status").String("queued").Key("alerts").Int(
      static_cast<int64_t>(payload->alerts.size()));
  w.EndObject();
  res.body = w.Take();
}

void HandleHealth(const Gateway& gateway, HttpResponse& res) {
  DeliveryStatus last = gateway.Health();
  JsonWriter w;
  w.BeginObject().Key("status").String("ok");
  w.Key("robots").Int(static_cast<int64_t>(gateway.config().robots.size()));
  w.Key("queue_length").Int(static_cast<int64_t>(gateway.queue_length()));
  w.Key("last_delivery").BeginObject();
  w.Key("robot").String(last.robot).Key("result").String(last.result.empty() ? "none" : last.result);
  w.Key("errcode").Int(last.errcode).Key("detail").String(last.detail);
  w.Key("at").TimestampOrNull(last.at_unix_seconds * kMicrosPerSecond);
  w.Key("last_success").TimestampOrNull(last.last_success_unix_seconds * kMicrosPerSecond);
  w.EndObject().EndObject();
  res.body = w.Take();
}

}  // namespace

Router MakeGatewayRouter(Gateway& gateway, MetricsRegistry& metrics) {
  CounterFamily* webhooks = metrics.AddCounter(
      "reco_gateway_webhooks_total", "Alertmanager payloads received, by result (accepted, invalid)",
      {"result"});
  webhooks->WithLabels({"accepted"});
  webhooks->WithLabels({"invalid"});
  metrics.AddCallbackGauge("reco_gateway_queue_length_total",
                           "Messages waiting to be sent over all robots",
                           [&gateway] { return static_cast<double>(gateway.queue_length()); });
  Router router;
  router.Add("POST", "/alertmanager", [&gateway, webhooks](HttpRequest& req, HttpResponse& res) {
    HandleAlertmanager(gateway, webhooks, req, res);
  });
  router.Add("GET", "/health",
             [&gateway](HttpRequest&, HttpResponse& res) { HandleHealth(gateway, res); });
  router.Add("GET", "/metrics",
             [&metrics](HttpRequest&, HttpResponse& res) { WriteMetrics(metrics, res); });
  return router;
}

}  // namespace reco::gateway
