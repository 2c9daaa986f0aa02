// ModelManager: loads the newest valid model files of a models directory into a ModelBundle
// and swaps it in atomically (start-up and POST /models/reload). A reload that fails — no valid
// file, or a newest file that is corrupt or truncated — keeps the current bundle serving and
// returns an error naming the file and the reason.
//
// Thread-safety: Reload() calls are serialised by an internal mutex; readers use
// bundles().Get() concurrently with reloads. Lifetime: borrows the OnlineState.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "serving/bundle.h"
#include "serving/online_state.h"

namespace reco {

struct ReloadReport {
  std::string snapshot_id;
  TimestampUs created = 0;
  TimestampUs loaded_at = 0;
  std::vector<std::string> files;
  std::vector<std::string> rejected;  // "<path>: <reason>"
  double seconds = 0;
};

class ModelManager {
 public:
  // `on_loaded` runs after each successful swap (e.g. to set model_loaded_timestamp_seconds).
  ModelManager(std::filesystem::path models_dir, OnlineState& state, const Clock& clock,
               std::function<void(const ReloadReport&)> on_loaded = {});

  // Loads and swaps. Errors: FailedPrecondition when the directory holds no valid model;
  // DataLoss when a file newer than the ones that load was rejected and `fail_on_rejected`
  // (the bundle is not swapped in either case). Start-up passes false: it serves the newest
  // valid files and logs the rejected ones.
  Result<ReloadReport> Reload(bool fail_on_rejected = true);

  const BundleHolder& bundles() const { return bundles_; }
  bool models_loaded() const;
  const std::filesystem::path& models_dir() const { return models_dir_; }

 private:
  std::filesystem::path models_dir_;
  OnlineState& state_;
  const Clock& clock_;
  std::function<void(const ReloadReport&)> on_loaded_;
  std::mutex reload_mu_;
  BundleHolder bundles_;
};

}  // namespace reco
