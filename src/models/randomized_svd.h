// RandomizedSvd: the top-k singular triplets A ≈ U·diag(s)·Vᵀ of a sparse m × n matrix by the
// randomised range finder of Halko, Martinsson and Tropp (2011; Algorithms 4.4 and 5.1): a seeded
// Gaussian test matrix of k + oversampling columns, `power_iterations` rounds of (AᵀA) with a QR
// re-orthonormalisation after every product, then the exact SVD of the small projected matrix.
//
// Thread-safety: a pure function; the sparse × dense products use `num_threads` threads.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>

#include "core/progress.h"
#include "core/status.h"

namespace reco {

using SparseRowMatrix = Eigen::SparseMatrix<float, Eigen::RowMajor>;

struct RandomizedSvdOptions {
  int rank = 64;             // k, the triplets returned (1..min(m, n))
  int oversampling = 16;     // extra random columns (>= 0); capped so that k + p <= min(m, n)
  int power_iterations = 2;  // rounds of AᵀA applied to the range basis (>= 0)
  uint64_t seed = 1;         // std::mt19937_64 seed of the Gaussian test matrix
  int num_threads = 0;       // 0 = std::thread::hardware_concurrency()
  bool compute_left = true;  // false leaves TruncatedSvd::u empty (saves an m × k product)
};

struct TruncatedSvd {
  Eigen::MatrixXf u;                // m × k, orthonormal columns (empty unless compute_left)
  Eigen::VectorXf singular_values;  // size k, descending, >= 0
  Eigen::MatrixXf v;                // n × k, orthonormal columns
};

// Number of Progress units RandomizedSvd adds: one per pass over A (2 + 2·power_iterations).
int RandomizedSvdPasses(const RandomizedSvdOptions& options);

// InvalidArgument for a rank outside 1..min(m, n), negative oversampling or power iterations.
// `progress`, when given, receives one unit per pass over A.
Result<TruncatedSvd> RandomizedSvd(const SparseRowMatrix& a, const RandomizedSvdOptions& options,
                                   Progress* progress = nullptr);

}  // namespace reco
