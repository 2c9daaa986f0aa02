// LatestModel (kind "latest"): visible items ordered by their timestamp, newest first (ties by
// item id); score = the item timestamp in seconds. Lists: overall and per category.
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "models/model_io.h"
#include "models/top_lists.h"

namespace reco {

struct LatestOptions {
  size_t list_size = 1000;  // items kept per list (> 0)
};

class LatestModel {
 public:
  static constexpr std::string_view kKind = "latest";

  static Result<LatestModel> Fit(const Dataset& dataset, const LatestOptions& options);

  // Newest first; empty for an unknown category; "" = overall.
  std::span<const ScoredItem> Top(std::string_view category = "") const {
    return lists_.Top(category);
  }
  const std::vector<std::string>& item_ids() const { return lists_.item_ids(); }
  const std::vector<std::string>& categories() const { return lists_.categories(); }

  std::string Serialize() const;
  static Result<LatestModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<LatestModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<LatestModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  TopLists lists_;
  ModelInfo info_;
};

}  // namespace reco
