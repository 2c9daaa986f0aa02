#include "models/ials.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <random>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"
#include "models/binary_io.h"

namespace reco {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstFactorMap = Eigen::Map<const RowMatrix>;

Status ValidateOptions(const IalsOptions& o) {
  auto bad = [](const std::string& what, const std::string& key) {
    return InvalidArgument("iALS " + what, key);
  };
  if (o.factors <= 0 || o.factors > 4096) return bad("factors must be in 1..4096", "ials.factors");
  if (!(o.regularization >= 0) || !std::isfinite(o.regularization)) {
    return bad("regularization must be a finite number >= 0", "ials.regularization");
  }
  if (!(o.alpha > 0) || !std::isfinite(o.alpha)) {
    return bad("alpha must be a finite number > 0", "ials.alpha");
  }
  if (o.iterations <= 0) return bad("iterations must be > 0", "ials.iterations");
  if (o.cg_steps <= 0) return bad("cg_steps must be > 0", "ials.cg_steps");
  if (!(o.init_stddev > 0) || !std::isfinite(o.init_stddev)) {
    return bad("init_stddev must be a finite number > 0", "ials.init_stddev");
  }
  return Status::Ok();
}

// One half of an ALS sweep: updates every row of `rows` (num_rows × k) against the fixed
// `cols` (num_cols × k), where row r's positives are adjacency(r), on the normal equations
// (YᵀY + reg·I + alpha·Σ yyᵀ) x = (1 + alpha)·Σ y: by cg_steps of conjugate gradient started
// from the current x, or exactly.
class HalfStep {
 public:
  HalfStep(std::span<const float> cols, size_t num_cols, int k, const IalsOptions& options)
      : cols_(cols.data(), static_cast<Eigen::Index>(num_cols), k),
        k_(k),
        alpha_(static_cast<float>(options.alpha)),
        cg_steps_(options.cg_steps),
        exact_(options.solver == IalsSolver::kExact) {
    a0_ = cols_.transpose() * cols_;
    a0_.diagonal().array() += static_cast<float>(options.regularization);
  }

  // Hot numeric kernel: the update of one row; r, p, ap and a are the caller's scratch space.
  void SolveRow(std::span<const uint32_t> adjacency, float* row_data, Eigen::VectorXf& r,
                Eigen::VectorXf& p, Eigen::VectorXf& ap, Eigen::MatrixXf& a) const {
    Eigen::Map<Eigen::VectorXf> x(row_data, k_);
    if (exact_) {
      a = a0_;
      r.setZero();
      for (uint32_t i : adjacency) {
        auto y = cols_.row(i).transpose();
        a.selfadjointView<Eigen::Lower>().rankUpdate(y, alpha_);
        r.noalias() += (1.0f + alpha_) * y;
      }
      x = Eigen::LDLT<Eigen::MatrixXf, Eigen::Lower>(a).solve(r);
      return;
    }
    const float c = 1.0f + alpha_;
    r.noalias() = -(a0_ * x);
    for (uint32_t i : adjacency) {
      auto y = cols_.row(i).transpose();
      r.noalias() += (c - alpha_ * y.dot(x)) * y;
    }
    p = r;
    float rs_old = r.squaredNorm();
    for (int step = 0; step < cg_steps_ && rs_old > 1e-20f; ++step) {
      ap.noalias() = a0_ * p;
      for (uint32_t i : adjacency) {
        auto y = cols_.row(i).transpose();
        ap.noalias() += (alpha_ * y.dot(p)) * y;
      }
      const float step_size = rs_old / p.dot(ap);
      x.noalias() += step_size * p;
      r.noalias() -= step_size * ap;
      const float rs_new = r.squaredNorm();
      p = r + (rs_new / rs_old) * p;
      rs_old = rs_new;
    }
  }

 private:
  ConstFactorMap cols_;
  int k_;
  float alpha_;
  int cg_steps_;
  bool exact_;
  Eigen::MatrixXf a0_;
};

void RunHalfStep(const HalfStep& step, size_t num_rows, int k, int threads,
                 const std::function<std::span<const uint32_t>(uint32_t)>& adjacency,
                 std::vector<float>& rows, Progress& progress) {
  constexpr size_t kBlock = 256;
  std::atomic<size_t> next{0};
  auto work = [&] {
    Eigen::VectorXf r(k), p(k), ap(k);
    Eigen::MatrixXf a(k, k);
    for (;;) {
      size_t begin = next.fetch_add(kBlock);
      if (begin >= num_rows) break;
      size_t end = std::min(num_rows, begin + kBlock);
      for (size_t u = begin; u < end; ++u) {
        step.SolveRow(adjacency(static_cast<uint32_t>(u)), rows.data() + u * size_t(k), r, p, ap,
                      a);
      }
      progress.Add(end - begin);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace

Result<IalsModel> IalsModel::Fit(const Dataset& dataset, const IalsOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  const int k = options.factors;
  const size_t nu = dataset.num_users();
  const size_t ni = dataset.num_items();
  IalsModel m;
  m.user_ids_ = dataset.user_ids();
  m.item_ids_ = dataset.item_ids();
  m.factors_ = k;
  m.regularization_ = options.regularization;
  m.alpha_ = options.alpha;
  m.user_factors_.assign(nu * size_t(k), 0.0f);
  m.item_factors_.resize(ni * size_t(k));
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> init(0.0f, static_cast<float>(options.init_stddev));
  for (float& v : m.item_factors_) v = init(rng);

  const int threads = ThreadCount(options.num_threads, std::max(nu, ni));
  auto user_items = [&](uint32_t u) { return dataset.UserItems(u); };
  auto item_users = [&](uint32_t i) { return dataset.ItemUsers(i); };
  Progress progress("ials", uint64_t(options.iterations) * (nu + ni), "rows",
                    options.show_progress);
  for (int it = 0; it < options.iterations; ++it) {
    HalfStep users(m.item_factors_, ni, k, options);
    RunHalfStep(users, nu, k, threads, user_items, m.user_factors_, progress);
    HalfStep items(m.user_factors_, nu, k, options);
    RunHalfStep(items, ni, k, threads, item_users, m.item_factors_, progress);
  }
  if (options.show_progress) progress.Finish();
  m.ComputeItemGram();
  m.info_.snapshot_id = dataset.snapshot_id();
  return m;
}

void IalsModel::ComputeItemGram() {
  const auto k = static_cast<Eigen::Index>(factors_);
  ConstFactorMap y(item_factors_.data(), static_cast<Eigen::Index>(num_items()), k);
  item_gram_.resize(size_t(k) * size_t(k));
  Eigen::Map<Eigen::MatrixXf>(item_gram_.data(), k, k).noalias() = y.transpose() * y;
}

std::span<const float> IalsModel::UserFactor(uint32_t user) const {
  if (user >= num_users()) return {};
  return std::span<const float>(user_factors_.data() + size_t{user} * factors_, factors_);
}

std::span<const float> IalsModel::ItemFactor(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const float>(item_factors_.data() + size_t{item} * factors_, factors_);
}

std::vector<float> IalsModel::FoldIn(std::span<const uint32_t> history) const {
  const auto k = static_cast<Eigen::Index>(factors_);
  ConstFactorMap y(item_factors_.data(), static_cast<Eigen::Index>(num_items()), k);
  Eigen::MatrixXf a = Eigen::Map<const Eigen::MatrixXf>(item_gram_.data(), k, k);
  a.diagonal().array() += static_cast<float>(regularization_);
  Eigen::VectorXf b = Eigen::VectorXf::Zero(k);
  const auto alpha = static_cast<float>(alpha_);
  for (uint32_t i : history) {
    if (i >= num_items()) continue;
    auto yi = y.row(i).transpose();
    a.selfadjointView<Eigen::Lower>().rankUpdate(yi, alpha);
    b.noalias() += (1.0f + alpha) * yi;
  }
  std::vector<float> x(static_cast<size_t>(k), 0.0f);
  if (b.isZero()) return x;
  Eigen::LDLT<Eigen::MatrixXf, Eigen::Lower> ldlt(a);
  Eigen::Map<Eigen::VectorXf>(x.data(), k) = ldlt.solve(b);
  return x;
}

void IalsModel::Score(std::span<const float> user_factor, std::span<float> scores) const {
  const auto k = static_cast<Eigen::Index>(factors_);
  ConstFactorMap y(item_factors_.data(), static_cast<Eigen::Index>(num_items()), k);
  Eigen::Map<const Eigen::VectorXf> x(user_factor.data(), k);
  Eigen::Map<Eigen::VectorXf>(scores.data(), static_cast<Eigen::Index>(scores.size())).noalias() =
      y * x;
}

std::string IalsModel::Serialize() const {
  BinaryWriter w;
  w.U32(static_cast<uint32_t>(factors_));
  w.F64(regularization_);
  w.F64(alpha_);
  w.StringArray(user_ids_);
  w.StringArray(item_ids_);
  w.F32Array(user_factors_);
  w.F32Array(item_factors_);
  return w.Take();
}

Result<IalsModel> IalsModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "ials payload");
  IalsModel m;
  uint32_t factors;
  RECO_RETURN_IF_ERROR(r.U32(factors));
  RECO_RETURN_IF_ERROR(r.F64(m.regularization_));
  RECO_RETURN_IF_ERROR(r.F64(m.alpha_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.user_ids_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.user_factors_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.item_factors_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  if (factors == 0 || factors > 4096) return r.Corrupt("factor count out of range");
  m.factors_ = static_cast<int>(factors);
  if (m.user_factors_.size() != m.user_ids_.size() * factors ||
      m.item_factors_.size() != m.item_ids_.size() * factors) {
    return r.Corrupt("factor matrix sizes are inconsistent");
  }
  if (!(m.regularization_ >= 0) || !(m.alpha_ > 0)) return r.Corrupt("bad hyperparameters");
  m.ComputeItemGram();
  return m;
}

}  // namespace reco
