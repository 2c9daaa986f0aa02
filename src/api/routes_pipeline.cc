// Pipeline routes: start a `reco pipeline` run in the server (202 with its run_id; 409 while one
// runs), read one run's record (run.json) and list recent runs.
#include <simdjson.h>

#include <algorithm>

#include "api/api_service.h"
#include "api/params.h"
#include "core/json_writer.h"
#include "pipeline/dag.h"

namespace reco::api {
namespace {

constexpr int kDefaultRuns = 20;
constexpr int kMaxRuns = 1000;

// 503 when the server was built without a pipeline.
bool NoPipeline(service::PipelineService* pipelines, HttpResponse& res) {
  if (pipelines != nullptr) return false;
  SetJsonError(res, 503, "this server runs no pipeline");
  return true;
}

// One field of the run request body into `request`.
Status ReadRunField(std::string_view k, simdjson::dom::element value,
                    pipeline::RunRequest& request) {
  std::string_view text;
  if (k == "full_refresh") {
    if (value.get_bool().get(request.full_refresh)) {
      return InvalidArgument("full_refresh must be a boolean", "full_refresh");
    }
  } else if (k == "rollout") {
    if (value.get_double().get(request.rollout)) {
      return InvalidArgument("rollout must be a number in (0, 1]", "rollout");
    }
  } else if (k == "date" || k == "only" || k == "from" || k == "resume" || k == "mode") {
    if (value.get_string().get(text)) {
      return InvalidArgument(std::string(k) + " must be a string", std::string(k));
    }
    std::string* out = k == "date"   ? &request.date
                       : k == "only" ? &request.only
                       : k == "from" ? &request.from
                       : k == "mode" ? &request.mode
                                     : &request.resume;
    *out = std::string(text);
  } else {
    return InvalidArgument("unknown field \"" + std::string(k) + "\"", std::string(k));
  }
  return Status::Ok();
}

// {"date","full_refresh","only","from","resume","mode","rollout"}; every field optional.
Result<pipeline::RunRequest> ParseRunRequest(const HttpRequest& req) {
  pipeline::RunRequest request;
  request.trigger = "api";
  std::string_view body = req.body();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return request;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(simdjson::padded_string(body)).get_object().get(o)) {
    return InvalidArgument("the body must be a JSON object");
  }
  for (auto [key, value] : o) RECO_RETURN_IF_ERROR(ReadRunField(key, value, request));
  return request;
}

}  // namespace

void ApiService::AddPipelineRoutes(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/pipeline/runs",
       .summary = "Start a pipeline run in this server (202 with its run_id); 409 while a run "
                  "holds the data dir's lock. Body (optional): date, full_refresh, only, from, "
                  "resume, mode (primary|canary), rollout.",
       .tag = "pipeline",
       .request_schema = "PipelineRunRequest",
       .response_schema = "PipelineRunId",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<pipeline::RunRequest> request = ParseRunRequest(req);
        if (!request.ok()) return SetStatusError(res, request.status());
        Result<std::string> id = d_.pipelines->Start(std::move(request).value());
        if (!id.ok()) return SetStatusError(res, id.status());
        res.status = 202;
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("run_id").String(*id).Key("status").String("running").EndObject();
        res.body = w.Take();
      });
  AddPipelineReadRoutes(r);
}

void ApiService::AddPipelineReadRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/pipeline/runs",
       .summary = "Pipeline runs, newest first, with their tasks.",
       .tag = "pipeline",
       .query = {{"n", "at most this many runs (1-1000, default 20)"}},
       .response_schema = "PipelineRunList"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<int> n = IntParam(req, "n", kDefaultRuns, 1, kMaxRuns);
        if (!n.ok()) return SetStatusError(res, n.status());
        Result<service::PipelineRunList> list = d_.pipelines->List({.n = *n});
        if (!list.ok()) return SetStatusError(res, list.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("runs").BeginArray();
        for (const pipeline::PipelineRun& run : list->runs) w.Raw(pipeline::PipelineRunToJson(run));
        w.EndArray().Key("problems").StringArray(list->problems).EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/pipeline/runs/{id}",
       .summary = "One pipeline run: status, date, published and why, and per task its status, "
                  "start/end, attempts, message and log file.",
       .tag = "pipeline",
       .response_schema = "PipelineRun"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<pipeline::PipelineRun> run = d_.pipelines->Get(req.Param("id"));
        if (!run.ok()) return SetStatusError(res, run.status());
        res.body = pipeline::PipelineRunToJson(*run);
      });
  AddPipelineFileRoutes(r);
}

namespace {

// "key": the file's JSON (null when absent or not JSON), "key_modified": its time or null.
void WritePipelineFile(JsonWriter& w, std::string_view key, const service::PipelineFile& file) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const bool valid = !file.json.empty() && parser.parse(file.json).get(doc) == simdjson::SUCCESS;
  w.Key(key);
  if (valid) {
    w.Raw(file.json);
  } else {
    w.Null();
  }
  w.Key(std::string(key) + "_modified").TimestampOrNull(file.modified);
  if (!file.json.empty() && !valid) w.Key(std::string(key) + "_error").String("not valid JSON");
}

}  // namespace

void ApiService::AddPipelineFileRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/pipeline/runs/{id}/tasks/{task}/log",
       .summary = "The end of a task's log (text).",
       .tag = "pipeline",
       .query = {{"tail_bytes", "the last bytes returned, 1..16777216 (default 65536)"}},
       .response_schema = "text"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<int> tail = IntParam(req, "tail_bytes", 65536, 1, 16 * 1024 * 1024);
        if (!tail.ok()) return SetStatusError(res, tail.status());
        Result<std::string> log = d_.pipelines->TaskLog(req.Param("id"), req.Param("task"), *tail);
        if (!log.ok()) return SetStatusError(res, log.status());
        res.content_type = "text/plain; charset=utf-8";
        res.body = std::move(*log);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/evaluation",
       .summary = "The pipeline's evaluation files: summary.json, exposure_metrics.json (each "
                  "with its modification time) and the reconciliation dates, newest first.",
       .tag = "pipeline",
       .response_schema = "object"},
      [this](HttpRequest&, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<service::EvaluationFiles> files = d_.pipelines->Evaluation();
        if (!files.ok()) return SetStatusError(res, files.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject();
        WritePipelineFile(w, "summary", files->summary);
        WritePipelineFile(w, "exposure_metrics", files->exposure_metrics);
        w.Key("reconciliations").BeginArray();
        for (const auto& reconciliation : files->reconciliations) {
          w.BeginObject().Key("date").String(reconciliation.date);
          w.Key("modified").TimestampOrNull(reconciliation.modified).EndObject();
        }
        w.EndArray().EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/evaluation/reconciliation/{date}",
       .summary = "One reconciliation file (online vs offline metrics of a run's date).",
       .tag = "pipeline",
       .response_schema = "object"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoPipeline(d_.pipelines, res)) return;
        Result<service::PipelineFile> file = d_.pipelines->Reconciliation(req.Param("date"));
        if (!file.ok()) return SetStatusError(res, file.status());
        res.body = std::move(file->json);
      });
}

}  // namespace reco::api
