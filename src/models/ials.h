// IalsModel (kind "ials"): implicit-feedback matrix factorisation of Hu, Koren and Volinsky (2008)
// fitted by alternating least squares, each row update by the conjugate-gradient inner solver of
// Takács, Pilászy and Tikk (2011) or exactly (an LDLT solve of the k × k normal equations). Every
// (user, item) pair has preference p = 1 for a positive, else 0, with confidence c = 1 + alpha for
// positives and 1 otherwise; it minimises Σ c (p − xᵤ·yᵢ)² + regularization·(Σ‖xᵤ‖² + Σ‖yᵢ‖²).
// Factors are row-major float arrays: user factors num_users × factors, item factors num_items ×
// factors.
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
// Lifetime: spans returned by UserFactor/ItemFactor stay valid while the model lives.
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

enum class IalsSolver { kConjugateGradient, kExact };

struct IalsOptions {
  int factors = 64;              // latent dimension (> 0)
  double regularization = 0.01;  // L2 weight on all factors (>= 0)
  double alpha = 10.0;           // confidence of a positive is 1 + alpha (> 0)
  int iterations = 10;           // alternating user/item sweeps (> 0)
  IalsSolver solver = IalsSolver::kConjugateGradient;  // how each factor update is solved
  int cg_steps = 3;            // conjugate-gradient steps per factor update (> 0)
  double init_stddev = 0.01;   // item factors start as N(0, init_stddev²) (> 0)
  uint64_t seed = 1;           // std::mt19937_64 seed of the initialisation
  int num_threads = 0;         // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;  // a progress line on stderr (sweeps)
};

class IalsModel {
 public:
  static constexpr std::string_view kKind = "ials";

  static Result<IalsModel> Fit(const Dataset& dataset, const IalsOptions& options);

  size_t num_users() const { return user_ids_.size(); }
  size_t num_items() const { return item_ids_.size(); }
  int factors() const { return factors_; }
  double regularization() const { return regularization_; }
  double alpha() const { return alpha_; }
  // Model index -> id (the dataset's order).
  const std::vector<std::string>& user_ids() const { return user_ids_; }
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // A row of size factors(); empty for an out-of-range index.
  std::span<const float> UserFactor(uint32_t user) const;
  std::span<const float> ItemFactor(uint32_t item) const;

  // The exact least-squares user factor for `history` (item indices) against the item factors:
  // what an ALS user step computes; out-of-range items are ignored. Size factors().
  std::vector<float> FoldIn(std::span<const uint32_t> history) const;
  // scores[j] = user_factor · ItemFactor(j); `scores` has size num_items().
  void Score(std::span<const float> user_factor, std::span<float> scores) const;

  std::string Serialize() const;
  static Result<IalsModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<IalsModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<IalsModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  void ComputeItemGram();

  std::vector<std::string> user_ids_;
  std::vector<std::string> item_ids_;
  std::vector<float> user_factors_;  // num_users × factors, row-major
  std::vector<float> item_factors_;  // num_items × factors, row-major
  std::vector<float> item_gram_;     // YᵀY, factors × factors (derived, not serialised)
  int factors_ = 0;
  double regularization_ = 0;
  double alpha_ = 0;
  ModelInfo info_;
};

}  // namespace reco
