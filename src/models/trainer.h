// Trainer: builds a Dataset from the store, fits the popularity, latest and item-CF models plus
// any extra models the caller adds (ExtraModelTrainer: e.g. the per-user lists of the algorithm
// `reco tune` chose), writes them to the models directory and applies retention. Nothing is written
// until every model has been fitted; if a write fails, the files written by this run are removed
// again.
//
// Thread-safety: one training per models directory at a time. The store must outlive the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "data/dataset.h"
#include "store/store.h"

namespace reco {

struct ModelTrainStats;

// A model fitted on the same Dataset snapshot as the built-in ones and written with them (same
// creation time, all-or-nothing). Not thread-safe; one TrainModels call at a time.
class ExtraModelTrainer {
 public:
  virtual ~ExtraModelTrainer() = default;
  virtual std::string kind() const = 0;
  // Fits on `dataset`; sets stats.items and stats.entries.
  virtual Status Fit(const Dataset& dataset, ModelTrainStats& stats) = 0;
  // Writes the fitted model (called only after Fit succeeded).
  virtual Status Save(const std::filesystem::path& path, TimestampUs created) const = 0;
};

struct TrainOptions {
  int num_threads = 0;                                    // item-CF threads; 0 = number of cores
  bool show_progress = false;                             // progress lines on stderr
  size_t keep_files = 3;                                  // newest files kept per kind (retention)
  std::vector<std::shared_ptr<ExtraModelTrainer>> extra;  // fitted after the built-in models
};

struct ModelTrainStats {
  std::string kind;
  size_t items = 0;    // items in the model's table
  size_t entries = 0;  // list entries (popularity/latest: overall list; itemcf: neighbours)
  double seconds = 0;  // fit time
  std::filesystem::path file;
};

struct TrainReport {
  std::string snapshot_id;
  size_t users = 0;
  size_t items = 0;
  size_t positives = 0;
  double dataset_seconds = 0;
  double write_seconds = 0;
  TimestampUs created = 0;
  std::vector<ModelTrainStats> models;         // popularity, latest, itemcf, then the extras
  std::vector<std::filesystem::path> removed;  // old files deleted by retention
};

Result<TrainReport> TrainModels(Store& store, const RecoConfig& config,
                                const std::filesystem::path& models_dir, const Clock& clock,
                                const TrainOptions& options = {});

}  // namespace reco
