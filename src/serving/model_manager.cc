#include "serving/model_manager.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "models/model_files.h"

namespace reco {

ModelManager::ModelManager(std::filesystem::path models_dir, OnlineState& state, const Clock& clock,
                           std::function<void(const ReloadReport&)> on_loaded)
    : models_dir_(std::move(models_dir)),
      state_(state),
      clock_(clock),
      on_loaded_(std::move(on_loaded)) {}

bool ModelManager::models_loaded() const {
  auto bundle = bundles_.Get();
  return bundle != nullptr && !bundle->empty();
}

Result<ReloadReport> ModelManager::Reload(bool fail_on_rejected) {
  std::lock_guard lock(reload_mu_);
  auto start = std::chrono::steady_clock::now();
  Result<ModelSet> loaded = LoadNewestModels(models_dir_);
  if (!loaded.ok())
    return loaded.status().WithPrefix("loading models from " + models_dir_.string());
  ModelSet& set = *loaded;
  ReloadReport report;
  report.rejected = set.rejected;
  if (!set.rejected.empty() && fail_on_rejected) {
    std::string msg = "model file rejected, still serving the previous models: ";
    for (size_t i = 0; i < set.rejected.size(); ++i) msg += (i ? "; " : "") + set.rejected[i];
    return DataLoss(msg);
  }
  if (!set.popularity && !set.latest && !set.itemcf) {
    return FailedPrecondition("no valid model file in " + models_dir_.string() +
                              " (run `reco train --data-dir DIR` first)");
  }
  report.loaded_at = clock_.NowMicros();
  std::shared_ptr<const ModelBundle> bundle = ModelBundle::Build(set, state_, report.loaded_at);
  bundles_.Set(bundle);
  report.snapshot_id = set.snapshot_id;
  report.created = set.created;
  report.files = set.files;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("models loaded snapshot={} files={} seconds={:.3f}", report.snapshot_id,
               report.files.size(), report.seconds);
  if (on_loaded_) on_loaded_(report);
  return report;
}

}  // namespace reco
