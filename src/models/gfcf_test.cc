#include "models/gfcf.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <cmath>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

using testing::LikesDataset;
using testing::RandomLikesDataset;

// Items i0 i1 i2 (+ hidden i3 when asked); u0: i0 i1, u1: i1 i2, u2: i0 (+ i3).
// Degrees: users 2, 2, 1; items 2, 2, 1.
Dataset TinyDataset(bool with_hidden = false) {
  std::vector<std::pair<int, int>> likes = {{0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 0}};
  if (with_hidden) likes.emplace_back(2, 3);
  return LikesDataset(3, with_hidden ? 4 : 3, likes, with_hidden ? 3 : -1);
}

GfcfOptions Options(double alpha, int factors = 8) {
  GfcfOptions o;
  o.ideal_weight = alpha;
  o.factors = factors;
  o.num_threads = 1;
  return o;
}

std::vector<float> ScoresOf(const GfcfModel& m, std::vector<uint32_t> history) {
  std::vector<float> scores(m.num_items(), -1.0f);
  m.Score(history, scores);
  return scores;
}

TEST(Gfcf, LinearFilterMatchesHandComputedValues) {
  Result<GfcfModel> m = GfcfModel::Fit(TinyDataset(), Options(0.0));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->factors(), 0);
  // P~(i, j) = Σ_u R(u,i) R(u,j) / (d(u) · sqrt(d(i) d(j))).
  std::vector<float> a = ScoresOf(*m, {0});
  EXPECT_NEAR(a[0], (0.5 + 1.0) / 2.0, 1e-6);  // via u0 (d 2) and u2 (d 1), sqrt(2·2)
  EXPECT_NEAR(a[1], 0.5 / 2.0, 1e-6);          // via u0
  EXPECT_NEAR(a[2], 0.0, 1e-6);
  std::vector<float> c = ScoresOf(*m, {2});
  EXPECT_NEAR(c[0], 0.0, 1e-6);
  EXPECT_NEAR(c[1], 0.5 / std::sqrt(2.0), 1e-6);  // via u1 (d 2), sqrt(1·2)
  EXPECT_NEAR(c[2], 0.5, 1e-6);
}

TEST(Gfcf, ZeroExponentsGiveCoOccurrenceCounts) {
  GfcfOptions o = Options(0.0);
  o.user_exponent = 0;
  o.item_exponent = 0;
  o.spectral_norm = false;
  Result<GfcfModel> m = GfcfModel::Fit(TinyDataset(), o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ScoresOf(*m, {0, 2}), (std::vector<float>{2, 2, 1}));
}

TEST(Gfcf, HiddenItemsScoreZero) {
  Result<GfcfModel> m = GfcfModel::Fit(TinyDataset(/*with_hidden=*/true), Options(0.3));
  ASSERT_TRUE(m.ok());
  std::vector<float> s = ScoresOf(*m, {0});
  EXPECT_EQ(s[3], 0.0f);
  EXPECT_GT(s[0], 0.0f);
}

// Dense reference of the whole score: R~ = D_U^-a R D_I^-b, exact SVD, P~ = R~ᵀR~ divided by its
// largest eigenvalue when spectral_norm, s0 = r P~ + alpha · r D^-b V Vᵀ D^b, then sharpening by
// the exact exponential s0 · exp(−T P~).
Eigen::MatrixXd DenseReference(const Dataset& d, const GfcfOptions& o,
                               const std::vector<std::vector<uint32_t>>& histories) {
  const auto nu = static_cast<Eigen::Index>(d.num_users());
  const auto ni = static_cast<Eigen::Index>(d.num_items());
  Eigen::MatrixXd r = Eigen::MatrixXd::Zero(nu, ni);
  for (uint32_t u = 0; u < nu; ++u) {
    for (uint32_t i : d.UserItems(u)) r(u, i) = 1;
  }
  Eigen::VectorXd du = r.rowwise().sum(), di = r.colwise().sum().transpose();
  Eigen::VectorXd di_neg(ni), di_pos(ni);
  for (Eigen::Index i = 0; i < ni; ++i) {
    di_neg[i] = di[i] > 0 ? std::pow(di[i], -o.item_exponent) : 0;
    di_pos[i] = di[i] > 0 ? std::pow(di[i], o.item_exponent) : 0;
  }
  Eigen::MatrixXd rt = r;
  for (Eigen::Index u = 0; u < nu; ++u) {
    rt.row(u) *= du[u] > 0 ? std::pow(du[u], -o.user_exponent) : 0;
  }
  rt = rt * di_neg.asDiagonal();
  Eigen::MatrixXd p = rt.transpose() * rt;
  if (o.spectral_norm)
    p /= Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(p).eigenvalues().maxCoeff();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(rt, Eigen::ComputeThinV);
  const Eigen::MatrixXd v = svd.matrixV().leftCols(o.factors);
  const Eigen::MatrixXd ideal = di_neg.asDiagonal() * v * v.transpose() * di_pos.asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(p);
  const Eigen::MatrixXd sharpen =
      eig.eigenvectors() *
      (-o.sharpen_time * eig.eigenvalues()).array().exp().matrix().asDiagonal() *
      eig.eigenvectors().transpose();
  Eigen::MatrixXd out(Eigen::Index(histories.size()), ni);
  for (size_t b = 0; b < histories.size(); ++b) {
    Eigen::RowVectorXd x = Eigen::RowVectorXd::Zero(ni);
    for (uint32_t h : histories[b]) x[h] = 1;
    out.row(Eigen::Index(b)) = (x * p + o.ideal_weight * x * ideal) * sharpen;
  }
  return out;
}

void ExpectMatchesReference(const GfcfOptions& o, double tolerance) {
  const Dataset d = RandomLikesDataset(40, 25, 6, 5);
  Result<GfcfModel> m = GfcfModel::Fit(d, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const std::vector<std::vector<uint32_t>> histories = {{0, 3, 7}, {1}, {2, 4, 8, 16, 24}, {}};
  const Eigen::MatrixXd expected = DenseReference(d, o, histories);
  std::vector<std::span<const uint32_t>> spans(histories.begin(), histories.end());
  std::vector<float> batch(histories.size() * m->num_items());
  m->ScoreBatch(spans, batch);
  for (size_t b = 0; b < histories.size(); ++b) {
    std::vector<float> single = ScoresOf(*m, histories[b]);
    for (size_t j = 0; j < m->num_items(); ++j) {
      EXPECT_NEAR(batch[b * m->num_items() + j], expected(Eigen::Index(b), Eigen::Index(j)),
                  tolerance)
          << "history " << b << " item " << j;
      EXPECT_NEAR(single[j], batch[b * m->num_items() + j], 1e-6);  // GEMM order differs
    }
  }
}

TEST(Gfcf, IdealFilterMatchesDenseReference) {
  GfcfOptions o = Options(0.7, 6);
  o.oversampling = 30;  // the sketch covers all 25 items: the SVD is exact
  ExpectMatchesReference(o, 2e-4);
}

TEST(Gfcf, OtherExponentsMatchDenseReference) {
  GfcfOptions o = Options(0.5, 4);
  o.user_exponent = 0.8;
  o.item_exponent = 0.3;
  o.oversampling = 30;
  ExpectMatchesReference(o, 2e-4);
}

TEST(Gfcf, WithoutSpectralNormOtherExponentsUseTheRawFilter) {
  GfcfOptions o = Options(0.5, 4);
  o.user_exponent = 0.8;
  o.item_exponent = 0.3;
  o.oversampling = 30;
  o.spectral_norm = false;
  ExpectMatchesReference(o, 2e-4);
}

TEST(Gfcf, SpectralNormIsOneOverTheLargestEigenvalue) {
  const Dataset d = RandomLikesDataset(40, 25, 6, 5);
  GfcfOptions o = Options(0.0);
  Result<GfcfModel> symmetric = GfcfModel::Fit(d, o);
  o.user_exponent = 0.2;
  o.item_exponent = 0.1;
  Result<GfcfModel> skewed = GfcfModel::Fit(d, o);
  ASSERT_TRUE(symmetric.ok() && skewed.ok());
  EXPECT_NEAR(symmetric->linear_scale(), 1.0, 1e-5);  // a = b = 0.5: λ1 of P~ is 1
  // R~ = D_U^-0.2 R D_I^-0.1 by hand; λ1 of R~ᵀR~ from a dense solver.
  Eigen::MatrixXd r =
      Eigen::MatrixXd::Zero(Eigen::Index(d.num_users()), Eigen::Index(d.num_items()));
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    for (uint32_t i : d.UserItems(u)) {
      r(u, i) = std::pow(double(d.UserItems(u).size()), -0.2) *
                std::pow(double(d.ItemUsers(i).size()), -0.1);
    }
  }
  const double lambda =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(r.transpose() * r).eigenvalues().maxCoeff();
  EXPECT_GT(lambda, 2.0);
  EXPECT_NEAR(skewed->linear_scale() * lambda, 1.0, 1e-4);
}

TEST(Gfcf, SharpeningApproximatesTheMatrixExponential) {
  GfcfOptions o = Options(0.3, 6);
  o.oversampling = 30;
  o.sharpen_time = 1.5;
  o.sharpen_steps = 8;  // RK4 error at h = 0.19 is far below the tolerance
  ExpectMatchesReference(o, 5e-4);
}

TEST(Gfcf, EulerSharpeningIsOneFilterStepPerStep) {
  const Dataset d = TinyDataset();
  GfcfOptions o = Options(0.0);
  Result<GfcfModel> plain = GfcfModel::Fit(d, o);
  o.sharpen_time = 0.5;
  o.sharpen_solver = SharpenSolver::kEuler;
  Result<GfcfModel> sharp = GfcfModel::Fit(d, o);
  ASSERT_TRUE(plain.ok() && sharp.ok());
  // s = s0 − 0.5·s0·P~ with s0 = e_a·P~ = (0.75, 0.25, 0): s0·P~ from the hand-computed rows
  // P~(a) = (0.75, 0.25, 0), P~(b) = (0.25, 0.25 + 0.25, 0.5/sqrt(2)).
  const std::vector<float> s0 = ScoresOf(*plain, {0});
  const std::vector<float> s0_p = {0.75f * 0.75f + 0.25f * 0.25f, 0.75f * 0.25f + 0.25f * 0.5f,
                                   0.25f * 0.5f / std::sqrt(2.0f)};
  const std::vector<float> s = ScoresOf(*sharp, {0});
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(s[j], s0[j] - 0.5f * s0_p[j], 1e-6) << j;
}

TEST(Gfcf, BatchOfThirtyTwoMatchesSingleScores) {
  const Dataset d = RandomLikesDataset(60, 30, 5, 13);
  GfcfOptions o = Options(0.3, 6);
  o.sharpen_time = 1.0;
  Result<GfcfModel> m = GfcfModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  std::vector<std::vector<uint32_t>> histories(32);
  for (uint32_t r = 0; r < 32; ++r) histories[r] = {r % 30, (r * 7 + 3) % 30};
  std::vector<std::span<const uint32_t>> spans(histories.begin(), histories.end());
  const size_t n = m->num_items();
  std::vector<float> batch(32 * n);
  m->ScoreBatch(spans, batch);
  for (size_t r = 0; r < 32; ++r) {
    const std::vector<float> single = ScoresOf(*m, histories[r]);
    for (size_t j = 0; j < n; ++j) EXPECT_NEAR(batch[r * n + j], single[j], 1e-5) << r << " " << j;
  }
}

TEST(Gfcf, FactorsAreClampedToTheMatrixSize) {
  Result<GfcfModel> m = GfcfModel::Fit(TinyDataset(), Options(0.3, 256));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->factors(), 3);
  ASSERT_EQ(m->singular_values().size(), 3u);
  EXPECT_NEAR(m->singular_values()[0], 1.0, 1e-5);  // the top singular value of R~ is 1
}

TEST(Gfcf, SaveLoadRoundTripGivesIdenticalScores) {
  const Dataset d = RandomLikesDataset(30, 20, 5, 9, /*hidden_every=*/7);
  GfcfOptions o = Options(0.3, 5);
  o.sharpen_time = 0.5;
  o.sharpen_solver = SharpenSolver::kEuler;
  Result<GfcfModel> m = GfcfModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  testing::TempDir dir;
  const auto path = dir.path() / "gfcf.model";
  ASSERT_TRUE(m->Save(path, 1234).ok());
  Result<GfcfModel> loaded = GfcfModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->info().snapshot_id, d.snapshot_id());
  EXPECT_EQ(loaded->factors(), 5);
  EXPECT_EQ(loaded->sharpen_time(), 0.5);
  EXPECT_EQ(loaded->sharpen_solver(), SharpenSolver::kEuler);
  for (std::vector<uint32_t> h : {std::vector<uint32_t>{0, 1}, {5, 9, 13}, {19}}) {
    EXPECT_EQ(ScoresOf(*loaded, h), ScoresOf(*m, h));
  }
  const std::string payload = m->Serialize();
  EXPECT_FALSE(GfcfModel::Deserialize(payload.substr(0, payload.size() - 3)).ok());
  // A payload written before the linear scale existed (no trailing field) loads with scale 1.
  Result<GfcfModel> old = GfcfModel::Deserialize(payload.substr(0, payload.size() - 8));
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->linear_scale(), 1.0);
}

TEST(Gfcf, BadOptionsAreErrors) {
  const Dataset d = TinyDataset();
  auto field_of = [&](GfcfOptions o) { return GfcfModel::Fit(d, o).status().field(); };
  GfcfOptions o = Options(0.3);
  o.factors = 0;
  EXPECT_EQ(field_of(o), "gfcf.factors");
  o = Options(-0.1);
  EXPECT_EQ(field_of(o), "gfcf.alpha");
  o = Options(0.3);
  o.user_exponent = -1;
  EXPECT_EQ(field_of(o), "gfcf.user_exponent");
  o = Options(0.3);
  o.item_exponent = std::nan("");
  EXPECT_EQ(field_of(o), "gfcf.item_exponent");
  o = Options(0.3);
  o.power_iterations = 21;
  EXPECT_EQ(field_of(o), "gfcf.power_iterations");
  o = Options(0.3);
  o.oversampling = -1;
  EXPECT_EQ(field_of(o), "gfcf.oversampling");
  o = Options(0.3);
  o.sharpen_time = -1;
  EXPECT_EQ(field_of(o), "gfcf.sharpen_time");
  o = Options(0.3);
  o.sharpen_steps = 0;
  EXPECT_EQ(field_of(o), "gfcf.sharpen_steps");
}

}  // namespace
}  // namespace reco
