// Run tracking and model registry routes: GET /api/v1/models (models/model_registry.json),
// GET /api/v1/runs and GET /api/v1/runs/{run_id} (DATA_DIR/runs). Read-only: promotion and
// rollback go through `reco models` or the pipeline.
#include "api/api_service.h"
#include "api/params.h"
#include "core/json_writer.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::api {

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
