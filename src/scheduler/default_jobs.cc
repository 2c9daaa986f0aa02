#include "scheduler/default_jobs.h"

#include <spdlog/spdlog.h>

#include "core/file_util.h"
#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/model_files.h"
#include "models/trainer.h"

namespace reco {
namespace {

Status Cancelled(const JobContext& context, std::string_view step) {
  return Unavailable("job " + context.job() + " cancelled " + std::string(step));
}

Status RetrainItemVectors(Store& store, const RecoConfig& config,
                          const std::filesystem::path& models_dir, const Clock& clock,
                          const JobContext& context) {
  RECO_ASSIGN_OR_RETURN(Dataset dataset,
                        Dataset::FromStore(store, config.recommend.feedback_types));
  if (context.cancelled()) return Cancelled(context, "after loading the dataset");
  ItemCfOptions options;
  options.neighbors = config.recommend.itemcf_neighbors;
  options.shrinkage = config.recommend.itemcf_shrinkage;
  RECO_ASSIGN_OR_RETURN(ItemCfModel model, ItemCfModel::Fit(dataset, options));
  if (context.cancelled()) return Cancelled(context, "before writing the model");
  RECO_RETURN_IF_ERROR(EnsureDirectory(models_dir));
  const TimestampUs created = clock.NowMicros();
  const std::filesystem::path path = models_dir / ModelFileName("itemcf", created);
  RECO_RETURN_IF_ERROR(model.Save(path, created));
  spdlog::info("event=item_vectors_written file={} items={} entries={}", path.string(),
               model.num_items(), model.num_neighbor_entries());
  return Status::Ok();
}

JobBody NoBody(std::string_view name) {
  return [name = std::string(name)](const JobContext&) {
    return Unimplemented("job " + name + " has no body in this version of reco");
  };
}

}  // namespace

JobCatalog BuiltinJobCatalog(Store& store, const RecoConfig& config,
                             const std::filesystem::path& data_dir, const Clock& clock) {
  const std::filesystem::path models_dir = data_dir / "models";
  JobCatalog catalog;
  catalog.emplace(kJobTrain, [&store, &config, &clock, models_dir](const JobContext&) {
    return TrainModels(store, config, models_dir, clock).status();
  });
  catalog.emplace(kJobItemVectors,
                  [&store, &config, &clock, models_dir](const JobContext& context) {
                    return RetrainItemVectors(store, config, models_dir, clock, context);
                  });
  catalog.emplace(kJobCacheCleanup, [models_dir](const JobContext&) -> Status {
    RECO_ASSIGN_OR_RETURN(auto removed, ApplyRetention(models_dir, TrainOptions{}.keep_files));
    spdlog::info("event=cache_cleanup removed_files={}", removed.size());
    return Status::Ok();
  });
  return catalog;
}

std::vector<JobSpec> DefaultJobSpecs(const WorkerConfig& worker, const JobCatalog& catalog) {
  const std::pair<std::string_view, const std::string*> crons[] = {
      {kJobTrain, &worker.train_cron},
      {kJobItemVectors, &worker.item_vectors_cron},
      {kJobUserProfiles, &worker.user_profiles_cron},
      {kJobPrecompute, &worker.precompute_cron},
      {kJobCacheCleanup, &worker.cache_cleanup_cron},
  };
  std::vector<JobSpec> specs;
  for (const auto& [name, cron] : crons) {
    JobSpec spec;
    spec.name = std::string(name);
    spec.cron = *cron;
    spec.timeout_seconds = worker.job_timeout_seconds;
    spec.max_retries = worker.max_retries;
    spec.backoff_seconds = worker.retry_backoff_seconds;
    auto it = catalog.find(name);
    spec.body = it != catalog.end() ? it->second : NoBody(name);
    specs.push_back(std::move(spec));
  }
  return specs;
}

Status ValidateWorkerConfig(const WorkerConfig& worker) {
  const std::pair<const char*, const std::string*> keys[] = {
      {"worker.train_cron", &worker.train_cron},
      {"worker.item_vectors_cron", &worker.item_vectors_cron},
      {"worker.user_profiles_cron", &worker.user_profiles_cron},
      {"worker.precompute_cron", &worker.precompute_cron},
      {"worker.cache_cleanup_cron", &worker.cache_cleanup_cron},
  };
  for (const auto& [key, cron] : keys) {
    if (cron->empty()) continue;  // manual trigger only
    Result<CronSchedule> parsed = CronSchedule::Parse(*cron);
    if (!parsed.ok()) return InvalidArgument(key + (": " + parsed.status().message()), key);
  }
  return Status::Ok();
}

SchedulerOptions SchedulerOptionsFromConfig(const WorkerConfig& worker) {
  SchedulerOptions options;
  options.lease_seconds = worker.lease_seconds;
  return options;
}

}  // namespace reco
