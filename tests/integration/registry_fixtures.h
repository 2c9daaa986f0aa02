// Helpers for end-to-end tests that need registered model versions: the model files of each
// `reco train` in a data dir, and (from registry/testing/record_run.h) a succeeded run recorded
// and registered for such a group.
//
// Thread-safety: call from the test thread only. Lifetime: no state; results are plain values.
#pragma once

#include <filesystem>
#include <vector>

#include "models/model_files.h"
#include "registry/testing/record_run.h"

namespace reco::itest {

using testing::RecordRun;
using testing::RecordRunOptions;

// Model files of `data/models` grouped by creation time (one group per `reco train`), oldest
// first. Records a test failure and returns {} when the directory cannot be listed.
std::vector<std::vector<ModelFile>> TrainingOutputs(const std::filesystem::path& data);

}  // namespace reco::itest
