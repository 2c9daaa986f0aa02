#include "app/jobs.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "app/pipeline_env.h"
#include "core/json_writer.h"
#include "pipeline/launcher.h"
#include "scheduler/default_jobs.h"

namespace reco::app {
namespace {

// The built-in jobs with `train` = a whole pipeline run on `env`.
JobCatalog PipelineJobCatalog(const RecoConfig& config, const std::filesystem::path& data_dir,
                              Store& store, const Clock& clock, pipeline::PipelineEnv env) {
  JobCatalog catalog = BuiltinJobCatalog(store, config, data_dir, clock);
  catalog[std::string(kJobTrain)] = [env = std::move(env), retries = config.pipeline.task_retries](
                                        const JobContext& context) {
    pipeline::PipelineEnv run_env = env;
    // A leader deposed while the run trained publishes nothing: its successor's runs decide.
    run_env.before_publish = [store = env.store, token = context.fencing_token()]() -> Status {
      if (token <= 0) return Status::Ok();
      RECO_ASSIGN_OR_RETURN(int64_t current, store->CurrentFencingToken());
      if (current > token) return StaleFencingToken(token, current);
      return Status::Ok();
    };
    return pipeline::RunPipelineJob(run_env, retries, "scheduler");
  };
  return catalog;
}

// The process's pipeline environment, counting its runs in `metrics` when given.
pipeline::PipelineEnv CountedPipelineEnv(const RecoConfig& config,
                                         const std::filesystem::path& data_dir, Store& store,
                                         const Clock& clock, MetricsRegistry* metrics) {
  pipeline::PipelineEnv env = MakePipelineEnv(config, data_dir, store, clock);
  if (metrics != nullptr) env.metrics = std::make_shared<pipeline::PipelineRunMetrics>(*metrics);
  return env;
}

}  // namespace

Result<std::unique_ptr<Scheduler>> MakeServeScheduler(const RecoConfig& config,
                                                      const std::filesystem::path& data_dir,
                                                      Store& store, ModelManager& models,
                                                      UserProfiles& profiles, const Clock& clock,
                                                      MetricsRegistry* metrics,
                                                      const CacheLeaderLock& lock,
                                                      ContentIndexes* content) {
  RECO_RETURN_IF_ERROR(ValidateWorkerConfig(config.worker));
  JobCatalog catalog = PipelineJobCatalog(
      config, data_dir, store, clock, CountedPipelineEnv(config, data_dir, store, clock, metrics));
  catalog[std::string(kJobItemImages)] = [&store, config, data_dir,
                                          content](const JobContext& context) -> Status {
    RECO_ASSIGN_OR_RETURN(content::ImageVectorReport report,
                          RunItemImages(store, config, data_dir, context));
    if (content != nullptr) {
      for (const std::string& id : report.changed) content->ItemChanged(id);
    }
    return Status::Ok();
  };
  catalog[std::string(kJobUserProfiles)] = [&profiles](const JobContext&) {
    return profiles.Refresh().status();
  };
  for (std::string_view name : {kJobTrain, kJobItemVectors, kJobPrecompute}) {
    auto it = catalog.find(name);
    if (it == catalog.end()) continue;
    it->second = [inner = it->second, &models](const JobContext& context) -> Status {
      RECO_RETURN_IF_ERROR(inner(context));
      return models.Reload(/*fail_on_rejected=*/false).status();
    };
  }
  SchedulerOptions options = SchedulerOptionsFromConfig(config.worker);
  options.take_lease = config.worker.in_serve;
  options.metrics = metrics;
  options.lock_cache = lock.cache;
  options.lock_name = lock.name;
  return Scheduler::Create(DefaultJobSpecs(config.worker, catalog), store, clock, options);
}

Result<std::unique_ptr<Scheduler>> MakeWorkerScheduler(const RecoConfig& config,
                                                       const std::filesystem::path& data_dir,
                                                       Store& store, const Clock& clock,
                                                       const std::string& holder,
                                                       MetricsRegistry* metrics,
                                                       const CacheLeaderLock& lock) {
  RECO_RETURN_IF_ERROR(ValidateWorkerConfig(config.worker));
  pipeline::PipelineEnv env = CountedPipelineEnv(config, data_dir, store, clock, metrics);
  if (lock.cache != nullptr && !lock.models_channel.empty()) {
    // Every replica on the cache follows the registry at once (serving/replica_sync.h).
    env.after_publish = [cache = lock.cache, channel = lock.models_channel,
                         origin = "worker:" + holder](const std::string& run_id) {
      JsonWriter w;
      w.BeginObject().Key("origin").String(origin).Key("run_id").String(run_id).EndObject();
      if (Status st = cache->Publish(channel, w.Take()); !st.ok()) {
        spdlog::warn("event=models_notification_failed run_id={} error=\"{}\"", run_id,
                     st.ToString());
      }
    };
  }
  JobCatalog catalog = PipelineJobCatalog(config, data_dir, store, clock, env);
  // The server's user histories live in its memory: a reload of the production models refreshes
  // them (serving/user_profiles.h).
  catalog[std::string(kJobUserProfiles)] = [env](const JobContext&) -> Status {
    if (env.reload_url.empty()) {
      return FailedPrecondition(
          "user_profiles refreshes the user histories of reco serve: set MODEL_RELOAD_URL to its "
          "/models/reload");
    }
    RECO_ASSIGN_OR_RETURN(int status, env.post(env.reload_url, "", env.reload_token));
    if (status / 100 != 2) {
      return Unavailable("user_profiles: " + env.reload_url + " answered HTTP " +
                         std::to_string(status));
    }
    return Status::Ok();
  };
  catalog[std::string(kJobItemImages)] = [&store, config, data_dir,
                                          env](const JobContext& context) -> Status {
    RECO_ASSIGN_OR_RETURN(content::ImageVectorReport report,
                          RunItemImages(store, config, data_dir, context));
    if (report.changed.empty()) return Status::Ok();
    if (env.reload_url.empty()) {
      spdlog::info("event=item_images_written items={} note=\"reco serve reads them at its next "
                   "reload; set MODEL_RELOAD_URL to tell it at once\"",
                   report.changed.size());
      return Status::Ok();
    }
    RECO_ASSIGN_OR_RETURN(int status, env.post(env.reload_url, "", env.reload_token));
    if (status / 100 != 2) {
      return Unavailable("item_images wrote " + std::to_string(report.changed.size()) +
                         " vectors, but " + env.reload_url + " answered HTTP " +
                         std::to_string(status));
    }
    return Status::Ok();
  };
  SchedulerOptions options = SchedulerOptionsFromConfig(config.worker);
  options.holder = holder;
  options.metrics = metrics;
  options.lock_cache = lock.cache;
  options.lock_name = lock.name;
  return Scheduler::Create(DefaultJobSpecs(config.worker, catalog), store, clock, options);
}

}  // namespace reco::app
