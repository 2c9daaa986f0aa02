// ModelService: the serving model versions for every transport — reload a version as primary,
// canary or shadow (counted in model_reloads_total by result), what is serving now, and the
// read side of the run tracker and model registry in the data dir.
//
// Thread-safety: safe from any number of request threads (ModelManager serialises reloads; the
// registry and runs are files read per call). Lifetime: borrows the ModelManager, Rollout (may
// be null), MetricsRegistry and Clock, which must outlive it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "serving/bundle.h"
#include "serving/model_manager.h"
#include "serving/rollout.h"

namespace reco::service {

// One serving variant: its bundle (null when the variant is not active) and its rollout
// fraction (1 for the primary).
struct ServingVersion {
  std::shared_ptr<const ModelBundle> bundle;
  double rollout = 0;
};

struct ServingVersions {
  ServingVersion primary;
  ServingVersion canary;
  ServingVersion shadow;
};

// Put a registered version in a role: "production" (served as the primary), "canary" (a hash
// fraction `rollout` of users) or "shadow" (scored and logged only).
struct PromoteRequest {
  std::string run_id;
  std::string alias;
  double rollout = 0.1;  // canary / shadow
};

struct ListRunsRequest {
  int limit = 100;  // the newest `limit` runs
};

struct RunList {
  std::vector<registry::RunRecord> runs;  // oldest first
  std::vector<std::string> problems;      // run files that did not parse
};

class ModelService {
 public:
  // `data_dir` holds runs/ and models/model_registry.json; empty = no registry reads
  // (Unavailable).
  ModelService(ModelManager& models, Rollout* rollout, MetricsRegistry& metrics,
               std::filesystem::path data_dir, const Clock& clock);

  // Loads the version `request` names and swaps it in (ModelManager::Reload); the current
  // models keep serving when it fails. Counts model_reloads_total{result=ok|rejected|failed}.
  Result<ReloadReport> Reload(const ReloadRequest& request);
  // Called after each change of the serving models made through this service (Reload,
  // Promote, Rollback, Withdraw; not FollowRegistry), e.g. to tell the other replicas. Set it
  // before the service is used.
  void SetOnServingChanged(std::function<void()> on_changed);
  // A reload request the transport could not read: counted as a failed reload.
  void CountUnreadableReload();

  // Serves `request.run_id` in the role of its alias; the registry alias moves with it (the old
  // production becomes previous). InvalidArgument naming "run_id", "alias" or "rollout"; the
  // reload's errors (the current models keep serving).
  Result<ReloadReport> Promote(const PromoteRequest& request);
  // Production goes back to `run_id`, or to the version aliased previous when it is empty
  // (FailedPrecondition when there is none), and is served as the primary.
  Result<ReloadReport> Rollback(std::string_view run_id);
  // Stops serving the "canary" or "shadow" and removes its alias.
  Status Withdraw(std::string_view alias);

  // Brings this process in line with the registry when another process changed it (a second
  // replica, `reco models rollback`, a pipeline run elsewhere): reloads the primary when the
  // production alias names another version than the one serving, and stops serving a canary
  // the registry no longer names. Returns the primary's reload report, nullopt when the primary
  // was already production. A version that fails to load is reported once, then skipped until
  // the registry changes again.
  Result<std::optional<ReloadReport>> FollowRegistry();

  ServingVersions Serving() const;
  // Brings reco_model_version_info up to date (call before rendering the metrics).
  void SyncVersionInfo();

  Result<registry::RegistryContents> Registry() const;
  Result<RunList> ListRuns(const ListRunsRequest& request) const;
  Result<registry::RunRecord> GetRun(std::string_view run_id) const;
  // The data directory it was built with ("" when none).
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  Status CheckDataDir() const;
  // Reload without announcing it (counted in model_reloads_total).
  Result<ReloadReport> ReloadCounted(const ReloadRequest& request);

  ModelManager& models_;
  std::mutex follow_mu_;
  std::filesystem::file_time_type followed_mtime_{};  // the registry file last looked at
  std::string follow_failed_run_;                    // production run that failed to load
  Rollout* rollout_;
  CounterFamily* reloads_;
  std::filesystem::path data_dir_;
  const Clock& clock_;
  std::function<void()> on_changed_;
};

}  // namespace reco::service
