#include "models/ease.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

using testing::LikesDataset;
using testing::RandomLikesDataset;

EaseOptions Options(double lambda, int threads = 1) {
  EaseOptions o;
  o.lambda = lambda;
  o.num_threads = threads;
  return o;
}

TEST(Ease, TwoItemWeightsMatchHandComputedInverse) {
  // u0: i0 i1, u1: i0. XᵀX + I = [[3, 1], [1, 2]], P = [[2, -1], [-1, 3]] / 5.
  Dataset d = LikesDataset(2, 2, {{0, 0}, {0, 1}, {1, 0}});
  Result<EaseModel> m = EaseModel::Fit(d, Options(1.0));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // B(i, j) = -P(i, j) / P(j, j); diag(B) = 0.
  EXPECT_NEAR(m->Row(0)[1], 1.0 / 3.0, 1e-6);
  EXPECT_NEAR(m->Row(1)[0], 1.0 / 2.0, 1e-6);
  EXPECT_EQ(m->Row(0)[0], 0.0f);
  EXPECT_EQ(m->Row(1)[1], 0.0f);
  EXPECT_TRUE(m->Row(2).empty());
}

TEST(Ease, MatchesDenseClosedFormAndIsIndependentOfThreadCount) {
  Dataset d =
      RandomLikesDataset(150, 300, 9, 11);  // more items than users: lambda keeps it regular
  const double lambda = 20.0;
  Result<EaseModel> one = EaseModel::Fit(d, Options(lambda, 1));
  Result<EaseModel> two = EaseModel::Fit(d, Options(lambda, 2));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(two.ok());
  const int n = static_cast<int>(d.num_items());
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(static_cast<int>(d.num_users()), n);
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    for (uint32_t i : d.UserItems(u)) x(u, i) = 1.0;
  }
  Eigen::MatrixXd g = x.transpose() * x + lambda * Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd p = g.inverse();
  double max_err = 0;
  for (int i = 0; i < n; ++i) {
    auto row = one->Row(static_cast<uint32_t>(i));
    auto row2 = two->Row(static_cast<uint32_t>(i));
    ASSERT_TRUE(std::equal(row.begin(), row.end(), row2.begin(), row2.end()));
    for (int j = 0; j < n; ++j) {
      double expected = i == j ? 0.0 : -p(i, j) / p(j, j);
      max_err = std::max(max_err, std::abs(expected - row[j]));
    }
  }
  EXPECT_LT(max_err, 1e-4);
}

TEST(Ease, ScoresSumHistoryRowsAndZeroHiddenColumns) {
  Dataset d = LikesDataset(4, 4, {{0, 0}, {0, 1}, {0, 3}, {1, 0}, {1, 2}, {2, 1}, {2, 2}, {3, 3}},
                           /*hidden_item=*/3);
  Result<EaseModel> m = EaseModel::Fit(d, Options(2.0));
  ASSERT_TRUE(m.ok());
  std::vector<float> scores(4);
  std::vector<uint32_t> history = {0, 2};
  m->Score(history, scores);
  for (uint32_t j = 0; j < 4; ++j) EXPECT_FLOAT_EQ(scores[j], m->Row(0)[j] + m->Row(2)[j]);
  EXPECT_EQ(scores[3], 0.0f);  // hidden
  EXPECT_GT(scores[1], 0.0f);  // i1 co-occurs with both i0 and i2
}

TEST(Ease, MemoryGuardRefusesOverBudget) {
  Dataset d = RandomLikesDataset(20, 50, 4, 5);
  EaseOptions o = Options(10.0);
  o.max_memory_bytes = EaseModel::FitMemoryBytes(50) - 1;
  Result<EaseModel> m = EaseModel::Fit(d, o);
  ASSERT_EQ(m.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(m.status().message().find("50 items"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("max_memory_bytes"), std::string::npos);
  EXPECT_EQ(EaseModel::FitMemoryBytes(40981), uint64_t{2} * 40981 * 40981 * 4);
  o.max_memory_bytes = EaseModel::FitMemoryBytes(50);
  EXPECT_TRUE(EaseModel::Fit(d, o).ok());
}

TEST(Ease, RejectsNonPositiveLambda) {
  Dataset d = RandomLikesDataset(20, 10, 4, 5);
  EXPECT_EQ(EaseModel::Fit(d, Options(0.0)).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ease, SaveLoadGivesIdenticalScores) {
  Dataset d = RandomLikesDataset(100, 60, 8, 21);
  Result<EaseModel> m = EaseModel::Fit(d, Options(5.0, 2));
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("ease");
  auto path = dir.path() / "e.rmdl";
  ASSERT_TRUE(m->Save(path, 9).ok());
  Result<EaseModel> loaded = EaseModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->lambda(), 5.0);
  std::vector<float> s1(d.num_items()), s2(d.num_items());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    m->Score(d.UserItems(u), s1);
    loaded->Score(d.UserItems(u), s2);
    ASSERT_EQ(s1, s2);
  }
  std::string payload = m->Serialize();
  EXPECT_EQ(EaseModel::Deserialize(payload.substr(0, payload.size() - 4)).status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace reco
