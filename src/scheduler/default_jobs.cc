#include "scheduler/default_jobs.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "models/model_files.h"
#include "models/user_recs.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "training/algorithm_choice.h"
#include "training/trainer.h"

namespace reco {
namespace {

Status Cancelled(const JobContext& context, std::string_view step) {
  return Unavailable("job " + context.job() + " cancelled " + std::string(step));
}

// With a model registry, the server serves the production version's exact files, so a file a
// job rewrites is published as a new version: production's artifacts with the artifact of kind
// `kind` replaced (or added), registered and promoted (the previous version stays one rollback
// away). The new run has production's params without those starting with `drop_prefix` (none
// when empty), plus `params`.
using ReplacedArtifacts = std::vector<std::pair<std::string, std::filesystem::path>>;  // kind, file

Status PublishReplacedArtifacts(const std::filesystem::path& data_dir, std::string_view job,
                                const ReplacedArtifacts& replaced, std::string_view drop_prefix,
                                const std::map<std::string, std::string>& params,
                                const Clock& clock) {
  registry::ModelRegistry reg(data_dir, clock);
  Result<registry::ModelVersion> production = reg.Resolve("production");
  if (!production.ok()) return Status::Ok();  // no registry or no production: files only
  registry::RunTracker tracker(data_dir, clock);
  RECO_ASSIGN_OR_RETURN(registry::RunRecord base, tracker.Get(production->run_id));
  std::map<std::string, std::string> run_params;
  for (const auto& [key, value] : base.params) {
    if (drop_prefix.empty() || !key.starts_with(drop_prefix)) run_params[key] = value;
  }
  for (const auto& [key, value] : params) run_params[key] = value;
  run_params[std::string(job) + ".based_on"] = production->run_id;
  RECO_ASSIGN_OR_RETURN(
      registry::RunRecord run,
      tracker.Start(production->algorithm + " (" + std::string(job) + " refresh)", run_params));
  std::vector<registry::RunArtifact> fresh;
  std::string kinds;
  for (const auto& [kind, file] : replaced) {
    RECO_ASSIGN_OR_RETURN(
        registry::RunArtifact artifact,
        registry::DescribeArtifact(data_dir, file.lexically_relative(data_dir).generic_string(),
                                   kind));
    fresh.push_back(std::move(artifact));
    kinds += (kinds.empty() ? "" : ",") + kind;
  }
  for (const registry::RunArtifact& a : production->artifacts) {
    bool is_replaced = false;
    for (const auto& [kind, file] : replaced) is_replaced = is_replaced || a.kind == kind;
    if (!is_replaced) run.artifacts.push_back(a);
  }
  for (registry::RunArtifact& a : fresh) run.artifacts.push_back(std::move(a));
  run.data = base.data;
  RECO_RETURN_IF_ERROR(tracker.Finish(run, Status::Ok()));
  RECO_RETURN_IF_ERROR(reg.Register(run).status());
  RECO_RETURN_IF_ERROR(reg.Promote(run.run_id, "production").status());
  spdlog::info("event={}_published run_id={} based_on={} kind={}", job, run.run_id,
               production->run_id, kinds);
  return Status::Ok();
}

// Model files no registry version refers to, beyond the newest `keep` per kind, are deleted;
// without a registry, the newest `keep` files per kind are kept (ApplyRetention).
Result<size_t> CleanModelFiles(const std::filesystem::path& data_dir, size_t keep,
                               const Clock& clock) {
  const std::filesystem::path models_dir = data_dir / "models";
  registry::ModelRegistry reg(data_dir, clock);
  if (!std::filesystem::exists(reg.registry_path())) {
    RECO_ASSIGN_OR_RETURN(auto removed, ApplyRetention(models_dir, keep));
    return removed.size();
  }
  RECO_ASSIGN_OR_RETURN(registry::RetentionReport report, reg.ApplyRetention());
  RECO_ASSIGN_OR_RETURN(registry::RegistryContents contents, reg.Load());
  std::set<std::filesystem::path> referenced;
  for (const auto& v : contents.versions) {
    for (const auto& a : v.artifacts) referenced.insert(reg.ArtifactPath(a).lexically_normal());
  }
  RECO_ASSIGN_OR_RETURN(std::vector<ModelFile> files, ListModelFiles(models_dir));
  std::map<std::string, size_t> seen;
  size_t removed = report.removed_files.size();
  for (const ModelFile& file : files) {  // newest first
    if (referenced.count(file.path.lexically_normal()) || ++seen[file.kind] <= keep) continue;
    std::error_code ec;
    if (std::filesystem::remove(file.path, ec)) ++removed;
  }
  return removed;
}

// Stops a job's training between two steps once the job is cancelled.
std::function<Status(std::string_view)> CancelCheckpoint(const JobContext& context) {
  return [&context](std::string_view step) {
    return context.cancelled() ? Cancelled(context, step) : Status::Ok();
  };
}

// Refits the item-CF model and the text embedder on the store's snapshot, writes them and,
// with a model registry, publishes them as a new production version.
Status RetrainItemVectors(Store& store, const RecoConfig& config,
                          const std::filesystem::path& models_dir, const Clock& clock,
                          const JobContext& context) {
  training::TrainOptions options;
  options.builtin = {.popularity = false, .latest = false, .itemcf = true, .text_vectors = true};
  // Old files stay while a registered version names them; cache_cleanup removes the others.
  options.keep_files = std::numeric_limits<size_t>::max();
  options.checkpoint = CancelCheckpoint(context);
  RECO_ASSIGN_OR_RETURN(training::TrainReport report,
                        training::TrainModels(store, config, models_dir, clock, options));
  ReplacedArtifacts replaced;
  for (const training::ModelTrainStats& model : report.models) {
    replaced.emplace_back(model.kind, model.file);
    spdlog::info("event=item_vectors_written kind={} file={} items={} entries={}", model.kind,
                 model.file.string(), model.items, model.entries);
  }
  return PublishReplacedArtifacts(models_dir.parent_path(), kJobItemVectors, replaced, "", {},
                                  clock);
}

// Fits the algorithm of recommend.model_config on the store's snapshot, writes its per-user lists
// (kind "recs") and, with a model registry, publishes them as a new production version.
Status PrecomputeRecs(Store& store, const RecoConfig& config, const std::filesystem::path& data_dir,
                      const Clock& clock, const JobContext& context) {
  RECO_ASSIGN_OR_RETURN(std::optional<training::AlgorithmChoice> choice,
                        training::ModelConfigChoice(config, data_dir));
  if (!choice) {
    return FailedPrecondition(
        "precompute needs recommend.model_config (a CONFIG.toml from reco tune)");
  }
  training::TrainOptions options;
  options.builtin = {.popularity = false, .latest = false, .itemcf = false, .text_vectors = false};
  options.recs = *choice;
  // Old files stay while a registered version names them; cache_cleanup removes the others.
  options.keep_files = std::numeric_limits<size_t>::max();
  options.checkpoint = CancelCheckpoint(context);
  RECO_ASSIGN_OR_RETURN(training::TrainReport report,
                        training::TrainModels(store, config, data_dir / "models", clock, options));
  const training::ModelTrainStats& recs = report.models.back();
  RECO_RETURN_IF_ERROR(PublishReplacedArtifacts(
      data_dir, kJobPrecompute, {{std::string(UserRecsModel::kKind), recs.file}}, "eval.",
      training::ChoiceParams(*choice), clock));
  spdlog::info("event=precompute_written file={} algo={} users={} entries={} seconds={:.3f}",
               recs.file.string(), choice->algo, report.users, recs.entries, recs.seconds);
  return Status::Ok();
}

}  // namespace

Result<content::ImageVectorReport> RunItemImages(Store& store, const RecoConfig& config,
                                                 const std::filesystem::path& data_dir,
                                                 const JobContext& context) {
  content::ImageVectorOptions options;
  options.model_dir = config.content.clip_model_path;
  options.image_dir = config.content.image_dir.empty() ? data_dir / "images"
                                                       : std::filesystem::path(config.content.image_dir);
  options.image_label = config.content.image_label;
  options.clip_label = config.content.clip_label;
  options.state_file = data_dir / "content" / "item_images.tsv";
  options.checkpoint = CancelCheckpoint(context);
  return content::EmbedCatalogueImages(store, options);
}

namespace {

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
    return training::TrainModels(store, config, models_dir, clock).status();
  });
  catalog.emplace(kJobItemVectors,
                  [&store, &config, &clock, models_dir](const JobContext& context) {
                    return RetrainItemVectors(store, config, models_dir, clock, context);
                  });
  catalog.emplace(kJobPrecompute, [&store, &config, &clock, data_dir](const JobContext& context) {
    return PrecomputeRecs(store, config, data_dir, clock, context);
  });
  catalog.emplace(kJobItemImages, [&store, &config, data_dir](const JobContext& context) {
    return RunItemImages(store, config, data_dir, context).status();
  });
  catalog.emplace(kJobCacheCleanup, [data_dir, &clock](const JobContext&) -> Status {
    RECO_ASSIGN_OR_RETURN(size_t removed,
                          CleanModelFiles(data_dir, training::TrainOptions{}.keep_files, clock));
    spdlog::info("event=cache_cleanup removed_files={}", removed);
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
      {kJobItemImages, &worker.item_images_cron},
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
      {"worker.item_images_cron", &worker.item_images_cron},
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
