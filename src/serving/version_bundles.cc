#include "serving/version_bundles.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace reco {

VersionBundles::VersionBundles(Loader loader, const Clock& clock, MetricsRegistry* metrics,
                               VersionBundlesOptions options)
    : loader_(std::move(loader)), clock_(clock), options_(options) {
  if (metrics != nullptr) {
    unavailable_ = metrics->AddCounter(
        "experiment_model_version_unavailable_total",
        "Requests of an A/B experiment's model-version variant served by the primary because "
        "the version could not be loaded, by run id.",
        {"run_id"});
  }
}

std::optional<Result<std::shared_ptr<const ModelBundle>>> VersionBundles::Cached(
    std::string_view run_id) const {
  auto it = entries_.find(run_id);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.bundle != nullptr) return Result<std::shared_ptr<const ModelBundle>>(e.bundle);
  if (clock_.NowMicros() < e.at + options_.retry_after) {
    return Result<std::shared_ptr<const ModelBundle>>(e.error);
  }
  return std::nullopt;
}

Result<std::shared_ptr<const ModelBundle>> VersionBundles::Get(std::string_view run_id) {
  return Load(run_id, /*count=*/true);
}

void VersionBundles::Prepare(std::span<const std::string> versions) {
  Retain(versions);
  for (const std::string& run_id : versions) (void)Load(run_id, /*count=*/false);
}

Result<std::shared_ptr<const ModelBundle>> VersionBundles::Load(std::string_view run_id,
                                                                bool count) {
  auto answer = [&](Result<std::shared_ptr<const ModelBundle>> cached) {
    if (!cached.ok() && count) return Fail(run_id, cached.status());
    return cached;
  };
  {
    std::lock_guard lock(mu_);
    if (auto cached = Cached(run_id)) return answer(*std::move(cached));
  }
  std::lock_guard load(load_mu_);
  {
    std::lock_guard lock(mu_);  // another request may have loaded it meanwhile
    if (auto cached = Cached(run_id)) return answer(*std::move(cached));
  }
  Result<std::shared_ptr<const ModelBundle>> loaded = loader_(run_id);
  Entry entry{.at = clock_.NowMicros()};
  if (loaded.ok() && *loaded == nullptr) loaded = Internal("the loader returned no bundle");
  if (loaded.ok()) {
    entry.bundle = *loaded;
  } else {
    entry.error = loaded.status().WithPrefix("experiment model version " + std::string(run_id));
    spdlog::warn("event=experiment_version_unavailable run_id={} reason=\"{}\"", run_id,
                 entry.error.ToString());
  }
  Status error = entry.error;
  {
    std::lock_guard lock(mu_);
    entries_.insert_or_assign(std::string(run_id), std::move(entry));
    EvictOldest();
  }
  if (!error.ok()) return answer(std::move(error));
  return loaded;
}

Result<std::shared_ptr<const ModelBundle>> VersionBundles::Fail(std::string_view run_id,
                                                                Status error) {
  if (unavailable_ != nullptr) unavailable_->WithLabels({std::string(run_id)})->Inc();
  return error;
}

void VersionBundles::EvictOldest() {
  while (entries_.size() > std::max<size_t>(options_.max_versions, 1)) {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    entries_.erase(oldest);
  }
}

void VersionBundles::Retain(std::span<const std::string> keep) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& entry) {
    const bool dropped = std::find(keep.begin(), keep.end(), entry.first) == keep.end();
    if (dropped && entry.second.bundle != nullptr) {
      spdlog::info("event=experiment_version_dropped run_id={}", entry.first);
    }
    return dropped;
  });
}

std::vector<std::string> VersionBundles::Loaded() const {
  std::vector<std::string> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [run_id, entry] : entries_) {
      if (entry.bundle != nullptr) out.push_back(run_id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace reco
