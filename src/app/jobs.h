// The scheduler of a process and its jobs, built in one place for `reco serve` (jobs in-process,
// reloading this server's models) and `reco worker` (jobs in a process of their own, telling the
// server through pipeline.reload_url): the built-in jobs of scheduler/default_jobs.h, with `train`
// as a whole pipeline run (extract ... publish).
//
// Lifetime: the schedulers borrow the store, clock and (serve) models and profiles, which must
// outlive them; the configuration is copied where a job needs it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "scheduler/scheduler.h"
#include "serving/content_index.h"
#include "serving/model_manager.h"
#include "serving/user_profiles.h"
#include "store/store.h"

namespace reco::app {

// Leadership through the shared cache's lock (cache.url) instead of the store's lease.
struct CacheLeaderLock {
  Cache* cache = nullptr;  // null: the store's lease
  std::string name;        // the lock's full name, CacheKeys(tenant).lock("scheduler")
  // reco worker: where a train run that published a new version tells the replicas
  // (CacheKeys(tenant).models_channel()); "" = nobody.
  std::string models_channel;
};

// reco serve: user_profiles refreshes this server's user histories; a train, item_vectors or
// precompute run that succeeds reloads the serving models. The scheduler takes the leader lease
// only with worker.in_serve (otherwise it lists jobs and queues manual runs for a worker).
// `metrics` (may be null) receives the scheduler_* and pipeline_* metrics of its runs. The items
// an item_images run rewrote are applied to `content` (may be null) at once.
Result<std::unique_ptr<Scheduler>> MakeServeScheduler(const RecoConfig& config,
                                                      const std::filesystem::path& data_dir,
                                                      Store& store, ModelManager& models,
                                                      UserProfiles& profiles, const Clock& clock,
                                                      MetricsRegistry* metrics = nullptr,
                                                      const CacheLeaderLock& lock = {},
                                                      ContentIndexes* content = nullptr);

// reco worker: user_profiles asks the server at pipeline.reload_url to reload (which refreshes
// its user histories), and so does an item_images run that wrote vectors (the reload rebuilds
// the server's content indexes); `holder` names this worker in the leader lease ("" = host:pid).
Result<std::unique_ptr<Scheduler>> MakeWorkerScheduler(const RecoConfig& config,
                                                       const std::filesystem::path& data_dir,
                                                       Store& store, const Clock& clock,
                                                       const std::string& holder,
                                                       MetricsRegistry* metrics = nullptr,
                                                       const CacheLeaderLock& lock = {});

}  // namespace reco::app
