// PipelineService: pipeline runs in the server for every transport — start one (one at a time:
// FailedPrecondition while a run holds the data dir's lock), list recent runs, read one.
//
// Thread-safety: safe from any number of request threads (the launcher is). Lifetime: borrows
// the PipelineLauncher, which must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/dag.h"
#include "pipeline/launcher.h"

namespace reco::service {

struct ListPipelineRunsRequest {
  int n = 20;  // at most this many runs
};

struct PipelineRunList {
  std::vector<pipeline::PipelineRun> runs;  // newest first
  std::vector<std::string> problems;        // run records that did not parse
};

class PipelineService {
 public:
  explicit PipelineService(pipeline::PipelineLauncher& launcher);

  // Starts the run in the background; its run id.
  Result<std::string> Start(pipeline::RunRequest request);
  Result<PipelineRunList> List(const ListPipelineRunsRequest& request) const;
  Result<pipeline::PipelineRun> Get(std::string_view run_id) const;  // NotFound

 private:
  pipeline::PipelineLauncher& launcher_;
};

}  // namespace reco::service
