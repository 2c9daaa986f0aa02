// Runs `reco pipeline` in this process (shared by `reco pipeline run` and `reco release` without
// --server): opens the store of the data dir, builds the tasks and prints a progress line per
// task on stderr. Failures to start throw CommandFailed naming the flag, file or key.
//
// Thread-safety: one call at a time per process. Lifetime: nothing is retained.
#pragma once

#include <string>

#include "pipeline/dag.h"

namespace reco::cli {

struct LocalPipelineFlags {
  std::string data_dir;
  std::string config;
  std::string reload_url;  // --reload-url, else MODEL_RELOAD_URL
  int threads = 0;
  bool quiet = false;  // no progress lines
};

pipeline::PipelineRun RunPipelineLocally(const LocalPipelineFlags& flags,
                                         const pipeline::RunRequest& request);

}  // namespace reco::cli
