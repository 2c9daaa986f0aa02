// Helpers for end-to-end tests that need registered model versions: the model files of each
// `reco train` in a data dir, and a succeeded run recorded and registered for such a group.
//
// Thread-safety: call from the test thread only. Lifetime: no state; results are plain values.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/time.h"
#include "models/model_files.h"

namespace reco::itest {

// Model files of `data/models` grouped by creation time (one group per `reco train`), oldest
// first. Records a test failure and returns {} when the directory cannot be listed.
std::vector<std::vector<ModelFile>> TrainingOutputs(const std::filesystem::path& data);

struct RecordRunOptions {
  std::map<std::string, std::string> params;  // the run's settings
  std::map<std::string, double> metrics;      // e.g. {"ndcg@10", 0.12}
};

// Records a succeeded "popularity+latest+itemcf" run of `files` (paths under `data/models`) that
// started at clock's now and took 30 s (the clock advances), registers it in the model registry
// and returns the run id. Failures are recorded as test failures.
std::string RecordRun(const std::filesystem::path& data, const std::vector<ModelFile>& files,
                      FakeClock& clock, const RecordRunOptions& options = {});

}  // namespace reco::itest
