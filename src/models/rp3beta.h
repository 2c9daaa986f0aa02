// Rp3betaModel (kind "rp3beta"): the RP3beta item-item graph model of Paudel et al. (2017) on
// positive feedback. With d(u), d(i) the degrees of user u and item i in the user-item graph,
// W(i, j) = Σ_u (1/d(i))^alpha · (1/d(u))^alpha · [u likes i and j] / d(j)^beta: the probability
// of the 3-step random walk i → u → j (raised to alpha) with popular targets penalised by beta.
// Each item keeps its top-K targets (weight desc, ties by index), never itself nor a hidden item;
// stored as CSR: offsets (size num_items + 1), neighbour indices and weights (parallel arrays).
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
// Lifetime: spans returned by NeighborIds/NeighborWeights stay valid while the model lives.
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

struct Rp3betaOptions {
  double alpha = 1.0;          // exponent of the transition probabilities (> 0)
  double beta = 0.5;           // popularity penalty exponent on the target degree (>= 0)
  int neighbors = 200;         // K, top targets kept per item (> 0)
  int num_threads = 0;         // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;  // a progress line on stderr (items/s, ETA)
};

class Rp3betaModel {
 public:
  static constexpr std::string_view kKind = "rp3beta";

  static Result<Rp3betaModel> Fit(const Dataset& dataset, const Rp3betaOptions& options);

  size_t num_items() const { return item_ids_.size(); }
  // Model item index -> item id (the dataset's item order).
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // Targets of `item`, highest weight first; empty for an out-of-range index.
  std::span<const uint32_t> NeighborIds(uint32_t item) const;
  std::span<const float> NeighborWeights(uint32_t item) const;
  size_t num_neighbor_entries() const { return lists_.num_entries(); }
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }
  int neighbors() const { return neighbors_; }

  // scores[j] = Σ over h in history of W(h, j); `scores` has size num_items().
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;

  std::string Serialize() const;
  static Result<Rp3betaModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<Rp3betaModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<Rp3betaModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  std::vector<std::string> item_ids_;
  NeighborLists lists_;
  double alpha_ = 0;
  double beta_ = 0;
  int neighbors_ = 0;
  ModelInfo info_;
};

}  // namespace reco
