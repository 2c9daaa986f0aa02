#include "app/state_snapshot.h"

#include "core/stable_hash.h"

namespace reco::app {

OnlineStateOptions OnlineStateOptionsFor(const RecoConfig& config) {
  return OnlineStateOptions{.feedback_types = config.recommend.feedback_types,
                            .history_size = config.recommend.history_size};
}

StateSnapshotOptions StateSnapshotFor(const RecoConfig& config,
                                      const std::filesystem::path& data_dir,
                                      std::string_view tenant) {
  return StateSnapshotOptions{
      .path = data_dir / kStateSnapshotFile,
      .tenant = std::string(tenant),
      .store = config.store.url.empty()
                   ? std::string("sqlite")
                   : "postgres:" + std::to_string(StableHash64(config.store.url))};
}

Result<StateLoadReport> RefreshStateSnapshot(Store& store, const RecoConfig& config,
                                             const std::filesystem::path& data_dir,
                                             std::string_view tenant) {
  OnlineState state(OnlineStateOptionsFor(config));
  StateSnapshotOptions options = StateSnapshotFor(config, data_dir, tenant);
  options.rewrite_after_rows = 1;  // any row after the snapshot: a new one
  options.rewrite_after_share = 0;
  return state.LoadWithSnapshot(store, options);
}

}  // namespace reco::app
