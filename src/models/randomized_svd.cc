#include "models/randomized_svd.h"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/threads.h"

namespace reco {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// out = a · x, rows of `a` split across threads. x is a.cols() × l, out a.rows() × l.
// Hot numeric kernel: every stored entry adds a scaled row of x to a row of out.
RowMatrix SparseTimesDense(const SparseRowMatrix& a, const RowMatrix& x, int threads) {
  RowMatrix out(a.rows(), x.cols());
  const auto* outer = a.outerIndexPtr();
  const auto* inner = a.innerIndexPtr();
  const float* values = a.valuePtr();
  auto work = [&](Eigen::Index begin, Eigen::Index end) {
    for (Eigen::Index r = begin; r < end; ++r) {
      auto row = out.row(r);
      row.setZero();
      for (auto p = outer[r]; p < outer[r + 1]; ++p) row.noalias() += values[p] * x.row(inner[p]);
    }
  };
  const int n = ThreadCount(threads, static_cast<size_t>(a.rows()));
  const Eigen::Index chunk = (a.rows() + n - 1) / n;
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) {
    pool.emplace_back(work, std::min(a.rows(), t * chunk), std::min(a.rows(), (t + 1) * chunk));
  }
  work(0, std::min(a.rows(), chunk));
  for (std::thread& t : pool) t.join();
  return out;
}

// An orthonormal basis (same shape) of the columns of y, by Householder QR.
RowMatrix Orthonormalize(const RowMatrix& y) {
  Eigen::HouseholderQR<Eigen::MatrixXf> qr(y);
  Eigen::MatrixXf q = Eigen::MatrixXf::Identity(y.rows(), y.cols());
  q.applyOnTheLeft(qr.householderQ());
  return q;
}

RowMatrix GaussianMatrix(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

Status Validate(const SparseRowMatrix& a, const RandomizedSvdOptions& o) {
  const Eigen::Index min_dim = std::min(a.rows(), a.cols());
  if (o.rank < 1 || o.rank > min_dim) {
    return InvalidArgument("randomized SVD rank must be in 1..min(rows, cols) = 1.." +
                               std::to_string(min_dim) + ", got " + std::to_string(o.rank),
                           "rank");
  }
  if (o.oversampling < 0) {
    return InvalidArgument("randomized SVD oversampling must be >= 0", "oversampling");
  }
  if (o.power_iterations < 0) {
    return InvalidArgument("randomized SVD power_iterations must be >= 0", "power_iterations");
  }
  return Status::Ok();
}

}  // namespace

int RandomizedSvdPasses(const RandomizedSvdOptions& options) {
  return 2 + 2 * std::max(options.power_iterations, 0);
}

Result<TruncatedSvd> RandomizedSvd(const SparseRowMatrix& a, const RandomizedSvdOptions& options,
                                   Progress* progress) {
  RECO_RETURN_IF_ERROR(Validate(a, options));
  const Eigen::Index min_dim = std::min(a.rows(), a.cols());
  const Eigen::Index k = options.rank;
  const Eigen::Index l = std::min<Eigen::Index>(min_dim, k + options.oversampling);
  const int threads = options.num_threads;
  auto pass_done = [&] {
    if (progress != nullptr) progress->Add(1);
  };
  const SparseRowMatrix at = a.transpose();

  // Range finder: Q spans the dominant column space of A (m × l).
  RowMatrix q =
      Orthonormalize(SparseTimesDense(a, GaussianMatrix(a.cols(), l, options.seed), threads));
  pass_done();
  for (int it = 0; it < options.power_iterations; ++it) {
    const RowMatrix z = Orthonormalize(SparseTimesDense(at, q, threads));
    pass_done();
    q = Orthonormalize(SparseTimesDense(a, z, threads));
    pass_done();
  }

  // B = Qᵀ A = (Aᵀ Q)ᵀ = (Qb Rb)ᵀ; SVD of the small Rbᵀ = P Σ Wᵀ gives A ≈ (Q P) Σ (Qb W)ᵀ.
  const RowMatrix bt = SparseTimesDense(at, q, threads);
  pass_done();
  Eigen::HouseholderQR<Eigen::MatrixXf> qr(bt);
  Eigen::MatrixXf qb = Eigen::MatrixXf::Identity(bt.rows(), l);
  qb.applyOnTheLeft(qr.householderQ());
  const Eigen::MatrixXd rb_t = qr.matrixQR()
                                   .topLeftCorner(l, l)
                                   .triangularView<Eigen::Upper>()
                                   .toDenseMatrix()
                                   .transpose()
                                   .cast<double>();
  Eigen::JacobiSVD<Eigen::MatrixXd> small(rb_t, Eigen::ComputeFullU | Eigen::ComputeFullV);

  TruncatedSvd out;
  out.singular_values = small.singularValues().head(k).cast<float>();
  out.v.noalias() = qb * small.matrixV().leftCols(k).cast<float>();
  if (options.compute_left) out.u.noalias() = q * small.matrixU().leftCols(k).cast<float>();
  return out;
}

}  // namespace reco
