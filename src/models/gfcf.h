// GfcfModel (kind "gfcf"): the graph-filter model GF-CF of Shen et al. (CIKM 2021, "How Powerful is
// Graph Convolution for Recommendation?"), with the optional sharpening step of BSPM (Choi et al.,
// SIGIR 2023). With R the binary user × item matrix of positives, d(u), d(i) the degrees and
// R~ = D_U^-a · R · D_I^-b (a = user_exponent, b = item_exponent), P~ = R~ᵀR~ and V_k the top-k
// right singular vectors of R~ (randomised SVD, models/randomized_svd.h), a user with binary
// history row r (1 × items) gets
//     s0 = r·P~ + ideal_weight · r·D_I^-b·V_k·V_kᵀ·D_I^b       (GF-CF: linear + ideal low-pass)
//     s  = s0 after sharpen_steps steps of ds/dt = −s·P~ over time sharpen_time (0 = s0), each
//          step explicit Euler (s ← s − h·s·P~, one product) or classic RK4 (four products).
// With spectral_norm, P~ is divided by its largest eigenvalue λ1 (found by power iteration at Fit),
// so that the linear filter and the sharpening keep the scale they have at a = b = 0.5 (λ1 = 1)
// for any exponents. P~ is never formed: r·P~ = ((r·R~ᵀ)·R~) through the sparse user-item matrix.
// Items of degree 0 score 0; hidden items always score 0. The model keeps the training matrix (CSR)
// and V_k.
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
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

enum class SharpenSolver { kEuler, kRk4 };

struct GfcfOptions {
  int factors = 256;           // k of the ideal filter (>= 1); clamped to min(users, items)
  double ideal_weight = 0.3;   // alpha, weight of the ideal low-pass filter (>= 0; 0 = no SVD)
  double user_exponent = 0.5;  // a in D_U^-a (finite, in [0, 2])
  double item_exponent = 0.5;  // b in D_I^-b (finite, in [0, 2])
  int oversampling = 16;       // extra columns of the randomised SVD (>= 0)
  int power_iterations = 2;    // power iterations of the randomised SVD (0..20)
  double sharpen_time = 0.0;   // BSPM sharpening time T (>= 0; 0 = off)
  int sharpen_steps = 1;       // solver steps over sharpen_time (1..16)
  SharpenSolver sharpen_solver = SharpenSolver::kRk4;
  uint64_t seed = 1;           // seed of the randomised SVD
  bool spectral_norm = true;   // divide P~ by its largest eigenvalue
  int num_threads = 0;         // threads of Fit; 0 = std::thread::hardware_concurrency()
  bool show_progress = false;  // a progress line on stderr (passes of the SVD)
};

class GfcfModel {
 public:
  static constexpr std::string_view kKind = "gfcf";

  static Result<GfcfModel> Fit(const Dataset& dataset, const GfcfOptions& options);

  size_t num_users() const { return user_offsets_.empty() ? 0 : user_offsets_.size() - 1; }
  size_t num_items() const { return item_ids_.size(); }
  // Model item index -> item id (the dataset's item order).
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // k actually used (after clamping); 0 when ideal_weight is 0.
  int factors() const { return factors_; }
  double ideal_weight() const { return ideal_weight_; }
  double user_exponent() const { return user_exponent_; }
  double item_exponent() const { return item_exponent_; }
  double sharpen_time() const { return sharpen_time_; }
  int sharpen_steps() const { return sharpen_steps_; }
  SharpenSolver sharpen_solver() const { return sharpen_solver_; }
  // 1/λ1 with spectral_norm, else 1: the factor applied to P~.
  double linear_scale() const { return linear_scale_; }
  // Top-k singular values of R~, descending (size factors()).
  const std::vector<float>& singular_values() const { return singular_values_; }

  // The score s above for one history (item indices; out-of-range ones are ignored);
  // `scores` has size num_items().
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;
  // Row r of `scores` (size histories.size() * num_items(), row-major) is Score(histories[r]).
  // Runs on the calling thread; one call with many users is much faster than many calls.
  void ScoreBatch(std::span<const std::span<const uint32_t>> histories,
                  std::span<float> scores) const;

  std::string Serialize() const;
  static Result<GfcfModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<GfcfModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<GfcfModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  // s ← s·exp(−sharpen_time·P~) by the configured solver; s, y, t are work arrays as in
  // ScoreBatch.
  void Sharpen(size_t batch, std::vector<float>& s, std::vector<float>& y,
               std::vector<float>& t) const;
  // Derives the item -> users CSR, degree scales and the scaled factors from the stored fields.
  void Prepare();
  // out = y·P~ for a dense batch y (items × batch, row-major); `t` is users × batch scratch.
  void ApplyLinearFilter(const float* y, size_t batch, float* t, float* out) const;
  // out(j, :) = d(j)^-b Σ_{u in users(j)} t(u, :), the second half of ApplyLinearFilter.
  void ItemsFromUsers(const float* t, size_t batch, float* out) const;
  // λ1 of the unscaled P~ by power iteration from the all-ones vector (P~ is non-negative).
  double LargestEigenvalue() const;

  std::vector<std::string> item_ids_;
  std::vector<uint32_t> hidden_items_;  // ascending indices of hidden items
  std::vector<uint64_t> user_offsets_;  // training CSR user -> items, size num_users + 1
  std::vector<uint32_t> user_items_;
  std::vector<float> singular_values_;  // size factors_
  std::vector<float> right_vectors_;    // V_k, items × factors_, row-major
  int factors_ = 0;
  double ideal_weight_ = 0;
  double user_exponent_ = 0;
  double item_exponent_ = 0;
  double sharpen_time_ = 0;
  int sharpen_steps_ = 1;
  SharpenSolver sharpen_solver_ = SharpenSolver::kRk4;
  double linear_scale_ = 1;
  ModelInfo info_;

  // Derived by Prepare().
  std::vector<uint64_t> item_offsets_;  // item -> users CSR, size num_items + 1
  std::vector<uint32_t> item_users_;
  std::vector<float> user_scale_;    // linear_scale · d(u)^-2a (0 for degree 0)
  std::vector<float> item_scale_;    // d(i)^-b (0 for degree 0)
  std::vector<float> item_unscale_;  // d(i)^b (0 for degree 0)
  std::vector<float> output_mask_;   // 0 for hidden items, else 1
};

}  // namespace reco
