#include "models/ials.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

using testing::LikesDataset;
using testing::RandomLikesDataset;

IalsOptions Options(int factors, int iterations, int cg_steps, int threads = 1) {
  IalsOptions o;
  o.factors = factors;
  o.iterations = iterations;
  o.cg_steps = cg_steps;
  o.regularization = 0.1;
  o.alpha = 5.0;
  o.init_stddev = 0.1;
  o.num_threads = threads;
  return o;
}

// The exact ALS solution for one row: (FᵀF + reg·I + alpha·Σ_{i∈S} fᵢfᵢᵀ) x = (1+alpha)·Σ fᵢ.
Eigen::VectorXd ExactRow(const std::vector<std::span<const float>>& others,
                         std::span<const uint32_t> positives, double reg, double alpha) {
  const int k = static_cast<int>(others[0].size());
  Eigen::MatrixXd a = reg * Eigen::MatrixXd::Identity(k, k);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  for (const auto& f : others) {
    Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXf>(f.data(), k).cast<double>();
    a += v * v.transpose();
  }
  for (uint32_t i : positives) {
    Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXf>(others[i].data(), k).cast<double>();
    a += alpha * v * v.transpose();
    b += (1 + alpha) * v;
  }
  return a.ldlt().solve(b);
}

TEST(Ials, FullConjugateGradientSolvesItemNormalEquations) {
  Dataset d = RandomLikesDataset(40, 25, 5, 8);
  const IalsOptions o = Options(4, 3, /*cg_steps=*/8);
  Result<IalsModel> m = IalsModel::Fit(d, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::span<const float>> users;
  for (uint32_t u = 0; u < d.num_users(); ++u) users.push_back(m->UserFactor(u));
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    Eigen::VectorXd exact = ExactRow(users, d.ItemUsers(i), o.regularization, o.alpha);
    auto y = m->ItemFactor(i);
    for (int f = 0; f < 4; ++f) EXPECT_NEAR(y[f], exact[f], 1e-3 * (1 + exact.norm()));
  }
}

TEST(Ials, ExactSolverSolvesItemNormalEquations) {
  Dataset d = RandomLikesDataset(40, 25, 5, 8);
  IalsOptions o = Options(4, 3, /*cg_steps=*/1);  // cg_steps plays no part
  o.solver = IalsSolver::kExact;
  Result<IalsModel> m = IalsModel::Fit(d, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::span<const float>> users;
  for (uint32_t u = 0; u < d.num_users(); ++u) users.push_back(m->UserFactor(u));
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    Eigen::VectorXd exact = ExactRow(users, d.ItemUsers(i), o.regularization, o.alpha);
    auto y = m->ItemFactor(i);
    for (int f = 0; f < 4; ++f) EXPECT_NEAR(y[f], exact[f], 1e-4 * (1 + exact.norm()));
  }
}

TEST(Ials, FoldInIsTheExactUserStep) {
  Dataset d = RandomLikesDataset(40, 25, 5, 9);
  const IalsOptions o = Options(6, 4, 3);
  Result<IalsModel> m = IalsModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  std::vector<std::span<const float>> items;
  for (uint32_t i = 0; i < d.num_items(); ++i) items.push_back(m->ItemFactor(i));
  for (uint32_t u = 0; u < 5; ++u) {
    Eigen::VectorXd exact = ExactRow(items, d.UserItems(u), o.regularization, o.alpha);
    std::vector<float> x = m->FoldIn(d.UserItems(u));
    ASSERT_EQ(x.size(), 6u);
    for (int f = 0; f < 6; ++f) EXPECT_NEAR(x[f], exact[f], 1e-3 * (1 + exact.norm()));
  }
  EXPECT_EQ(m->FoldIn({}), std::vector<float>(6, 0.0f));
}

TEST(Ials, RanksItemsOfTheUsersOwnCommunityFirst) {
  // Users 0..9 like items 0..4, users 10..19 like items 5..9; user 0 lacks item 4.
  std::vector<std::pair<int, int>> likes;
  for (int u = 0; u < 20; ++u) {
    for (int i = u < 10 ? 0 : 5; i < (u < 10 ? 5 : 10); ++i) {
      if (!(u == 0 && i == 4)) likes.emplace_back(u, i);
    }
  }
  Dataset d = LikesDataset(20, 10, likes);
  Result<IalsModel> m = IalsModel::Fit(d, Options(4, 10, 3));
  ASSERT_TRUE(m.ok());
  std::vector<float> scores(10);
  m->Score(m->FoldIn(d.UserItems(0)), scores);
  for (int j = 5; j < 10; ++j) EXPECT_GT(scores[4], scores[j]) << j;
  m->Score(m->UserFactor(0), scores);
  for (int j = 5; j < 10; ++j) EXPECT_GT(scores[4], scores[j]) << j;
}

TEST(Ials, SeededFitIsReproducibleAndIndependentOfThreadCount) {
  Dataset d = RandomLikesDataset(60, 30, 6, 10);
  Result<IalsModel> a = IalsModel::Fit(d, Options(8, 3, 3, 1));
  Result<IalsModel> b = IalsModel::Fit(d, Options(8, 3, 3, 3));
  IalsOptions other_seed = Options(8, 3, 3, 1);
  other_seed.seed = 2;
  Result<IalsModel> c = IalsModel::Fit(d, other_seed);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    auto fa = a->ItemFactor(i);
    auto fb = b->ItemFactor(i);
    ASSERT_TRUE(std::equal(fa.begin(), fa.end(), fb.begin(), fb.end()));
  }
  auto f0 = a->ItemFactor(0);
  auto g0 = c->ItemFactor(0);
  EXPECT_FALSE(std::equal(f0.begin(), f0.end(), g0.begin(), g0.end()));
}

TEST(Ials, RejectsBadOptions) {
  Dataset d = RandomLikesDataset(10, 10, 3, 1);
  EXPECT_EQ(IalsModel::Fit(d, Options(0, 3, 3)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IalsModel::Fit(d, Options(4, 0, 3)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IalsModel::Fit(d, Options(4, 3, 0)).status().code(), StatusCode::kInvalidArgument);
  IalsOptions o = Options(4, 3, 3);
  o.alpha = 0;
  EXPECT_EQ(IalsModel::Fit(d, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ials, SaveLoadGivesIdenticalScores) {
  Dataset d = RandomLikesDataset(50, 40, 6, 12);
  Result<IalsModel> m = IalsModel::Fit(d, Options(8, 4, 3, 2));
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("ials");
  auto path = dir.path() / "m.rmdl";
  ASSERT_TRUE(m->Save(path, 3).ok());
  Result<IalsModel> loaded = IalsModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->user_ids(), m->user_ids());
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->factors(), 8);
  std::vector<float> s1(d.num_items()), s2(d.num_items());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    m->Score(m->FoldIn(d.UserItems(u)), s1);
    loaded->Score(loaded->FoldIn(d.UserItems(u)), s2);
    ASSERT_EQ(s1, s2);
  }
  std::string payload = m->Serialize();
  EXPECT_EQ(IalsModel::Deserialize(payload.substr(0, payload.size() - 1)).status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace reco
