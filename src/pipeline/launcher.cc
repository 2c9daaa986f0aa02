#include "pipeline/launcher.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <future>
#include <limits>

#include "pipeline/data_quality.h"

namespace reco::pipeline {

PipelineLauncher::PipelineLauncher(PipelineEnv env, int task_retries,
                                   std::function<void(const PipelineRun&)> on_finished)
    : env_(std::move(env)), on_finished_(std::move(on_finished)) {
  runner_ = std::make_unique<PipelineRunner>(env_.data_dir, MakePipelineTasks(env_), *env_.clock,
                                             PipelineRunnerOptions{.task_retries = task_retries});
}

PipelineLauncher::~PipelineLauncher() {
  if (thread_.joinable()) thread_.join();
}

void PipelineLauncher::SetDefaultReloadUrl(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  if (env_.reload_url.empty() && !busy_) env_.reload_url = std::move(url);
}

Result<std::string> PipelineLauncher::Start(RunRequest request) {
  std::unique_lock<std::mutex> lock(mu_);
  // A client that saw the previous run's final record must not get "already running" while its
  // thread releases the lock: wait for that thread instead.
  if (busy_ && !current_run_id_.empty()) {
    Result<PipelineRun> current = runner_->Get(current_run_id_);
    if (current.ok() && current->state != TaskState::kRunning) {
      const std::string ending = current_run_id_;  // not the run another Start may begin
      idle_.wait(lock, [&] { return !busy_ || current_run_id_ != ending; });
    }
  }
  if (busy_) {
    Result<std::vector<PipelineRun>> runs = runner_->List();
    std::string id = runs.ok() && !runs->empty() ? runs->back().run_id : "(starting)";
    return FailedPrecondition("pipeline run " + id + " is already running in " +
                              env_.data_dir.string());
  }
  if (thread_.joinable()) thread_.join();
  if (request.dry_run)
    return InvalidArgument("a dry run is only available from the CLI", "dry_run");
  auto started = std::make_shared<std::promise<Result<std::string>>>();
  std::future<Result<std::string>> id = started->get_future();
  busy_ = true;
  thread_ = std::thread([this, request, started] {
    bool announced = false;
    Result<PipelineRun> run = runner_->Run(request, [&](const PipelineRun& r) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        current_run_id_ = r.run_id;
      }
      announced = true;
      started->set_value(r.run_id);
    });
    if (!announced) {
      // The run never started (e.g. another holds the lock): idle again before the caller
      // hears so, or its next Start could still find this one busy.
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
      current_run_id_.clear();
      idle_.notify_all();
      started->set_value(run.status());
      return;
    }
    if (run.ok()) {
      spdlog::info("event=pipeline_run_finished run_id={} status={} published={} reason=\"{}\"",
                   run->run_id, TaskStateName(run->state), run->published, run->reason);
      if (env_.metrics) env_.metrics->Record(*run);
      if (on_finished_) on_finished_(*run);
    } else {
      spdlog::error("event=pipeline_run_error reason=\"{}\"", run.status().ToString());
    }
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
    current_run_id_.clear();
    idle_.notify_all();
  });
  lock.unlock();  // the thread takes mu_ when it ends
  return id.get();
}

Status RunPipelineJob(const PipelineEnv& env, int task_retries, std::string trigger) {
  PipelineRunner runner(env.data_dir, MakePipelineTasks(env), *env.clock,
                        {.task_retries = task_retries});
  RECO_ASSIGN_OR_RETURN(PipelineRun run, runner.Run({.trigger = std::move(trigger)}));
  spdlog::info("event=pipeline_run_finished run_id={} status={} published={} reason=\"{}\"",
               run.run_id, TaskStateName(run.state), run.published, run.reason);
  if (env.metrics) env.metrics->Record(run);
  if (run.state != TaskState::kSucceeded) {
    return Internal("pipeline run " + run.run_id + " failed: " + run.reason);
  }
  return Status::Ok();
}

double LastDataQualityScore(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / kDataQualityMetricsFile);
  std::string line;
  const std::string prefix = std::string(kDataQualityScoreGauge) + " ";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    try {
      return std::stod(line.substr(prefix.size()));
    } catch (...) {
      break;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace reco::pipeline
