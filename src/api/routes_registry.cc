// Run tracking and model registry routes: GET /api/v1/models (models/model_registry.json),
// GET /api/v1/runs and GET /api/v1/runs/{run_id} (DATA_DIR/runs). Read-only: promotion and
// rollback go through `reco models` or the pipeline.
#include "api/api_service.h"
#include "api/params.h"
#include "core/json_writer.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::api {
namespace {

// Answers 503 when the server was started without a data dir (embedded uses); true when set.
bool HasDataDir(const std::filesystem::path& data_dir, HttpResponse& res) {
  if (!data_dir.empty()) return true;
  SetStatusError(res, Unavailable("the server has no data directory: runs and the model "
                                  "registry are unavailable"));
  return false;
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
        if (!HasDataDir(d_.data_dir, res)) return;
        registry::ModelRegistry reg(d_.data_dir, *d_.clock);
        Result<registry::RegistryContents> contents = reg.Load();
        if (!contents.ok()) return SetStatusError(res, contents.status());
        res.body = registry::RegistryToJson(*contents);
      });
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
        if (!HasDataDir(d_.data_dir, res)) return;
        registry::RunTracker tracker(d_.data_dir, *d_.clock);
        std::vector<std::string> problems;
        Result<std::vector<registry::RunRecord>> runs = tracker.List(&problems);
        if (!runs.ok()) return SetStatusError(res, runs.status());
        size_t first = runs->size() > static_cast<size_t>(*limit) ? runs->size() - *limit : 0;
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("runs").BeginArray();
        for (size_t i = first; i < runs->size(); ++i) registry::WriteRunJson(w, (*runs)[i]);
        w.EndArray().Key("problems").StringArray(problems).EndObject();
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
        if (!HasDataDir(d_.data_dir, res)) return;
        registry::RunTracker tracker(d_.data_dir, *d_.clock);
        Result<registry::RunRecord> run = tracker.Get(req.Param("run_id"));
        if (!run.ok()) return SetStatusError(res, run.status());
        JsonWriter w(std::move(res.body));
        registry::WriteRunJson(w, *run);
        res.body = w.Take();
      });
}

}  // namespace reco::api
