// Training runs recorded and registered in one call: the pipeline's train_models task runs
// TrainAndRegister; RecordTrainReport turns any finished TrainReport into run-record fields.
//
// Thread-safety: one training per data dir at a time (as TrainModels); registry changes are
// serialised by the registry's file lock. Lifetime: the store and clock must outlive the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "models/trainer.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "store/store.h"

namespace reco::registry {

// What the run was trained on besides the dataset itself (from the extract task).
struct TrainingRunInputs {
  std::map<std::string, std::string> watermarks;  // source -> watermark
  std::map<std::string, int64_t> row_counts;      // added to users/items/positives
};

// The algorithm name before training ("popularity+latest+itemcf") and the settings TrainModels
// uses, recorded as the run's params.
std::string TrainAlgorithmName();
std::map<std::string, std::string> TrainParams(const RecoConfig& config,
                                               const TrainOptions& options);

// Fills `run` from `report`: the algorithm (the models' kinds joined by '+'), snapshot id, row
// counts, per-model metrics (<kind>.items, <kind>.entries, <kind>.fit_seconds, dataset_seconds,
// write_seconds) and one artifact per model file (path relative to `data_dir`, kind, bytes,
// sha256). InvalidArgument when a file is outside `data_dir`; NotFound when a file is gone.
Status RecordTrainReport(const TrainReport& report, const std::filesystem::path& data_dir,
                         RunRecord& run);

struct TrainedVersion {
  TrainReport report;  // what TrainModels fitted and wrote
  RunRecord run;
  ModelVersion version;
  RetentionReport retention;
};

// Starts a run, trains into DATA_DIR/models (the registry's retention replaces TrainModels'
// per-kind file retention), records the report, registers the version and applies retention
// with config.registry.keep_versions. A failed training is saved as a failed run and its error
// returned with the run id in the message.
Result<TrainedVersion> TrainAndRegister(Store& store, const RecoConfig& config,
                                        const std::filesystem::path& data_dir, const Clock& clock,
                                        TrainOptions options = {},
                                        const TrainingRunInputs& inputs = {});

}  // namespace reco::registry
