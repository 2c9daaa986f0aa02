#include "service/model_service.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace reco::service {

ModelService::ModelService(ModelManager& models, Rollout* rollout, MetricsRegistry& metrics,
                           std::filesystem::path data_dir, const Clock& clock)
    : models_(models),
      rollout_(rollout),
      reloads_(metrics.AddCounter("model_reloads_total",
                                  "Model reloads by result (ok, rejected, failed).", {"result"})),
      data_dir_(std::move(data_dir)),
      clock_(clock) {}

void ModelService::SetOnServingChanged(std::function<void()> on_changed) {
  on_changed_ = std::move(on_changed);
}

Result<ReloadReport> ModelService::Reload(const ReloadRequest& request) {
  Result<ReloadReport> report = ReloadCounted(request);
  if (report.ok() && on_changed_) on_changed_();
  return report;
}

Result<ReloadReport> ModelService::ReloadCounted(const ReloadRequest& request) {
  Result<ReloadReport> report = models_.Reload(request);
  if (!report.ok()) {
    // DataLoss: a file or version failed its checks; anything else did not get that far.
    const bool rejected = report.status().code() == StatusCode::kDataLoss;
    reloads_->WithLabels({rejected ? "rejected" : "failed"})->Inc();
    spdlog::warn("event=model_reload_failed mode={} run_id={} reason=\"{}\"",
                 VariantName(request.mode), request.run_id, report.status().ToString());
    return report;
  }
  reloads_->WithLabels({"ok"})->Inc();
  return report;
}

Result<ReloadReport> ModelService::Promote(const PromoteRequest& request) {
  if (request.run_id.empty()) return InvalidArgument("run_id is required", "run_id");
  ReloadRequest reload{.run_id = request.run_id, .rollout = request.rollout};
  if (request.alias == registry::kProduction) {
    reload.mode = ServingVariant::kPrimary;
  } else if (request.alias == registry::kCanary) {
    reload.mode = ServingVariant::kCanary;
  } else if (request.alias == registry::kShadow) {
    reload.mode = ServingVariant::kShadow;
  } else {
    return InvalidArgument("alias must be \"production\", \"canary\" or \"shadow\", got \"" +
                               request.alias.substr(0, 32) + "\"",
                           "alias");
  }
  Result<ReloadReport> report = Reload(reload);
  if (report.ok()) {
    spdlog::info("event=model_promoted run_id={} alias={}", request.run_id, request.alias);
  }
  return report;
}

Result<ReloadReport> ModelService::Rollback(std::string_view run_id) {
  RECO_RETURN_IF_ERROR(CheckDataDir());
  std::string target(run_id);
  if (target.empty()) {
    Result<registry::ModelVersion> previous =
        registry::ModelRegistry(data_dir_, clock_).Resolve(registry::kPrevious);
    if (!previous.ok()) {
      return FailedPrecondition("nothing to roll back to: " + previous.status().message());
    }
    target = previous->run_id;
  }
  Result<ReloadReport> report = Reload({.run_id = target, .mode = ServingVariant::kPrimary});
  if (report.ok()) spdlog::warn("event=model_rolled_back run_id={}", target);
  return report;
}

Status ModelService::Withdraw(std::string_view alias) {
  Status st = InvalidArgument("alias must be \"canary\" or \"shadow\"", "alias");
  if (alias == registry::kCanary) st = models_.Withdraw(ServingVariant::kCanary, "operator");
  if (alias == registry::kShadow) st = models_.Withdraw(ServingVariant::kShadow, "operator");
  if (st.ok() && on_changed_) on_changed_();
  return st;
}

Result<std::optional<ReloadReport>> ModelService::FollowRegistry() {
  std::lock_guard<std::mutex> lock(follow_mu_);
  if (data_dir_.empty()) return std::optional<ReloadReport>();
  registry::ModelRegistry registry(data_dir_, clock_);
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(registry.registry_path(), ec);
  if (ec || mtime == followed_mtime_) return std::optional<ReloadReport>();
  Result<registry::RegistryContents> contents = registry.Load();
  if (!contents.ok()) return contents.status();
  followed_mtime_ = mtime;
  if (std::shared_ptr<const ModelBundle> canary = models_.canary_bundles().Get()) {
    const registry::ModelVersion* aliased = contents->WithAlias(registry::kCanary);
    if (aliased == nullptr || aliased->run_id != canary->run_id()) {
      RECO_RETURN_IF_ERROR(
          models_.Withdraw(ServingVariant::kCanary, "the registry no longer names it canary"));
    }
  }
  const registry::ModelVersion* production = contents->WithAlias(registry::kProduction);
  std::shared_ptr<const ModelBundle> primary = models_.bundles().Get();
  if (production == nullptr || (primary != nullptr && primary->run_id() == production->run_id) ||
      production->run_id == follow_failed_run_) {
    return std::optional<ReloadReport>();
  }
  spdlog::info("event=registry_changed production={} serving={}", production->run_id,
               primary == nullptr ? "" : primary->run_id());
  // Not announced: following is what the other processes do themselves.
  Result<ReloadReport> report = ReloadCounted(ReloadRequest{});  // the primary: production
  if (!report.ok()) {
    follow_failed_run_ = production->run_id;
    return report.status();
  }
  follow_failed_run_.clear();
  return std::optional<ReloadReport>(std::move(*report));
}

void ModelService::CountUnreadableReload() { reloads_->WithLabels({"failed"})->Inc(); }

ServingVersions ModelService::Serving() const {
  return {.primary = {models_.bundles().Get(), 1.0},
          .canary = {models_.canary_bundles().Get(), models_.canary_rollout()},
          .shadow = {models_.shadow_bundles().Get(), models_.shadow_rollout()}};
}

void ModelService::SyncVersionInfo() {
  if (rollout_ != nullptr) rollout_->SyncVersionInfo();
}

Status ModelService::CheckDataDir() const {
  if (!data_dir_.empty()) return Status::Ok();
  return Unavailable(
      "the server has no data directory: runs and the model registry are unavailable");
}

Result<registry::RegistryContents> ModelService::Registry() const {
  RECO_RETURN_IF_ERROR(CheckDataDir());
  return registry::ModelRegistry(data_dir_, clock_).Load();
}

Result<RunList> ModelService::ListRuns(const ListRunsRequest& request) const {
  RECO_RETURN_IF_ERROR(CheckDataDir());
  RunList list;
  RECO_ASSIGN_OR_RETURN(list.runs, registry::RunTracker(data_dir_, clock_).List(&list.problems));
  const size_t limit = request.limit > 0 ? static_cast<size_t>(request.limit) : 0;
  if (list.runs.size() > limit) {
    list.runs.erase(list.runs.begin(), list.runs.end() - static_cast<std::ptrdiff_t>(limit));
  }
  return list;
}

Result<registry::RunRecord> ModelService::GetRun(std::string_view run_id) const {
  RECO_RETURN_IF_ERROR(CheckDataDir());
  return registry::RunTracker(data_dir_, clock_).Get(run_id);
}

}  // namespace reco::service
