#include "models/rp3beta.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

using testing::RandomLikesDataset;

// u1: a b c, u2: a b, u3: b c, u4: a; h (hidden) is liked by u4.
Dataset SmallDataset() { return testing::AbcLikesDataset({"u4"}); }

Rp3betaOptions Options(double alpha, double beta, int k, int threads = 1) {
  Rp3betaOptions o;
  o.alpha = alpha;
  o.beta = beta;
  o.neighbors = k;
  o.num_threads = threads;
  return o;
}

std::map<std::string, float> TargetsOf(const Rp3betaModel& m, const Dataset& d,
                                       const std::string& id) {
  std::map<std::string, float> out;
  auto ids = m.NeighborIds(d.ItemIndex(id));
  auto weights = m.NeighborWeights(d.ItemIndex(id));
  for (size_t k = 0; k < ids.size(); ++k) out[m.item_ids()[ids[k]]] = weights[k];
  return out;
}

TEST(Rp3beta, WalkProbabilitiesMatchHandComputedValues) {
  Dataset d = SmallDataset();
  // Degrees: u1 3, u2 2, u3 2, u4 2; a 3, b 3, c 2, h 1.
  Result<Rp3betaModel> m = Rp3betaModel::Fit(d, Options(1.0, 0.0, 10));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto a = TargetsOf(*m, d, "a");
  ASSERT_EQ(a.size(), 2u);  // never itself, never the hidden h
  EXPECT_NEAR(a["b"], (1.0 / 3) * (1.0 / 3 + 1.0 / 2), 1e-6);
  EXPECT_NEAR(a["c"], (1.0 / 3) * (1.0 / 3), 1e-6);
  auto c = TargetsOf(*m, d, "c");
  EXPECT_NEAR(c["b"], (1.0 / 2) * (1.0 / 3 + 1.0 / 2), 1e-6);
  // The hidden item walks to a through u4.
  auto h = TargetsOf(*m, d, "h");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NEAR(h["a"], 1.0 * (1.0 / 2), 1e-6);
}

TEST(Rp3beta, AlphaAndBetaExponentsApply) {
  Dataset d = SmallDataset();
  Result<Rp3betaModel> m = Rp3betaModel::Fit(d, Options(2.0, 0.5, 10));
  ASSERT_TRUE(m.ok());
  auto a = TargetsOf(*m, d, "a");
  EXPECT_NEAR(a["b"], (1.0 / 9) * (1.0 / 9 + 1.0 / 4) / std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(a["c"], (1.0 / 9) * (1.0 / 9) / std::sqrt(2.0), 1e-6);
  EXPECT_DOUBLE_EQ(m->alpha(), 2.0);
  EXPECT_DOUBLE_EQ(m->beta(), 0.5);
}

TEST(Rp3beta, KeepsTopKAndScoresByHistorySum) {
  Dataset d = SmallDataset();
  Result<Rp3betaModel> m = Rp3betaModel::Fit(d, Options(1.0, 0.0, 1));
  ASSERT_TRUE(m.ok());
  auto ids = m->NeighborIds(d.ItemIndex("a"));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], d.ItemIndex("b"));
  EXPECT_TRUE(m->NeighborIds(1000).empty());
  std::vector<uint32_t> history = {d.ItemIndex("a"), d.ItemIndex("c")};
  std::sort(history.begin(), history.end());
  std::vector<float> scores(d.num_items());
  m->Score(history, scores);
  // a -> b (5/18), c -> b (5/12): b gets both, the others nothing.
  EXPECT_NEAR(scores[d.ItemIndex("b")], 5.0 / 18 + 5.0 / 12, 1e-6);
  EXPECT_EQ(scores[d.ItemIndex("h")], 0.0f);
}

TEST(Rp3beta, RejectsBadOptions) {
  Dataset d = SmallDataset();
  EXPECT_EQ(Rp3betaModel::Fit(d, Options(0.0, 0.5, 5)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Rp3betaModel::Fit(d, Options(1.0, -1.0, 5)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Rp3betaModel::Fit(d, Options(1.0, 0.5, 0)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Rp3beta, IsIndependentOfThreadCount) {
  Dataset d = RandomLikesDataset(300, 120, 12, 3);
  Result<Rp3betaModel> one = Rp3betaModel::Fit(d, Options(0.8, 0.4, 7, 1));
  Result<Rp3betaModel> three = Rp3betaModel::Fit(d, Options(0.8, 0.4, 7, 3));
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(three.ok());
  ASSERT_EQ(one->num_neighbor_entries(), three->num_neighbor_entries());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    auto a = one->NeighborWeights(i);
    auto b = three->NeighborWeights(i);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    EXPECT_TRUE(std::is_sorted(a.begin(), a.end(), std::greater<float>()));
  }
}

TEST(Rp3beta, SaveLoadGivesIdenticalScores) {
  Dataset d = RandomLikesDataset(200, 80, 10, 7);
  Result<Rp3betaModel> m = Rp3betaModel::Fit(d, Options(1.0, 0.5, 8, 2));
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("rp3beta");
  auto path = dir.path() / "r.rmdl";
  ASSERT_TRUE(m->Save(path, 5).ok());
  Result<Rp3betaModel> loaded = Rp3betaModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->neighbors(), 8);
  std::vector<float> s1(d.num_items()), s2(d.num_items());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    m->Score(d.UserItems(u), s1);
    loaded->Score(d.UserItems(u), s2);
    ASSERT_EQ(s1, s2);
  }
  EXPECT_FALSE(Rp3betaModel::Deserialize(m->Serialize().substr(0, 40)).ok());
}

}  // namespace
}  // namespace reco
