// The pipeline's environment for the process that runs it (`reco serve`'s scheduler, `reco
// worker`, `reco pipeline run`, `reco release --data-dir`), built in one place from the
// configuration: the publish task announces a new production version by POSTing to
// pipeline.reload_url (MODEL_RELOAD_URL) with server.reload_token, else server.api_key.
//
// Lifetime: the environment borrows `config`, `store` and `clock`, which must outlive it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/config.h"
#include "core/time.h"
#include "pipeline/dag.h"
#include "pipeline/tasks.h"
#include "store/store.h"

namespace reco::app {

pipeline::PipelineEnv MakePipelineEnv(const RecoConfig& config,
                                      const std::filesystem::path& data_dir, Store& store,
                                      const Clock& clock);

// How `reco pipeline run` and `reco release --data-dir` run the pipeline in their own process.
struct LocalPipelineOptions {
  std::string reload_url;  // non-empty: overrides pipeline.reload_url (--reload-url)
  int threads = 0;         // training and evaluation threads; 0 = number of cores
  bool show_progress = false;
  // task_retries is taken from pipeline.task_retries; on_change and log_sink as given.
  pipeline::PipelineRunnerOptions runner;
  std::function<void(const pipeline::PipelineRun&)> on_started;  // once the run id exists
};

// Runs (or resumes) the pipeline's tasks on `store` to their end; the final run record, or the
// runner's error (InvalidArgument for a bad request, FailedPrecondition while another run holds
// the data dir's lock).
Result<pipeline::PipelineRun> RunPipelineHere(const RecoConfig& config,
                                              const std::filesystem::path& data_dir, Store& store,
                                              const Clock& clock,
                                              const pipeline::RunRequest& request,
                                              LocalPipelineOptions options);

}  // namespace reco::app
