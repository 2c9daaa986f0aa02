// The jobs of `reco worker` (and of the scheduler inside `reco serve`): their names, schedules
// from the [worker] config section, and the built-in bodies. Callers build a JobCatalog from
// BuiltinJobCatalog, replace or add bodies (e.g. `train` = a pipeline run), then DefaultJobSpecs.
//
// Thread-safety: pure functions. Lifetime: the bodies borrow `store`, `config` and `clock`,
// which must outlive the scheduler that runs them.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "content/image_vectors.h"
#include "core/config.h"
#include "core/time.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace reco {

inline constexpr std::string_view kJobTrain = "train";
inline constexpr std::string_view kJobItemVectors = "item_vectors";
inline constexpr std::string_view kJobUserProfiles = "user_profiles";
inline constexpr std::string_view kJobPrecompute = "precompute";
inline constexpr std::string_view kJobCacheCleanup = "cache_cleanup";
inline constexpr std::string_view kJobItemImages = "item_images";

// train: TrainModels into DATA_DIR/models (popularity, latest, item-CF; retention) — `reco
// worker` and `reco serve` replace it with a pipeline run;
// item_vectors: refits the item-CF model and the text embedder (content.text_embedder) and writes
// them; with a model registry, publishes them as a new production version (production's files
// with item-CF and textvec replaced);
// cache_cleanup: without a registry, the newest 3 model files per kind are kept; with one, the
// registry's retention runs and files no version refers to are kept only among the newest 3.
// precompute: fits the algorithm of recommend.model_config (a CONFIG.toml from `reco tune`,
// relative to the data dir) and writes its per-user lists (kind "recs"); with a model registry,
// publishes them as a new production version (production's files with the recs file replaced).
// Without recommend.model_config each run fails with FailedPrecondition naming the key;
// item_images: CLIP image vectors of new and changed item images into their labels
// (content/image_vectors.h; RunItemImages); fails naming content.clip_model_path without one;
// user_profiles has no built-in body: `reco serve` refreshes its own user histories
// (serving/user_profiles.h) and `reco worker` asks the server to (a reload).
JobCatalog BuiltinJobCatalog(Store& store, const RecoConfig& config,
                             const std::filesystem::path& data_dir, const Clock& clock);

// One run of item_images with the configuration's content.* keys (image_dir "" =
// DATA_DIR/images; state in DATA_DIR/content/item_images.tsv).
Result<content::ImageVectorReport> RunItemImages(Store& store, const RecoConfig& config,
                                                 const std::filesystem::path& data_dir,
                                                 const JobContext& context);

// The six default jobs with worker.*_cron, max_retries, retry_backoff_seconds and
// job_timeout_seconds; bodies from `catalog`. A job without a body in the catalogue is still
// listed and scheduled, and each run fails with Unimplemented naming the job.
std::vector<JobSpec> DefaultJobSpecs(const WorkerConfig& worker, const JobCatalog& catalog);

// Parses every worker.*_cron; InvalidArgument naming the key, e.g.
// `worker.train_cron: cron "0 25 * * *": hour: 25 is out of range 0-23`.
Status ValidateWorkerConfig(const WorkerConfig& worker);

// lease_seconds from the config; the rest default.
SchedulerOptions SchedulerOptionsFromConfig(const WorkerConfig& worker);

}  // namespace reco
