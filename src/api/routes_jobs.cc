// Scheduled-job routes: list the jobs with their next and last runs, trigger a run, read runs.
// Runs live in the store, so these routes also show runs executed by a separate `reco worker`.
#include <charconv>

#include "api/api_service.h"
#include "api/params.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

constexpr int kDefaultRuns = 20;
constexpr int kMaxRuns = 1000;

void WriteRun(JsonWriter& w, const JobRunRecord& run) {
  w.BeginObject();
  w.Key("id").Int(run.id);
  w.Key("job").String(run.job);
  w.Key("trigger").String(run.trigger);
  w.Key("status").String(run.status);
  w.Key("attempts").Int(run.attempts);
  w.Key("scheduled_for").TimestampOrNull(run.scheduled_for);
  w.Key("created").TimestampOrNull(run.created);
  w.Key("start").TimestampOrNull(run.started);
  w.Key("end").TimestampOrNull(run.finished);
  w.Key("holder").String(run.holder);
  w.Key("error").String(run.error);
  w.EndObject();
}

// 503 when the server was built without a scheduler.
bool NoScheduler(service::JobService* jobs, HttpResponse& res) {
  if (jobs != nullptr) return false;
  SetJsonError(res, 503, "this server runs no scheduler");
  return true;
}

void WriteJobList(HttpResponse& res, const service::JobList& list) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("leader").String(list.leader);
  w.Key("lease_expires").TimestampOrNull(list.lease_expires);
  w.Key("holder").String(list.holder);
  w.Key("is_leader").Bool(list.is_leader);
  w.Key("jobs").BeginArray();
  for (const JobInfo& job : list.jobs) {
    w.BeginObject().Key("name").String(job.name).Key("cron").String(job.cron);
    w.Key("timeout_seconds").Double(job.timeout_seconds);
    w.Key("max_retries").Int(job.max_retries);
    w.Key("next_run").TimestampOrNull(job.next_run.value_or(0));
    w.Key("last_run");
    if (job.last_run) {
      WriteRun(w, *job.last_run);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  res.body = w.Take();
}

// ?job=&status=&n= of GET /api/v1/jobs/runs.
Result<JobRunFilter> ParseRunFilter(const HttpRequest& req) {
  JobRunFilter filter;
  RECO_ASSIGN_OR_RETURN(filter.limit, IntParam(req, "n", kDefaultRuns, 1, kMaxRuns));
  if (auto job = req.Query("job")) filter.job = std::string(*job);
  if (auto status = req.Query("status")) filter.status = std::string(*status);
  return filter;
}

Result<int64_t> RunIdParam(const HttpRequest& req) {
  std::string_view text = req.Param("id");
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) {
    return InvalidArgument("run id must be a positive integer, got \"" + std::string(text) + "\"",
                           "id");
  }
  return id;
}

}  // namespace

void ApiService::AddJobRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/jobs",
       .summary = "Scheduled jobs with their cron (UTC), next run and last run; the lease holder "
                  "that runs them.",
       .tag = "jobs",
       .response_schema = "JobList"},
      [this](HttpRequest&, HttpResponse& res) {
        if (NoScheduler(d_.jobs, res)) return;
        Result<service::JobList> list = d_.jobs->List();
        if (!list.ok()) return SetStatusError(res, list.status());
        WriteJobList(res, *list);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/jobs/{name}/run",
       .summary = "Queue a manual run of a job (202 with its run_id); the scheduler leader "
                  "starts it. 404 for an unknown job.",
       .tag = "jobs",
       .response_schema = "JobRunId",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        if (NoScheduler(d_.jobs, res)) return;
        Result<service::JobRunCreated> created = d_.jobs->Trigger(req.Param("name"));
        if (!created.ok()) return SetStatusError(res, created.status());
        res.status = 202;
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("run_id").Int(created->run_id).Key("job").String(created->job);
        w.Key("status").String(created->status).EndObject();
        res.body = w.Take();
      });
  AddJobRunRoutes(r);
}

void ApiService::AddJobRunRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/jobs/runs",
       .summary = "Job runs, newest first.",
       .tag = "jobs",
       .query = {{"job", "only this job's runs"},
                 {"status", "queued, running, succeeded, failed or timed_out"},
                 {"n", "at most this many runs (1-1000, default 20)"}},
       .response_schema = "JobRun[]"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<JobRunFilter> filter = ParseRunFilter(req);
        if (!filter.ok()) return SetStatusError(res, filter.status());
        if (NoScheduler(d_.jobs, res)) return;
        Result<std::vector<JobRunRecord>> runs = d_.jobs->ListRuns(*filter);
        if (!runs.ok()) return SetStatusError(res, runs.status());
        JsonWriter w(std::move(res.body));
        w.BeginArray();
        for (const JobRunRecord& run : *runs) WriteRun(w, run);
        w.EndArray();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/jobs/runs/{id}",
       .summary = "One job run: status (queued, running, succeeded, failed, timed_out), "
                  "attempts, start/end, error.",
       .tag = "jobs",
       .response_schema = "JobRun"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<int64_t> id = RunIdParam(req);
        if (!id.ok()) return SetStatusError(res, id.status());
        if (NoScheduler(d_.jobs, res)) return;
        Result<JobRunRecord> run = d_.jobs->GetRun(*id);
        if (!run.ok()) return SetStatusError(res, run.status());
        JsonWriter w(std::move(res.body));
        WriteRun(w, *run);
        res.body = w.Take();
      });
}

}  // namespace reco::api
