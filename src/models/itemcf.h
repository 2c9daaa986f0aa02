// ItemCfModel (kind "itemcf"): item-based collaborative filtering (ItemKNN) on positive feedback.
// Item i is the column x_i of the user-item matrix, optionally reweighted (ItemCfWeighting), and
// sim(i, j) = x_i·x_j / (|x_i|^(2a) |x_j|^(2(1-a)) + shrinkage); a = 0.5 is the cosine, other a
// the asymmetric cosine. Unweighted: sim(i, j) = |U_i ∩ U_j| / (|U_i|^a |U_j|^(1-a) + shrinkage),
// U_i the users with positive feedback on i. Each item keeps its top-K neighbours (sim desc, ties
// by index), never itself and never a hidden item. Stored as CSR: offsets (size num_items + 1),
// neighbour indices and similarities (parallel arrays). Indices refer to item_ids().
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

enum class ItemCfSimilarity : uint8_t {
  kCosine = 0,      // a = 0.5
  kAsymmetric = 1,  // a = ItemCfOptions::asymmetric_alpha
};

// Weight of entry (u, i) of the binary user-item matrix, with N = number of items, |I_u| the
// items of u, |U_i| the users of i and avgdl the mean |U_i| over all items:
//   kNone: 1.
//   kIdf:  idf(u) = max(0, ln(N / (1 + |I_u|))) — users with few items count more.
//   kBm25: idf(u) * (k1 + 1) / (1 + k1 * (1 - b + b * |U_i| / avgdl)) — Okapi BM25 with the item
//          as the document and its users as the terms.
enum class ItemCfWeighting : uint8_t { kNone = 0, kIdf = 1, kBm25 = 2 };

// "cosine", "asymmetric"; "none", "idf", "bm25". Parse* return InvalidArgument naming `field`.
std::string_view ItemCfSimilarityName(ItemCfSimilarity s);
std::string_view ItemCfWeightingName(ItemCfWeighting w);
Result<ItemCfSimilarity> ParseItemCfSimilarity(std::string_view text, std::string_view field);
Result<ItemCfWeighting> ParseItemCfWeighting(std::string_view text, std::string_view field);

struct ItemCfOptions {
  int neighbors = 100;      // K, top neighbours kept per item (> 0)
  double shrinkage = 10.0;  // >= 0
  ItemCfSimilarity similarity = ItemCfSimilarity::kCosine;
  // a in [0, 1], used with kAsymmetric only (must stay 0.5 with kCosine). Larger a penalises
  // popular neighbours j less: a = 1 gives |U_i ∩ U_j| / |U_i|, the conditional P(j | i).
  double asymmetric_alpha = 0.5;
  ItemCfWeighting weighting = ItemCfWeighting::kNone;
  double bm25_k1 = 1.2;        // >= 0, kBm25 only
  double bm25_b = 0.75;        // in [0, 1], kBm25 only
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
  ItemCfSimilarity similarity() const { return similarity_; }
  double asymmetric_alpha() const { return asymmetric_alpha_; }
  ItemCfWeighting weighting() const { return weighting_; }
  double bm25_k1() const { return bm25_k1_; }
  double bm25_b() const { return bm25_b_; }

  // scores[j] = Σ over h in history of sim(h, j); `scores` has size num_items().
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;

  // Payload version 2: u32 0, u32 2, u8 similarity, f64 alpha, u8 weighting, f64 k1, f64 b, then
  // the version-1 payload: u32 neighbours (> 0), f64 shrinkage, item ids, neighbour lists.
  // Deserialize reads both; a version-1 payload is plain cosine without weighting.
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
  ItemCfSimilarity similarity_ = ItemCfSimilarity::kCosine;
  double asymmetric_alpha_ = 0.5;
  ItemCfWeighting weighting_ = ItemCfWeighting::kNone;
  double bm25_k1_ = 1.2;
  double bm25_b_ = 0.75;
  ModelInfo info_;
};

}  // namespace reco
