// Operations routes: health probes, Prometheus metrics, model reload, the OpenAPI document.
#include <spdlog/spdlog.h>

#include "api/api_service.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

void WriteGorseHealth(HttpResponse& res, const Status& store_status) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("Ready").Bool(store_status.ok());
  w.Key("DataStoreError");
  if (store_status.ok()) {
    w.Null();
  } else {
    w.String(store_status.message());
  }
  w.Key("CacheStoreError").Null();
  w.Key("DataStoreConnected").Bool(store_status.ok());
  w.Key("CacheStoreConnected").Bool(true);
  w.EndObject();
  res.body = w.Take();
  if (!store_status.ok()) res.status = 503;
}

}  // namespace

void ApiService::AddOperatorRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/health/live",
       .summary = "Liveness probe.",
       .tag = "health",
       .response_schema = "GorseHealth",
       .needs_api_key = false},
      [](HttpRequest&, HttpResponse& res) { WriteGorseHealth(res, Status::Ok()); });
  Add(r,
      {.method = "GET",
       .pattern = "/api/health/ready",
       .summary = "Readiness probe: 503 while the store is unreachable.",
       .tag = "health",
       .response_schema = "GorseHealth",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) { WriteGorseHealth(res, d_.store->Ping()); });
  Add(r,
      {.method = "GET",
       .pattern = "/health",
       .summary = "Service health: \"healthy\" with models loaded, \"degraded\" without.",
       .tag = "health",
       .response_schema = "Health",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) {
        auto bundle = d_.models->bundles().Get();
        bool loaded = bundle != nullptr && !bundle->empty();
        Status store_status = d_.store->Ping();
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("status").String(loaded && store_status.ok() ? "healthy" : "degraded");
        w.Key("models_loaded").Bool(loaded);
        w.Key("store_ok").Bool(store_status.ok());
        w.Key("model_version").String(ModelVersion());
        w.Key("snapshot_id").String(loaded ? bundle->snapshot_id() : "");
        w.Key("models").BeginObject();
        w.Key("itemcf").Bool(loaded && bundle->has_itemcf());
        w.Key("popularity").Bool(loaded && bundle->has_popularity());
        w.Key("latest").Bool(loaded && bundle->has_latest());
        w.EndObject().EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/metrics",
       .summary = "Prometheus metrics (text format).",
       .tag = "health",
       .response_schema = "text",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) {
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = d_.metrics->RenderText();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/openapi.json",
       .summary = "This API's OpenAPI 3 description.",
       .tag = "health",
       .response_schema = "object",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) { res.body = OpenApiJson(); });
  CounterFamily* reloads = d_.metrics->AddCounter(
      "model_reloads_total", "Model reloads by result (ok, rejected, failed).", {"result"});
  Add(r,
      {.method = "POST",
       .pattern = "/models/reload",
       .summary = "Load the newest model files and swap them in atomically (Bearer token "
                  "from MODEL_RELOAD_TOKEN). A failed reload keeps the current models.",
       .tag = "operators",
       .response_schema = "ReloadResponse",
       .needs_api_key = false},
      [this, reloads](HttpRequest& req, HttpResponse& res) {
        const std::string& token = d_.config->server.reload_token;
        if (!token.empty() && req.Header("Authorization") != "Bearer " + token) {
          SetJsonError(
              res, 401,
              "POST /models/reload needs the header Authorization: Bearer <MODEL_RELOAD_TOKEN>",
              "Authorization");
          return;
        }
        auto report = d_.models->Reload(true);
        if (!report.ok()) {
          reloads
              ->WithLabels(
                  {report.status().code() == StatusCode::kDataLoss ? "rejected" : "failed"})
              ->Inc();
          spdlog::warn("model reload failed: {}", report.status().ToString());
          return SetStatusError(res, report.status());
        }
        reloads->WithLabels({"ok"})->Inc();
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("status").String("reloaded");
        w.Key("model_version").String(FormatTimestamp(report->created));
        w.Key("snapshot_id").String(report->snapshot_id);
        w.Key("files").StringArray(report->files);
        w.Key("seconds").Double(report->seconds).EndObject();
        res.body = w.Take();
      });
}

}  // namespace reco::api
