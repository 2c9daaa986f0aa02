// Run tracking and model registry routes: GET /api/v1/models (models/model_registry.json),
// GET /api/v1/runs and GET /api/v1/runs/{run_id} (DATA_DIR/runs), and the operators' model
// actions (promote, rollback, withdraw), which move a registry alias and change what is served
// in one step.
#include "api/api_service.h"
#include "api/json_body.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::api {
namespace {

// {"run_id", "alias", "rollout"?} of POST /api/v1/models/promote.
Result<service::PromoteRequest> ParsePromoteBody(std::string_view body) {
  service::PromoteRequest request;
  RECO_RETURN_IF_ERROR(ForEachBodyField(
      body, "{\"run_id\": \"...\", \"alias\": \"canary\", \"rollout\": 0.1}",
      [&request](std::string_view key, simdjson::dom::element value) -> Status {
        if (key == "run_id") {
          RECO_ASSIGN_OR_RETURN(request.run_id, StringField(value, key));
        } else if (key == "alias") {
          RECO_ASSIGN_OR_RETURN(request.alias, StringField(value, key));
        } else if (key == "rollout") {
          RECO_ASSIGN_OR_RETURN(request.rollout, NumberField(value, key));
        } else {
          return UnknownField(key, "run_id, alias, rollout");
        }
        return Status::Ok();
      }));
  if (request.alias.empty()) return InvalidArgument("alias is required", "alias");
  return request;
}

// The one string field `name` of a body like {"run_id": "..."}; "" when the body is empty.
Result<std::string> ParseOneField(std::string_view body, std::string_view name,
                                  std::string_view example) {
  std::string out;
  RECO_RETURN_IF_ERROR(ForEachBodyField(
      body, example, [&out, name](std::string_view key, simdjson::dom::element value) -> Status {
        if (key != name) return UnknownField(key, name);
        RECO_ASSIGN_OR_RETURN(out, StringField(value, key));
        return Status::Ok();
      }));
  return out;
}

}  // namespace

void ApiService::AddRegistryRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/models",
       .summary = "The model registry: every version with its aliases (production, shadow, "
                  "canary, previous), metrics and artifacts, oldest first.",
       .tag = "registry",
       .response_schema = "ModelRegistry"},
      [this](HttpRequest&, HttpResponse& res) {
        Result<registry::RegistryContents> contents = d_.model->Registry();
        if (!contents.ok()) return SetStatusError(res, contents.status());
        res.body = registry::RegistryToJson(*contents);
      });
  AddRunRoutes(r);
  AddModelActionRoutes(r);
}

void ApiService::AddModelActionRoutes(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/models/promote",
       .summary = "Serve a registered version as production (the primary; the old production "
                  "becomes previous), canary (a hash fraction `rollout` of users) or shadow.",
       .tag = "registry",
       .request_schema = "object",
       .response_schema = "ReloadResponse",
       .needs_api_key = false,
       .admin = AdminScope::kReload},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<service::PromoteRequest> request = ParsePromoteBody(req.body());
        if (!request.ok()) return SetStatusError(res, request.status());
        Result<ReloadReport> report = d_.model->Promote(*request);
        if (!report.ok()) return SetStatusError(res, report.status());
        WriteReloadReport(res, *report);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/models/rollback",
       .summary = "Production goes back to the version aliased previous (or the body's "
                  "run_id) and is served at once.",
       .tag = "registry",
       .request_schema = "object",
       .response_schema = "ReloadResponse",
       .needs_api_key = false,
       .admin = AdminScope::kReload},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<std::string> run_id = ParseOneField(req.body(), "run_id", "{\"run_id\": \"...\"}");
        if (!run_id.ok()) return SetStatusError(res, run_id.status());
        Result<ReloadReport> report = d_.model->Rollback(*run_id);
        if (!report.ok()) return SetStatusError(res, report.status());
        WriteReloadReport(res, *report);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/models/withdraw",
       .summary = "Stop serving the canary or the shadow and remove its alias.",
       .tag = "registry",
       .request_schema = "object",
       .response_schema = "object",
       .needs_api_key = false,
       .admin = AdminScope::kReload},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<std::string> alias =
            ParseOneField(req.body(), "alias", "{\"alias\": \"canary\"}");
        if (!alias.ok()) return SetStatusError(res, alias.status());
        Status done = d_.model->Withdraw(*alias);
        if (!done.ok()) return SetStatusError(res, done);
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("withdrawn").String(*alias).EndObject();
        res.body = w.Take();
      });
}

void ApiService::AddRunRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/runs",
       .summary = "Training runs, oldest first (the newest `limit`); files that do not parse "
                  "are listed in `problems`.",
       .tag = "registry",
       .query = {{"limit", "newest runs returned, 1..10000 (default 100)"}},
       .response_schema = "RunList"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<int> limit = IntParam(req, "limit", 100, 1, 10000);
        if (!limit.ok()) return SetStatusError(res, limit.status());
        Result<service::RunList> list = d_.model->ListRuns({.limit = *limit});
        if (!list.ok()) return SetStatusError(res, list.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("runs").BeginArray();
        for (const registry::RunRecord& run : list->runs) registry::WriteRunJson(w, run);
        w.EndArray().Key("problems").StringArray(list->problems).EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/runs/{run_id}",
       .summary = "One training run: params, metrics, data snapshot, code version, artifacts "
                  "with sha256, duration.",
       .tag = "registry",
       .response_schema = "Run"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<registry::RunRecord> run = d_.model->GetRun(req.Param("run_id"));
        if (!run.ok()) return SetStatusError(res, run.status());
        JsonWriter w(std::move(res.body));
        registry::WriteRunJson(w, *run);
        res.body = w.Take();
      });
}

}  // namespace reco::api
