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

bool NoScheduler(Scheduler* scheduler, HttpResponse& res) {
  if (scheduler != nullptr) return false;
  SetJsonError(res, 503, "this server runs no scheduler");
  return true;
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
        if (NoScheduler(d_.scheduler, res)) return;
        Result<std::vector<JobInfo>> jobs = d_.scheduler->ListJobs();
        if (!jobs.ok()) return SetStatusError(res, jobs.status());
        Result<LeaseRecord> lease = d_.store->GetLease("scheduler");
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("leader").String(lease.ok() ? lease->holder : "");
        w.Key("lease_expires").TimestampOrNull(lease.ok() ? lease->expires_at : 0);
        w.Key("holder").String(d_.scheduler->holder());
        w.Key("is_leader").Bool(d_.scheduler->is_leader());
        w.Key("jobs").BeginArray();
        for (const JobInfo& job : *jobs) {
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
        if (NoScheduler(d_.scheduler, res)) return;
        Result<int64_t> id = d_.scheduler->Trigger(req.Param("name"));
        if (!id.ok()) return SetStatusError(res, id.status());
        res.status = 202;
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("run_id").Int(*id).Key("job").String(req.Param("name"));
        w.Key("status").String(kRunQueued).EndObject();
        res.body = w.Take();
      });
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
        Result<int> n = IntParam(req, "n", kDefaultRuns, 1, kMaxRuns);
        if (!n.ok()) return SetStatusError(res, n.status());
        JobRunFilter filter;
        filter.limit = *n;
        if (auto job = req.Query("job")) filter.job = std::string(*job);
        if (auto status = req.Query("status")) filter.status = std::string(*status);
        Result<std::vector<JobRunRecord>> runs = d_.store->ListJobRuns(filter);
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
        Result<JobRunRecord> run = d_.store->GetJobRun(*id);
        if (!run.ok()) return SetStatusError(res, run.status());
        JsonWriter w(std::move(res.body));
        WriteRun(w, *run);
        res.body = w.Take();
      });
}

}  // namespace reco::api
