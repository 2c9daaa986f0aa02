// VersionBundles: the model versions that running A/B experiments serve (variants with
// target_kind "model_version"), each loaded once into a bundle of its own and kept while an
// experiment names it. A version is loaded on its first request (through the loader, normally
// ModelManager::LoadVersionBundle: artifacts verified against their sha256 like any load), or
// ahead of requests by Prepare(); a
// version that fails to load is remembered for `retry_after` so that its users are served the
// primary without the request path retrying the load each time, and every such request counts
// experiment_model_version_unavailable_total{run_id}. Retain() drops the versions no running
// experiment names any more.
//
// Thread-safety: every method is safe from any thread. A hit takes one uncontended mutex; loads
// are serialised (a second request for a version being loaded waits for that load).
// Lifetime: borrows the Clock and the MetricsRegistry (may be null), which must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "serving/bundle.h"
#include "serving/online_state.h"  // StringHash

namespace reco {

struct VersionBundlesOptions {
  TimestampUs retry_after = 60 * kMicrosPerSecond;  // a failed load is retried after this long
  size_t max_versions = 16;  // bundles kept at most (the least recently loaded are dropped)
};

class VersionBundles {
 public:
  using Loader = std::function<Result<std::shared_ptr<const ModelBundle>>(std::string_view run_id)>;

  VersionBundles(Loader loader, const Clock& clock, MetricsRegistry* metrics,
                 VersionBundlesOptions options = {});

  // The bundle of `run_id`: kept, or loaded now. Errors: the loader's (remembered for
  // retry_after and returned from memory meanwhile); each error counts one
  // experiment_model_version_unavailable_total{run_id}.
  Result<std::shared_ptr<const ModelBundle>> Get(std::string_view run_id);
  // Drops every version (bundle or remembered failure) not in `keep`.
  void Retain(std::span<const std::string> keep);
  // Retain(`versions`), then loads those not kept yet (failures remembered as by Get, not
  // counted: no request was served without them). The periodic refresh calls it, so that the
  // request path seldom loads.
  void Prepare(std::span<const std::string> versions);
  // The run ids of the bundles kept, sorted.
  std::vector<std::string> Loaded() const;

 private:
  struct Entry {
    std::shared_ptr<const ModelBundle> bundle;  // null after a failed load
    Status error;                               // the failed load's
    TimestampUs at = 0;                         // when loaded or failed
  };
  // The entry's answer when it is usable now; nullopt when (re)loading is due. Under mu_.
  std::optional<Result<std::shared_ptr<const ModelBundle>>> Cached(std::string_view run_id) const;
  Result<std::shared_ptr<const ModelBundle>> Fail(std::string_view run_id, Status error);
  // Get's work; `count`: errors count experiment_model_version_unavailable_total.
  Result<std::shared_ptr<const ModelBundle>> Load(std::string_view run_id, bool count);
  void EvictOldest();  // under mu_

  Loader loader_;
  const Clock& clock_;
  VersionBundlesOptions options_;
  CounterFamily* unavailable_ = nullptr;
  std::mutex load_mu_;     // one load at a time
  mutable std::mutex mu_;  // guards entries_
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries_;
};

}  // namespace reco
