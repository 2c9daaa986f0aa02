// The training sequence of `reco train` and the pipeline's train_models task, in one call:
// TrainAndRegister starts a run with every param it will have (so a run is never final without
// them), trains (trainer.h), records the report, registers the version and applies the
// registry's retention. RecordTrainReport turns any finished TrainReport into run-record fields.
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
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "store/store.h"
#include "training/trainer.h"

namespace reco::training {

// What the run was trained on besides the dataset itself (from the extract task).
struct TrainingRunInputs {
  std::map<std::string, std::string> watermarks;  // source -> watermark
  std::map<std::string, int64_t> row_counts;      // added to users/items/positives
  // Recorded with TrainParams when the run starts (e.g. ChoiceParams of the algorithm the
  // pipeline evaluates, the pipeline run id); a key of TrainParams is overridden.
  std::map<std::string, std::string> params;
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
                         registry::RunRecord& run);

struct TrainedVersion {
  TrainReport report;  // what TrainModels fitted and wrote
  registry::RunRecord run;
  registry::ModelVersion version;
  registry::RetentionReport retention;
};

// Starts a run with its params (TrainParams and inputs.params), trains into DATA_DIR/models (the
// registry's retention replaces TrainModels' per-kind file retention), records the report,
// registers the version and applies retention with config.registry.keep_versions. A failed training
// is saved as a failed run and its error returned with the run id in the message.
Result<TrainedVersion> TrainAndRegister(Store& store, const RecoConfig& config,
                                        const std::filesystem::path& data_dir, const Clock& clock,
                                        TrainOptions options = {},
                                        const TrainingRunInputs& inputs = {});

}  // namespace reco::training
