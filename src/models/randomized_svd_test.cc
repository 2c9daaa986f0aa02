#include "models/randomized_svd.h"

#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <random>
#include <vector>

namespace reco {
namespace {

// A sparse m × n matrix with about `density` of its entries set to uniform(0, 1) values, plus a
// strong rank-3 block so that the leading singular values are well separated. Seeded.
SparseRowMatrix RandomSparse(int m, int n, double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<Eigen::Triplet<float>> entries;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      float v = unit(rng) < density ? unit(rng) : 0.0f;
      if (i % 3 == j % 3) v += 2.0f + static_cast<float>(i % 3);
      if (v != 0.0f) entries.emplace_back(i, j, v);
    }
  }
  SparseRowMatrix a(m, n);
  a.setFromTriplets(entries.begin(), entries.end());
  return a;
}

// Largest absolute entry of P1 − P2, the difference of the orthogonal projectors on the column
// spans of x and y: 0 when the subspaces are equal.
float ProjectorDistance(const Eigen::MatrixXf& x, const Eigen::MatrixXf& y) {
  return (x * x.transpose() - y * y.transpose()).cwiseAbs().maxCoeff();
}

TEST(RandomizedSvd, RecoversTheExactSvdWhenTheSketchCoversTheMatrix) {
  const SparseRowMatrix a = RandomSparse(30, 20, 0.3, 7);
  Eigen::JacobiSVD<Eigen::MatrixXf> exact(Eigen::MatrixXf(a),
                                          Eigen::ComputeThinU | Eigen::ComputeThinV);
  RandomizedSvdOptions o;
  o.rank = 5;
  o.oversampling = 15;  // k + p = 20 = min(m, n): the sketch spans the whole row space
  o.power_iterations = 0;
  o.num_threads = 2;
  Result<TruncatedSvd> svd = RandomizedSvd(a, o);
  ASSERT_TRUE(svd.ok()) << svd.status().ToString();
  ASSERT_EQ(svd->singular_values.size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(svd->singular_values[i], exact.singularValues()[i], 1e-3f) << i;
  }
  EXPECT_LT(ProjectorDistance(svd->v, exact.matrixV().leftCols(5)), 1e-3f);
  EXPECT_LT(ProjectorDistance(svd->u, exact.matrixU().leftCols(5)), 1e-3f);
  // The triplets reconstruct A's best rank-5 approximation.
  const Eigen::MatrixXf best = exact.matrixU().leftCols(5) *
                               exact.singularValues().head(5).asDiagonal() *
                               exact.matrixV().leftCols(5).transpose();
  const Eigen::MatrixXf mine = svd->u * svd->singular_values.asDiagonal() * svd->v.transpose();
  EXPECT_LT((best - mine).cwiseAbs().maxCoeff(), 1e-3f);
}

TEST(RandomizedSvd, PowerIterationsFindTheDominantSubspaceOfALargerMatrix) {
  const SparseRowMatrix a = RandomSparse(200, 150, 0.05, 11);
  Eigen::JacobiSVD<Eigen::MatrixXf> exact(Eigen::MatrixXf(a), Eigen::ComputeThinV);
  RandomizedSvdOptions o;
  o.rank = 3;
  o.oversampling = 5;
  o.power_iterations = 3;
  o.compute_left = false;
  Result<TruncatedSvd> svd = RandomizedSvd(a, o);
  ASSERT_TRUE(svd.ok()) << svd.status().ToString();
  EXPECT_EQ(svd->u.size(), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(svd->singular_values[i], exact.singularValues()[i],
                1e-3f * exact.singularValues()[0])
        << i;
  }
  EXPECT_LT(ProjectorDistance(svd->v, exact.matrixV().leftCols(3)), 1e-3f);
  // Orthonormal columns.
  EXPECT_LT((svd->v.transpose() * svd->v - Eigen::MatrixXf::Identity(3, 3)).cwiseAbs().maxCoeff(),
            1e-4f);
}

TEST(RandomizedSvd, SameSeedGivesSameResultAndProgressCountsPasses) {
  const SparseRowMatrix a = RandomSparse(40, 25, 0.2, 3);
  RandomizedSvdOptions o;
  o.rank = 4;
  o.oversampling = 4;
  o.power_iterations = 2;
  Progress progress("svd", 0, "passes", /*enabled=*/false);
  Result<TruncatedSvd> first = RandomizedSvd(a, o, &progress);
  Result<TruncatedSvd> second = RandomizedSvd(a, o);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(progress.done(), 6u);
  EXPECT_EQ(RandomizedSvdPasses(o), 6);
  EXPECT_EQ(first->singular_values, second->singular_values);
  EXPECT_EQ(first->v, second->v);
}

TEST(RandomizedSvd, RejectsBadOptions) {
  const SparseRowMatrix a = RandomSparse(10, 6, 0.5, 1);
  RandomizedSvdOptions o;
  o.rank = 7;  // > min(10, 6)
  EXPECT_EQ(RandomizedSvd(a, o).status().code(), StatusCode::kInvalidArgument);
  o.rank = 0;
  EXPECT_EQ(RandomizedSvd(a, o).status().code(), StatusCode::kInvalidArgument);
  o.rank = 2;
  o.oversampling = -1;
  EXPECT_EQ(RandomizedSvd(a, o).status().code(), StatusCode::kInvalidArgument);
  o.oversampling = 2;
  o.power_iterations = -1;
  EXPECT_EQ(RandomizedSvd(a, o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco
