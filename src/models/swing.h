// SwingModel (kind "swing"): the Swing item-item similarity of Yang et al. (2020), "Large Scale
// Product Graph Construction for Recommendation in E-commerce", on positive feedback. With U_i the
// users of item i, I_u the items of user u and w_u = (|I_u| + user_offset)^(-user_exponent):
//   sim(i, j) = Σ_{u < v; u, v ∈ U_i ∩ U_j} w_u w_v / (alpha + |I_u ∩ I_v|)
// (each unordered pair of distinct users once).
// Two users who share i and j count more the fewer other items they share. Users with more than
// max_user_items items are left out of the pairs; when |U_i| > max_users_per_item only an evenly
// spaced subset of U_i (in user-index order) forms the pairs for i's list, so sim(i, j) may then
// differ from sim(j, i). |I_u| and |I_u ∩ I_v| always count the full histories. Each item keeps its
// top-K neighbours (sim desc, ties by index), never itself nor a hidden item, divided by the first
// one's sim when SwingOptions::normalize (the default); stored as CSR.
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

struct SwingOptions {
  double alpha = 1.0;            // smoothing of the pair overlap (>= 0; > 0 is advisable)
  double user_offset = 5.0;      // >= 0, added to |I_u| in the user weight
  double user_exponent = 0.5;    // >= 0; 0.5: w_u = 1 / sqrt(|I_u| + user_offset)
  int neighbors = 100;           // K, top neighbours kept per item (> 0)
  int max_users_per_item = 500;  // > 1; pairs of at most this many users per item
  int max_user_items = 1000;     // users with more items are left out (0 = no limit)
  // Divide each item's list by its first (largest) similarity, so that every history item
  // weighs at most 1 in Score: raw Swing sums grow with |U_i|², so popular items would dominate
  // (on Gowalla Recall@20 0.181 normalised, 0.138 raw). false keeps the raw sim(i, j) above.
  bool normalize = true;
  int num_threads = 0;         // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;  // a progress line on stderr (items/s, ETA)
};

class SwingModel {
 public:
  static constexpr std::string_view kKind = "swing";

  static Result<SwingModel> Fit(const Dataset& dataset, const SwingOptions& options);

  size_t num_items() const { return item_ids_.size(); }
  // Model item index -> item id (the dataset's item order).
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // Neighbours of `item`, most similar first; empty for an out-of-range index.
  std::span<const uint32_t> NeighborIds(uint32_t item) const { return lists_.Ids(item); }
  std::span<const float> NeighborSims(uint32_t item) const { return lists_.Weights(item); }
  size_t num_neighbor_entries() const { return lists_.num_entries(); }
  // The options it was fitted with (num_threads and show_progress are not stored).
  const SwingOptions& options() const { return options_; }

  // scores[j] = Σ over h in history of sim(h, j); `scores` has size num_items().
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;

  // Payload: f64 alpha, user_offset, user_exponent; u32 neighbors, max_users_per_item,
  // max_user_items; u8 normalize; item ids; neighbour lists.
  std::string Serialize() const;
  static Result<SwingModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<SwingModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<SwingModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  std::vector<std::string> item_ids_;
  NeighborLists lists_;
  SwingOptions options_;
  ModelInfo info_;
};

}  // namespace reco
