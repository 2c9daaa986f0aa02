// EaseModel (kind "ease"): the EASE linear item-item model of Steck (2019) on positive feedback.
// With X the binary user x item matrix, P = (XᵀX + lambda·I)⁻¹ and B = I − P·diag(1/diag(P)),
// diag(B) = 0; a user with history h scores item j by Σ_{i in h} B(i, j). B is dense:
// num_items² floats, row-major (row i holds the weights from source item i). Columns of hidden
// items are zero. Fit needs two dense num_items² float matrices at its peak and refuses, with
// ResourceExhausted, when they exceed options.max_memory_bytes.
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
// Lifetime: spans returned by Row stay valid while the model lives.
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

namespace reco {

struct EaseOptions {
  double lambda = 500.0;                          // L2 regularisation added to diag(XᵀX) (> 0)
  uint64_t max_memory_bytes = uint64_t{8} << 30;  // budget for the dense matrices of Fit
  int num_threads = 0;                            // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;                     // progress lines on stderr
};

class EaseModel {
 public:
  static constexpr std::string_view kKind = "ease";

  // Bytes of the dense matrices Fit holds at once for `num_items` items.
  static uint64_t FitMemoryBytes(uint64_t num_items);

  static Result<EaseModel> Fit(const Dataset& dataset, const EaseOptions& options);

  size_t num_items() const { return item_ids_.size(); }
  // Model item index -> item id (the dataset's item order).
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  double lambda() const { return lambda_; }
  // Row i of B (size num_items); empty for an out-of-range index.
  std::span<const float> Row(uint32_t item) const;

  // scores[j] = Σ over h in history of B(h, j); `scores` has size num_items().
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;

  std::string Serialize() const;
  static Result<EaseModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<EaseModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<EaseModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  std::vector<std::string> item_ids_;
  std::vector<float> weights_;  // size num_items², row-major
  double lambda_ = 0;
  ModelInfo info_;
};

}  // namespace reco
