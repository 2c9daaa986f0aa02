// RAII wrappers of XGBoost's C API (libxgboost): XgbMatrix owns a DMatrixHandle built from a
// dense row-major float matrix (NaN = missing), XgbBooster owns a BoosterHandle. Every C API
// return code is checked; a failure is a Status carrying XGBGetLastError().
//
// Thread-safety: XgbMatrix/XgbBooster are not thread-safe for mutation (SetParam, Train, Load);
// XgbBooster::Predict is const and serialised internally, so several threads may call it.
// Lifetime: both are movable, not copyable; a matrix passed to Train must outlive the call only.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace reco::rank {

class XgbMatrix {
 public:
  // `values` has size rows * cols, row-major; NaN marks a missing value.
  static Result<XgbMatrix> FromDense(std::span<const float> values, size_t rows, size_t cols);

  // Per-row labels (size rows).
  Status SetLabels(std::span<const float> labels);
  // Query groups for ranking objectives: group_sizes[g] rows form group g, in row order;
  // the sizes sum to rows.
  Status SetGroups(std::span<const uint32_t> group_sizes);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  void* handle() const { return handle_.get(); }

 private:
  struct Free {
    void operator()(void* h) const;
  };
  std::unique_ptr<void, Free> handle_;
  size_t rows_ = 0;
  size_t cols_ = 0;
};

class XgbBooster {
 public:
  // An untrained booster (Train needs the training matrix: Create binds it as cache).
  static Result<XgbBooster> Create(const XgbMatrix& train);
  // A booster restored from the bytes of SaveToBuffer.
  static Result<XgbBooster> LoadFromBuffer(std::string_view bytes);

  // XGBoost parameter, e.g. ("objective", "rank:ndcg"), ("max_depth", "6").
  Status SetParam(std::string_view name, std::string_view value);
  // One boosting round on `train` (iteration number `iteration`, from 0).
  Status UpdateOneIter(int iteration, const XgbMatrix& train);
  // One prediction per row of `data` (margins for ranking objectives).
  Result<std::vector<float>> Predict(const XgbMatrix& data) const;
  // Number of features the model was trained with.
  Result<uint64_t> NumFeatures() const;
  // The model as UBJSON bytes (XGBoost's portable format; parameters included).
  Result<std::string> SaveToBuffer() const;

 private:
  struct Free {
    void operator()(void* h) const;
  };
  XgbBooster() = default;
  std::unique_ptr<void, Free> handle_;
  // XGBoost's C API returns prediction buffers owned by the booster: one caller at a time.
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

}  // namespace reco::rank
