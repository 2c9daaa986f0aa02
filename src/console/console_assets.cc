#include "console/console_assets.h"

namespace reco::console {

std::span<const Asset> AllAssets() { return {internal::kAssets, internal::kAssetCount}; }

const Asset* FindAsset(std::string_view name) {
  for (const Asset& asset : AllAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace reco::console
