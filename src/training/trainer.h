// TrainModels: builds a Dataset from the store, fits the popularity, latest and item-CF models
// and, when asked, an algorithm of the table (e.g. the one `reco tune` chose) whose per-user lists
// it precomputes (UserRecsModel, kind "recs"); writes them all to the models directory with one
// creation time and applies the per-kind file retention. Nothing is written until every model
// has been fitted; if a write fails, the files written by this call are removed again.
// training_run.h records such a training as a run and registers it.
//
// Thread-safety: one training per models directory at a time. The store must outlive the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/text_embedder.h"
#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "store/store.h"
#include "training/algorithm_choice.h"

namespace reco::training {

// The built-in models a training fits.
struct BuiltinModels {
  bool popularity = true;
  bool latest = true;
  bool itemcf = true;
  // The built-in text embedder (content/text_embedder.h, kind "textvec"), fitted on the items'
  // text when content.text_embedder is on; a catalogue without any text skips it (logged).
  bool text_vectors = true;
};

struct TrainOptions {
  int num_threads = 0;         // item-CF and list threads; 0 = number of cores
  bool show_progress = false;  // progress lines on stderr
  size_t keep_files = 3;       // newest files kept per kind (retention)
  // All four by default; the worker's item_vectors job refits item-CF and the text vectors, its
  // precompute job only `recs`.
  BuiltinModels builtin;
  // The algorithm whose per-user lists are precomputed (recommend.recs_per_user items each),
  // fitted with exactly these settings; none = no lists.
  std::optional<AlgorithmChoice> recs;
  // Called between the long steps with "after loading the dataset", "after fitting <algo>" and
  // "before writing the model"; a status that is not ok stops the training with that status
  // before anything is written (e.g. a cancelled job). Unset = never stops.
  std::function<Status(std::string_view step)> checkpoint;
};

struct ModelTrainStats {
  std::string kind;
  size_t items = 0;    // items in the model's table
  size_t entries = 0;  // list entries (popularity/latest: overall list; itemcf: neighbours)
  double seconds = 0;  // fit time (recs: fit and precompute)
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
  std::vector<ModelTrainStats> models;         // popularity, latest, itemcf, recs, then textvec
  std::vector<std::filesystem::path> removed;  // old files deleted by retention
};

// Every item's text (content/text_features.h ItemText with content.supplied_label), as the text
// vectors and the content features of the recs algorithm read them.
Result<std::shared_ptr<const std::vector<content::TextDocument>>> ReadItemTexts(
    Store& store, const ContentConfig& config);

Result<TrainReport> TrainModels(Store& store, const RecoConfig& config,
                                const std::filesystem::path& models_dir, const Clock& clock,
                                const TrainOptions& options = {});

}  // namespace reco::training
