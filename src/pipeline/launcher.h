// PipelineLauncher: the pipeline inside a long-running process (`reco serve`, `reco worker`).
// Start() begins a run on a background thread and returns its id as soon as the run holds the
// data dir's lock (POST /api/v1/pipeline/runs answers 202 with it); one run at a time.
// RunPipelineJob runs one synchronously for the scheduler's `train` job.
//
// Thread-safety: every public method is thread-safe. Lifetime: the store, config and clock in
// the PipelineEnv must outlive the launcher; the destructor waits for a run in progress.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/dag.h"
#include "pipeline/tasks.h"

namespace reco::pipeline {

class PipelineLauncher {
 public:
  // `on_finished` (optional) is called on the run's thread with the final record.
  PipelineLauncher(PipelineEnv env, int task_retries,
                   std::function<void(const PipelineRun&)> on_finished = {});
  ~PipelineLauncher();
  PipelineLauncher(const PipelineLauncher&) = delete;
  PipelineLauncher& operator=(const PipelineLauncher&) = delete;

  // The run's id once it started. FailedPrecondition "pipeline run R is already running in DIR"
  // when one is (in this or another process); InvalidArgument for a bad request.
  Result<std::string> Start(RunRequest request);
  // Where publish POSTs its reload when no MODEL_RELOAD_URL was configured (e.g. this server's
  // own /models/reload once its port is known). Ignored when the env already names one.
  void SetDefaultReloadUrl(std::string url);

  Result<PipelineRun> Get(std::string_view run_id) const { return runner_->Get(run_id); }
  Result<std::vector<PipelineRun>> List(std::vector<std::string>* problems = nullptr) const {
    return runner_->List(problems);
  }

 private:
  std::mutex mu_;
  PipelineEnv env_;  // the tasks refer to it
  std::unique_ptr<PipelineRunner> runner_;
  std::function<void(const PipelineRun&)> on_finished_;
  std::thread thread_;
  bool busy_ = false;
  std::string current_run_id_;    // the run of `thread_` once its record exists
  std::condition_variable idle_;  // notified when `busy_` turns false
};

// Runs the whole pipeline to its end (the scheduler's `train` job). Ok when the run succeeded
// (published or held back by the gate); otherwise the run's reason, naming the run id.
Status RunPipelineJob(const PipelineEnv& env, int task_retries, std::string trigger);

// The data_quality_score of <data>/data_quality_metrics.prom (the last data_quality task), NaN
// when there is none yet: the value of the server's data_quality_score gauge.
double LastDataQualityScore(const std::filesystem::path& data_dir);

}  // namespace reco::pipeline
