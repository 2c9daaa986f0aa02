// ItemCfModel (kind "itemcf"): item-based collaborative filtering on positive feedback.
// sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i| * |U_j|) + shrinkage), where U_i is the set of users
// with positive feedback on i. Each item keeps its top-K neighbours (sim desc, ties by index),
// never itself and never a hidden item. Stored as CSR: offsets (size num_items + 1), neighbour
// indices and similarities (parallel arrays). Indices refer to item_ids().
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
// Lifetime: spans returned by NeighborIds/NeighborSims stay valid while the model lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "models/model_io.h"
#include "models/neighbor_lists.h"

namespace reco {

struct ItemCfOptions {
  int neighbors = 100;         // K, top neighbours kept per item (> 0)
  double shrinkage = 10.0;     // >= 0
  int num_threads = 0;         // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;  // a progress line on stderr (items/s, ETA)
};

class ItemCfModel {
 public:
  static constexpr std::string_view kKind = "itemcf";

  static Result<ItemCfModel> Fit(const Dataset& dataset, const ItemCfOptions& options);

  size_t num_items() const { return item_ids_.size(); }
  // Model item index -> item id (the dataset's item order).
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // Neighbours of `item`, most similar first; empty for an out-of-range index.
  std::span<const uint32_t> NeighborIds(uint32_t item) const;
  std::span<const float> NeighborSims(uint32_t item) const;
  size_t num_neighbor_entries() const { return lists_.num_entries(); }
  int neighbors() const { return neighbors_; }
  double shrinkage() const { return shrinkage_; }

  std::string Serialize() const;
  static Result<ItemCfModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<ItemCfModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<ItemCfModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  std::vector<std::string> item_ids_;
  NeighborLists lists_;  // weights are the similarities
  int neighbors_ = 0;
  double shrinkage_ = 0;
  ModelInfo info_;
};

}  // namespace reco
