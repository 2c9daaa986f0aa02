// ModelManager: loads model versions into ModelBundles and swaps them in atomically (start-up
// and POST /models/reload). With DATA_DIR/models/model_registry.json holding a `production`
// version, the primary bundle is that version's artifact files (verified against their sha256
// first); without one, the newest valid files of the models directory. Besides the primary it
// holds an optional canary (served to a hash fraction of users) and shadow (scored and logged,
// never served), each with its rollout fraction. A reload that fails keeps the current bundle
// serving and returns an error naming the file and the reason. The active canary and shadow
// (run id and rollout) are kept in DATA_DIR/models/serving_state.json so that a restart can
// resume them (RestoreVariants).
//
// Thread-safety: Reload()/WithdrawCanary() calls are serialised by an internal mutex; readers
// use bundles()/canary_bundles()/shadow_bundles().Get() and the rollout fractions concurrently
// with reloads. Lifetime: borrows the OnlineState and the Clock.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "serving/bundle.h"
#include "serving/online_state.h"

namespace reco {

// kExperiment: a model version an A/B experiment's variant names, served to that variant's users
// (service/recommend_service.h); never a reload mode.
enum class ServingVariant { kPrimary, kCanary, kShadow, kExperiment };

// "primary", "canary", "shadow", "experiment".
std::string_view VariantName(ServingVariant variant);
// Parses a reload body's "mode"; InvalidArgument naming the field "mode" otherwise.
Result<ServingVariant> ParseVariant(std::string_view mode);

struct ReloadRequest {
  // Registered run to load. "" = primary: the production version (the newest files when there
  // is no registry or no production version); canary / shadow: the newest registered
  // version that is not production.
  std::string run_id;
  ServingVariant mode = ServingVariant::kPrimary;
  double rollout = 0.1;  // canary / shadow: fraction of users / requests, in (0, 1]
};

struct ReloadReport {
  std::string snapshot_id;
  TimestampUs created = 0;
  TimestampUs loaded_at = 0;
  std::vector<std::string> files;
  std::vector<std::string> rejected;  // "<path>: <reason>"
  double seconds = 0;
  std::string run_id;  // "" when the newest files were loaded
  // How the version was chosen: "run_id" (named by the request), "production",
  // "newest_not_production" (canary / shadow without a run id) or "newest_files".
  std::string selected_by;
  ServingVariant variant = ServingVariant::kPrimary;
  double rollout = 1.0;
};

class ModelManager {
 public:
  // `on_loaded` runs after each successful swap (e.g. to set model_loaded_timestamp_seconds).
  // The registry is looked for in models_dir's parent (the data dir).
  ModelManager(std::filesystem::path models_dir, OnlineState& state, const Clock& clock,
               std::function<void(const ReloadReport&)> on_loaded = {});

  // Reloads the primary: the registry's production version when there is one, otherwise the
  // newest files. Errors: FailedPrecondition when the directory holds no valid model;
  // DataLoss when a file newer than the ones that load was rejected and `fail_on_rejected`, or
  // when the production version's artifacts fail their sha256 check (the bundle is not swapped
  // in either case). Start-up passes false: it serves the newest valid files and logs the
  // rejected ones, also when the registry cannot be read.
  Result<ReloadReport> Reload(bool fail_on_rejected = true);
  // POST /models/reload with a body. primary + run_id: loads the version and makes it the
  // registry's production; canary / shadow: loads the version (run_id, else the newest
  // registered version that is not production) and puts the alias on it. Errors:
  // InvalidArgument naming "rollout" or "run_id", NotFound for an unknown run, without a
  // registry, or when no version but production is registered; FailedPrecondition when the run
  // is already production and asked as canary/shadow, the registry's verify errors.
  Result<ReloadReport> Reload(const ReloadRequest& request);
  // Stops serving the canary and clears the registry alias "canary" (when the registry still
  // gives it to the withdrawn run). Ok when no canary is active. Errors are the registry's;
  // the canary stops being served in any case.
  Status WithdrawCanary(std::string_view reason) { return Withdraw(ServingVariant::kCanary, reason); }
  // The same for the canary or the shadow (InvalidArgument naming "alias" for the primary).
  Status Withdraw(ServingVariant variant, std::string_view reason);
  // Start-up: reloads the canary and shadow named in serving_state.json when the registry still
  // gives them their alias. Problems are logged and skipped; returns how many were restored.
  int RestoreVariants();
  // Verifies and loads the registered version `run_id` into a bundle of its own, without
  // serving it in any role (A/B experiments' model versions, serving/version_bundles.h).
  // Errors: NotFound for an unknown run or without a registry, the verify and load errors.
  Result<std::shared_ptr<const ModelBundle>> LoadVersionBundle(std::string_view run_id);

  const BundleHolder& bundles() const { return bundles_; }
  const BundleHolder& canary_bundles() const { return canary_; }
  const BundleHolder& shadow_bundles() const { return shadow_; }
  // Fractions in [0, 1]; 0 when the variant is not active.
  double canary_rollout() const { return canary_rollout_.load(std::memory_order_acquire); }
  double shadow_rollout() const { return shadow_rollout_.load(std::memory_order_acquire); }
  bool models_loaded() const;
  const std::filesystem::path& models_dir() const { return models_dir_; }
  std::filesystem::path data_dir() const { return models_dir_.parent_path(); }
  std::filesystem::path registry_path() const;
  std::filesystem::path serving_state_path() const { return models_dir_ / "serving_state.json"; }

 private:
  Result<ReloadReport> ReloadNewest(bool fail_on_rejected);
  // Verifies and loads the registered version `run_id` (the registry file must exist).
  Result<ModelSet> LoadVersion(std::string_view run_id);
  // Swaps `set` into the holder of `variant` and fills the report.
  ReloadReport Install(ModelSet set, ServingVariant variant, double rollout,
                       std::chrono::steady_clock::time_point start);
  // Ends the canary/shadow role in memory of a run that became production.
  void DropVariantsOf(const std::string& run_id);
  // Writes serving_state.json from the holders (under reload_mu_); failures are logged.
  void SaveServingState();

  std::filesystem::path models_dir_;
  OnlineState& state_;
  const Clock& clock_;
  std::function<void(const ReloadReport&)> on_loaded_;
  std::mutex reload_mu_;
  BundleHolder bundles_;
  BundleHolder canary_;
  BundleHolder shadow_;
  std::atomic<double> canary_rollout_{0};
  std::atomic<double> shadow_rollout_{0};
};

}  // namespace reco
