#include "serving/model_manager.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "models/model_files.h"
#include "registry/model_registry.h"

namespace reco {
namespace {

std::string_view AliasOf(ServingVariant variant) {
  switch (variant) {
    case ServingVariant::kCanary:
      return registry::kCanary;
    case ServingVariant::kShadow:
      return registry::kShadow;
    case ServingVariant::kPrimary:
    case ServingVariant::kExperiment:
      break;
  }
  return registry::kProduction;
}

}  // namespace

std::string_view VariantName(ServingVariant variant) {
  switch (variant) {
    case ServingVariant::kCanary:
      return "canary";
    case ServingVariant::kShadow:
      return "shadow";
    case ServingVariant::kExperiment:
      return "experiment";
    case ServingVariant::kPrimary:
      break;
  }
  return "primary";
}

Result<ServingVariant> ParseVariant(std::string_view mode) {
  for (ServingVariant v :
       {ServingVariant::kPrimary, ServingVariant::kCanary, ServingVariant::kShadow}) {
    if (mode == VariantName(v)) return v;
  }
  return InvalidArgument(
      "mode must be \"primary\", \"canary\" or \"shadow\", got \"" + std::string(mode) + "\"",
      "mode");
}

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

std::filesystem::path ModelManager::registry_path() const {
  return registry::ModelRegistry(data_dir(), clock_).registry_path();
}

Result<ReloadReport> ModelManager::Reload(bool fail_on_rejected) {
  std::lock_guard lock(reload_mu_);
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!std::filesystem::exists(registry_path(), ec)) return ReloadNewest(fail_on_rejected);
  Result<registry::RegistryContents> contents = registry::ModelRegistry(data_dir(), clock_).Load();
  Status problem;
  if (!contents.ok()) {
    problem = contents.status();
  } else if (const registry::ModelVersion* production =
                 contents->WithAlias(registry::kProduction)) {
    Result<ModelSet> set = LoadVersion(production->run_id);
    if (set.ok()) {
      DropVariantsOf(production->run_id);
      ReloadReport report = Install(std::move(set).value(), ServingVariant::kPrimary, 1.0, start);
      report.selected_by = "production";
      return report;
    }
    problem = set.status().WithPrefix("production version " + production->run_id +
                                      " rejected, still serving the previous models");
  } else {
    return ReloadNewest(fail_on_rejected);
  }
  if (fail_on_rejected) return problem;
  // Start-up: better the newest files than no models at all.
  spdlog::warn("event=registry_version_rejected reason=\"{}\" fallback=newest_files",
               problem.ToString());
  Result<ReloadReport> report = ReloadNewest(false);
  if (report.ok()) report->rejected.push_back(problem.ToString());
  return report;
}

Result<ReloadReport> ModelManager::ReloadNewest(bool fail_on_rejected) {
  auto start = std::chrono::steady_clock::now();
  Result<ModelSet> loaded = LoadNewestModels(models_dir_);
  if (!loaded.ok())
    return loaded.status().WithPrefix("loading models from " + models_dir_.string());
  ModelSet& set = *loaded;
  if (!set.rejected.empty() && fail_on_rejected) {
    std::string msg = "model file rejected, still serving the previous models: ";
    for (size_t i = 0; i < set.rejected.size(); ++i) msg += (i ? "; " : "") + set.rejected[i];
    return DataLoss(msg);
  }
  if (!set.popularity && !set.latest && !set.itemcf) {
    return FailedPrecondition("no valid model file in " + models_dir_.string() +
                              " (run `reco train --data-dir DIR` first)");
  }
  std::vector<std::string> rejected = set.rejected;
  ReloadReport report = Install(std::move(set), ServingVariant::kPrimary, 1.0, start);
  report.rejected = std::move(rejected);
  report.selected_by = "newest_files";
  return report;
}

Result<ReloadReport> ModelManager::Reload(const ReloadRequest& request) {
  if (request.mode == ServingVariant::kPrimary && request.run_id.empty()) return Reload(true);
  if (request.mode != ServingVariant::kPrimary &&
      !(std::isfinite(request.rollout) && request.rollout > 0 && request.rollout <= 1)) {
    return InvalidArgument("rollout must be a number in (0, 1] for mode " +
                               std::string(VariantName(request.mode)) + ", got " +
                               std::to_string(request.rollout),
                           "rollout");
  }
  if (!request.run_id.empty()) RECO_RETURN_IF_ERROR(registry::ValidateRunId(request.run_id));
  std::lock_guard lock(reload_mu_);
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!std::filesystem::exists(registry_path(), ec)) {
    return NotFound("no model registry at " + registry_path().string() +
                    ": a reload with a run_id or mode canary/shadow needs registered model "
                    "versions");
  }
  registry::ModelRegistry registry(data_dir(), clock_);
  const std::string_view alias = AliasOf(request.mode);
  std::string run_id = request.run_id;
  if (run_id.empty()) {  // canary / shadow: the newest candidate (primary returned above)
    RECO_ASSIGN_OR_RETURN(registry::ModelVersion candidate, registry.NewestNotProduction());
    run_id = candidate.run_id;
  }
  RECO_ASSIGN_OR_RETURN(ModelSet set, LoadVersion(run_id));
  RECO_RETURN_IF_ERROR(registry.Promote(run_id, alias).status());
  if (request.mode == ServingVariant::kPrimary) DropVariantsOf(run_id);
  double rollout = request.mode == ServingVariant::kPrimary ? 1.0 : request.rollout;
  ReloadReport report = Install(std::move(set), request.mode, rollout, start);
  report.selected_by = request.run_id.empty() ? "newest_not_production" : "run_id";
  SaveServingState();
  return report;
}

void ModelManager::SaveServingState() {
  JsonWriter w;
  w.BeginObject();
  for (ServingVariant v : {ServingVariant::kCanary, ServingVariant::kShadow}) {
    auto bundle = (v == ServingVariant::kCanary ? canary_ : shadow_).Get();
    w.Key(VariantName(v));
    if (bundle == nullptr || bundle->run_id().empty()) {
      w.Null();
      continue;
    }
    w.BeginObject().Key("run_id").String(bundle->run_id());
    w.Key("rollout").Double(v == ServingVariant::kCanary ? canary_rollout() : shadow_rollout());
    w.EndObject();
  }
  w.EndObject();
  if (Status st = WriteFileAtomic(serving_state_path(), w.str() + "\n"); !st.ok()) {
    spdlog::warn("event=serving_state_write_failed file={} reason=\"{}\"",
                 serving_state_path().string(), st.ToString());
  }
}

int ModelManager::RestoreVariants() {
  Result<std::string> text = ReadFile(serving_state_path());
  if (!text.ok()) return 0;  // never written: nothing to restore
  simdjson::dom::parser parser;
  simdjson::dom::object state;
  if (parser.parse(*text).get_object().get(state) != simdjson::SUCCESS) {
    spdlog::warn("event=serving_state_unreadable file={}", serving_state_path().string());
    return 0;
  }
  int restored = 0;
  for (ServingVariant v : {ServingVariant::kCanary, ServingVariant::kShadow}) {
    simdjson::dom::object entry;
    std::string_view run_id;
    double rollout = 0;
    if (state[VariantName(v)].get_object().get(entry) != simdjson::SUCCESS ||
        entry["run_id"].get_string().get(run_id) != simdjson::SUCCESS ||
        entry["rollout"].get_double().get(rollout) != simdjson::SUCCESS) {
      continue;
    }
    Result<registry::ModelVersion> aliased =
        registry::ModelRegistry(data_dir(), clock_).Resolve(AliasOf(v));
    if (!aliased.ok() || aliased->run_id != run_id) {
      spdlog::warn(
          "event=variant_not_restored variant={} run_id={} reason=\"the registry no "
          "longer gives it the alias\"",
          VariantName(v), run_id);
      continue;
    }
    Result<ReloadReport> report =
        Reload(ReloadRequest{.run_id = std::string(run_id), .mode = v, .rollout = rollout});
    if (!report.ok()) {
      spdlog::warn("event=variant_not_restored variant={} run_id={} reason=\"{}\"", VariantName(v),
                   run_id, report.status().ToString());
      continue;
    }
    ++restored;
  }
  return restored;
}

Result<ModelSet> ModelManager::LoadVersion(std::string_view run_id) {
  registry::ModelRegistry registry(data_dir(), clock_);
  RECO_ASSIGN_OR_RETURN(registry::ModelVersion version, registry.Get(run_id));
  if (Status verified = registry.VerifyArtifacts(version); !verified.ok()) {
    spdlog::warn("event=model_version_rejected run_id={} reason=\"{}\"", version.run_id,
                 verified.ToString());
    return verified;
  }
  std::vector<std::filesystem::path> paths;
  for (const registry::RunArtifact& artifact : version.artifacts) {
    paths.push_back(registry.ArtifactPath(artifact));
  }
  Result<ModelSet> set = LoadModelFiles(paths);
  if (!set.ok()) return set.status().WithPrefix("model version " + version.run_id);
  set->run_id = version.run_id;
  return set;
}

Result<std::shared_ptr<const ModelBundle>> ModelManager::LoadVersionBundle(
    std::string_view run_id) {
  RECO_ASSIGN_OR_RETURN(ModelSet set, LoadVersion(run_id));
  std::shared_ptr<const ModelBundle> bundle = ModelBundle::Build(set, state_, clock_.NowMicros());
  spdlog::info("event=model_version_loaded run_id={} files={} role=experiment", set.run_id,
               set.files.size());
  return bundle;
}

ReloadReport ModelManager::Install(ModelSet set, ServingVariant variant, double rollout,
                                   std::chrono::steady_clock::time_point start) {
  ReloadReport report;
  report.loaded_at = clock_.NowMicros();
  std::shared_ptr<const ModelBundle> bundle = ModelBundle::Build(set, state_, report.loaded_at);
  switch (variant) {
    case ServingVariant::kPrimary:
      bundles_.Set(bundle);
      break;
    case ServingVariant::kCanary:
      canary_.Set(bundle);
      canary_rollout_.store(rollout, std::memory_order_release);
      break;
    case ServingVariant::kShadow:
      shadow_.Set(bundle);
      shadow_rollout_.store(rollout, std::memory_order_release);
      break;
    case ServingVariant::kExperiment:  // never installed (LoadVersionBundle)
      break;
  }
  report.snapshot_id = set.snapshot_id;
  report.created = set.created;
  report.files = std::move(set.files);
  report.run_id = set.run_id;
  report.variant = variant;
  report.rollout = rollout;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("models loaded variant={} run_id={} rollout={} snapshot={} files={} seconds={:.3f}",
               VariantName(variant), report.run_id, rollout, report.snapshot_id,
               report.files.size(), report.seconds);
  if (on_loaded_ && variant == ServingVariant::kPrimary) on_loaded_(report);
  return report;
}

void ModelManager::DropVariantsOf(const std::string& run_id) {
  bool changed = false;
  if (auto canary = canary_.Get(); canary != nullptr && canary->run_id() == run_id) {
    canary_rollout_.store(0, std::memory_order_release);
    canary_.Set(nullptr);
    changed = true;
  }
  if (auto shadow = shadow_.Get(); shadow != nullptr && shadow->run_id() == run_id) {
    shadow_rollout_.store(0, std::memory_order_release);
    shadow_.Set(nullptr);
    changed = true;
  }
  if (changed) SaveServingState();
}

Status ModelManager::Withdraw(ServingVariant variant, std::string_view reason) {
  if (variant == ServingVariant::kPrimary) {
    return InvalidArgument("the primary version cannot be withdrawn, only replaced", "alias");
  }
  const bool canary = variant == ServingVariant::kCanary;
  BundleHolder& holder = canary ? canary_ : shadow_;
  std::lock_guard lock(reload_mu_);
  std::shared_ptr<const ModelBundle> bundle = holder.Get();
  if (bundle == nullptr) return Status::Ok();
  (canary ? canary_rollout_ : shadow_rollout_).store(0, std::memory_order_release);
  holder.Set(nullptr);
  SaveServingState();
  spdlog::warn("event={}_withdrawn run_id={} reason=\"{}\"", VariantName(variant),
               bundle->version_label(), reason);
  std::error_code ec;
  if (bundle->run_id().empty() || !std::filesystem::exists(registry_path(), ec)) {
    return Status::Ok();
  }
  const std::string_view alias = canary ? registry::kCanary : registry::kShadow;
  registry::ModelRegistry registry(data_dir(), clock_);
  Result<registry::ModelVersion> aliased = registry.Resolve(alias);
  if (!aliased.ok() || aliased->run_id != bundle->run_id()) return Status::Ok();
  return registry.ClearAlias(alias);
}

}  // namespace reco
