// Operations routes: health probes, Prometheus metrics, model reload (primary, canary,
// shadow), the OpenAPI document.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "api/api_service.h"
#include "api/http/http_server.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

// Gorse's health shape. A read-only store or a full disk keeps the server ready (reads are
// answered); /health tells them apart.
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

// /health's "store": {"ok", "writable", "read_only", "reason", "message"}.
void WriteStoreHealth(JsonWriter& w, const Status& store_status,
                      const StoreWritability& writability) {
  w.Key("store").BeginObject().Key("ok").Bool(store_status.ok());
  w.Key("writable").Bool(writability.writable).Key("read_only").Bool(writability.read_only);
  w.Key("reason").String(!store_status.ok() ? "unreachable" : writability.reason);
  w.Key("message").String(!store_status.ok() ? store_status.message() : writability.message);
  w.EndObject();
}

// One field of the reload body into `request`.
Status ReadReloadField(std::string_view key, simdjson::dom::element value, ReloadRequest& request) {
  if (key == "run_id") {
    if (value.is_null()) return Status::Ok();
    RECO_ASSIGN_OR_RETURN(request.run_id, StringField(value, "run_id"));
  } else if (key == "mode") {
    std::string_view mode;
    if (value.get_string().get(mode) != simdjson::SUCCESS) {
      return InvalidArgument("mode must be \"primary\", \"canary\" or \"shadow\"", "mode");
    }
    RECO_ASSIGN_OR_RETURN(request.mode, ParseVariant(mode));
  } else if (key == "rollout") {
    if (!value.is_number()) return InvalidArgument("rollout must be a number in (0, 1]", "rollout");
    RECO_ASSIGN_OR_RETURN(request.rollout, NumberField(value, "rollout"));
  } else {
    return UnknownField(key, "run_id, mode, rollout");
  }
  return Status::Ok();
}

// POST /models/reload body: {"run_id"?, "mode"?, "rollout"?}; empty = reload production.
Result<ReloadRequest> ParseReloadBody(std::string_view body) {
  ReloadRequest request;
  RECO_RETURN_IF_ERROR(ForEachBodyField(
      body, "{\"run_id\": \"...\", \"mode\": \"canary\", \"rollout\": 0.1}",
      [&request](std::string_view key, simdjson::dom::element value) {
        return ReadReloadField(key, value, request);
      }));
  return request;
}

// {"run_id", "model_version"[, "rollout"]} of a serving bundle, null when none.
void WriteVariant(JsonWriter& w, std::string_view key,
                  const std::shared_ptr<const ModelBundle>& bundle, double rollout,
                  bool with_rollout) {
  w.Key(key);
  if (bundle == nullptr) {
    w.Null();
    return;
  }
  w.BeginObject().Key("run_id").String(bundle->run_id());
  w.Key("model_version").String(bundle->version_label());
  if (with_rollout) w.Key("rollout").Double(rollout);
  w.EndObject();
}

// /health: "healthy" with models loaded and a store that takes writes (or was opened read-only
// on purpose), "degraded" otherwise.
void WriteHealth(HttpResponse& res, const Status& store_status, const StoreWritability& writability,
                 const service::ServingVersions& serving) {
  const std::shared_ptr<const ModelBundle>& bundle = serving.primary.bundle;
  const bool loaded = bundle != nullptr && !bundle->empty();
  const bool store_healthy =
      store_status.ok() && (writability.writable || writability.read_only_requested);
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("status").String(loaded && store_healthy ? "healthy" : "degraded");
  w.Key("models_loaded").Bool(loaded);
  w.Key("store_ok").Bool(store_status.ok());
  w.Key("store_writable").Bool(writability.writable);
  w.Key("read_only").Bool(writability.read_only);
  WriteStoreHealth(w, store_status, writability);
  w.Key("model_version").String(bundle == nullptr ? "" : bundle->created_text());
  w.Key("snapshot_id").String(loaded ? bundle->snapshot_id() : "");
  w.Key("models").BeginObject();
  w.Key("itemcf").Bool(loaded && bundle->has_itemcf());
  w.Key("popularity").Bool(loaded && bundle->has_popularity());
  w.Key("latest").Bool(loaded && bundle->has_latest());
  w.Key("recs").Bool(loaded && bundle->has_user_recs());
  w.EndObject();
  if (loaded && bundle->has_user_recs()) {
    w.Key("recs_algorithm").String(bundle->user_recs_algorithm());
  }
  WriteVariant(w, "primary", bundle, 1.0, false);
  WriteVariant(w, "canary", serving.canary.bundle, serving.canary.rollout, true);
  WriteVariant(w, "shadow", serving.shadow.bundle, serving.shadow.rollout, true);
  w.EndObject();
  res.body = w.Take();
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
       .summary = "Readiness probe: 503 while the store is unreachable (a read-only store or a "
                  "full disk keeps it ready: reads are answered).",
       .tag = "health",
       .response_schema = "GorseHealth",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) { WriteGorseHealth(res, d_.store->Ping()); });
  Add(r,
      {.method = "GET",
       .pattern = "/health",
       .summary = "Service health: \"healthy\" with models loaded and a store that takes writes "
                  "(or was opened read-only on purpose), \"degraded\" otherwise; \"store\" "
                  "says why.",
       .tag = "health",
       .response_schema = "Health",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) {
        WriteHealth(res, d_.store->Ping(), d_.store->Writability(), d_.model->Serving());
      });
  AddMetricsRoutes(r);
}

void ApiService::AddMetricsRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/metrics",
       .summary = "Prometheus metrics (text format).",
       .tag = "health",
       .response_schema = "text",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) {
        d_.model->SyncVersionInfo();
        WriteMetrics(*d_.metrics, res);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/openapi.json",
       .summary = "This API's OpenAPI 3 description.",
       .tag = "health",
       .response_schema = "object",
       .needs_api_key = false},
      [this](HttpRequest&, HttpResponse& res) { res.body = OpenApiJson(); });
  AddReloadRoute(r);
}

void ApiService::AddReloadRoute(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/models/reload",
       .summary = "Load a model version and swap it in atomically (credential: "
                  "MODEL_RELOAD_TOKEN, else the API key, as Authorization: Bearer or X-API-Key; "
                  "loopback clients only when neither is set). Empty body: the registry's "
                  "production version, or the newest files without a registry. Body {\"run_id\", "
                  "\"mode\": primary|canary|shadow, \"rollout\": 0.1}: serve that version as "
                  "primary, as a canary for a hash fraction of users, or as a shadow scored and "
                  "logged only; canary and shadow without a run_id take the newest "
                  "registered version that is not production. A failed reload keeps the current "
                  "models.",
       .tag = "operators",
       .request_schema = "ReloadRequest",
       .response_schema = "ReloadResponse",
       .needs_api_key = false,
       .admin = AdminScope::kReload},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<ReloadRequest> request = ParseReloadBody(req.body());
        if (!request.ok()) {
          d_.model->CountUnreadableReload();
          return SetStatusError(res, request.status());
        }
        Result<ReloadReport> report = d_.model->Reload(*request);
        if (!report.ok()) return SetStatusError(res, report.status());
        WriteReloadReport(res, *report);
      });
}

}  // namespace reco::api
