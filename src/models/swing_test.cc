#include "models/swing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"
#include "models/testing/neighbor_model_checks.h"

namespace reco {
namespace {

using testing::LikesDataset;
using testing::RandomLikesDataset;

// u0: i0 i1 i2, u1: i0 i1, u2: i0 i1 i3, u3: i1 i2.
Dataset SmallDataset(int hidden_item = -1) {
  return LikesDataset(
      4, 4, {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {2, 3}, {3, 1}, {3, 2}},
      hidden_item);
}

// alpha 0.5, w_u = (|I_u| + 1)^-0.5: w0 = w2 = 1/2, w1 = w3 = 1/sqrt(3).
SwingOptions SmallOptions(int threads = 1) {
  return {.alpha = 0.5,
          .user_offset = 1.0,
          .user_exponent = 0.5,
          .neighbors = 10,
          .normalize = false,
          .num_threads = threads};
}

std::map<uint32_t, float> NeighborsOf(const SwingModel& m, uint32_t i) {
  std::map<uint32_t, float> out;
  auto ids = m.NeighborIds(i);
  auto sims = m.NeighborSims(i);
  for (size_t k = 0; k < ids.size(); ++k) out[ids[k]] = sims[k];
  return out;
}

TEST(Swing, MatchesHandComputedSimilarities) {
  Dataset d = SmallDataset();
  Result<SwingModel> m = SwingModel::Fit(d, SmallOptions());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const double r3 = std::sqrt(3.0);
  // sim(i0, i1): pairs of {u0, u1, u2}, each sharing exactly {i0, i1} (denominator 0.5 + 2).
  const double s01 = (0.5 / r3 + 0.25 + 0.5 / r3) / 2.5;
  // sim(i1, i2): the pair {u0, u3} shares {i1, i2}.
  const double s12 = (0.5 / r3) / 2.5;
  auto n0 = NeighborsOf(*m, 0);
  ASSERT_EQ(n0.size(), 1u);  // i2 and i3 share a single user with i0: no pair
  EXPECT_NEAR(n0[1], s01, 1e-6);
  auto n1 = NeighborsOf(*m, 1);
  ASSERT_EQ(n1.size(), 2u);
  EXPECT_NEAR(n1[0], s01, 1e-6);
  EXPECT_NEAR(n1[2], s12, 1e-6);
  EXPECT_EQ(m->NeighborIds(1)[0], 0u);  // best first
  EXPECT_NEAR(NeighborsOf(*m, 2)[1], s12, 1e-6);
  EXPECT_TRUE(m->NeighborIds(3).empty());
  EXPECT_TRUE(m->NeighborIds(99).empty());
}

TEST(Swing, NormalizeDividesEachListByItsBestSimilarity) {
  Dataset d = SmallDataset();
  SwingOptions o = SmallOptions();
  o.normalize = true;
  Result<SwingModel> m = SwingModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  const double r3 = std::sqrt(3.0);
  const double s01 = (0.5 / r3 + 0.25 + 0.5 / r3) / 2.5;
  const double s12 = (0.5 / r3) / 2.5;
  auto n1 = NeighborsOf(*m, 1);
  EXPECT_NEAR(n1[0], 1.0, 1e-6);
  EXPECT_NEAR(n1[2], s12 / s01, 1e-6);
  EXPECT_NEAR(NeighborsOf(*m, 2)[1], 1.0, 1e-6);
  EXPECT_TRUE(SwingOptions().normalize);
}

TEST(Swing, ScoreSumsTheSimilaritiesOfTheHistory) {
  Dataset d = SmallDataset();
  Result<SwingModel> m = SwingModel::Fit(d, SmallOptions());
  ASSERT_TRUE(m.ok());
  std::vector<float> scores(4, -1.0f);
  const uint32_t history[] = {0, 2};
  m->Score(history, scores);
  const double r3 = std::sqrt(3.0);
  EXPECT_NEAR(scores[1], (0.5 / r3 + 0.25 + 0.5 / r3) / 2.5 + (0.5 / r3) / 2.5, 1e-6);
  EXPECT_EQ(scores[0], 0.0f);
  EXPECT_EQ(scores[3], 0.0f);
}

TEST(Swing, CapsLimitTheUsersOfAPair) {
  Dataset d = SmallDataset();
  SwingOptions o = SmallOptions();
  o.max_users_per_item = 2;  // i0 keeps users 0 and 1 of {u0, u1, u2}
  Result<SwingModel> m = SwingModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(NeighborsOf(*m, 0)[1], (0.5 / std::sqrt(3.0)) / 2.5, 1e-6);
  o = SmallOptions();
  o.max_user_items = 2;  // u0 and u2 (3 items) are left out: no pair shares two items
  m = SwingModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->num_neighbor_entries(), 0u);
}

TEST(Swing, NeverListsHiddenItemsButGivesThemNeighbors) {
  Dataset d = SmallDataset(/*hidden_item=*/2);
  Result<SwingModel> m = SwingModel::Fit(d, SmallOptions());
  ASSERT_TRUE(m.ok());
  auto n1 = NeighborsOf(*m, 1);
  EXPECT_EQ(n1.count(2), 0u);
  EXPECT_EQ(n1.count(0), 1u);
  EXPECT_EQ(NeighborsOf(*m, 2).count(1), 1u);
}

TEST(Swing, RejectsBadOptions) {
  Dataset d = SmallDataset();
  auto code = [&](auto mutate) {
    SwingOptions o = SmallOptions();
    mutate(o);
    return SwingModel::Fit(d, o).status().code();
  };
  const StatusCode bad = StatusCode::kInvalidArgument;
  EXPECT_EQ(code([](SwingOptions& o) { o.alpha = -1; }), bad);
  EXPECT_EQ(code([](SwingOptions& o) { o.user_offset = NAN; }), bad);
  EXPECT_EQ(code([](SwingOptions& o) { o.user_exponent = -0.5; }), bad);
  EXPECT_EQ(code([](SwingOptions& o) { o.neighbors = 0; }), bad);
  EXPECT_EQ(code([](SwingOptions& o) { o.max_users_per_item = 1; }), bad);
  EXPECT_EQ(code([](SwingOptions& o) { o.max_user_items = -1; }), bad);
}

// The definition, pair by pair, with sorted-set intersections.
double BruteForceSwing(const Dataset& d, uint32_t i, uint32_t j, const SwingOptions& o) {
  auto ui = d.ItemUsers(i);
  auto uj = d.ItemUsers(j);
  std::vector<uint32_t> both;
  std::set_intersection(ui.begin(), ui.end(), uj.begin(), uj.end(), std::back_inserter(both));
  double sim = 0;
  for (size_t a = 0; a < both.size(); ++a) {
    for (size_t b = a + 1; b < both.size(); ++b) {
      auto iu = d.UserItems(both[a]);
      auto iv = d.UserItems(both[b]);
      std::vector<uint32_t> common;
      std::set_intersection(iu.begin(), iu.end(), iv.begin(), iv.end(), std::back_inserter(common));
      const double wu = std::pow(double(iu.size()) + o.user_offset, -o.user_exponent);
      const double wv = std::pow(double(iv.size()) + o.user_offset, -o.user_exponent);
      sim += wu * wv / (o.alpha + double(common.size()));
    }
  }
  return sim;
}

TEST(Swing, MatchesBruteForceAndIsIndependentOfThreadCount) {
  Dataset d = RandomLikesDataset(150, 60, 8, 4242, /*hidden_every=*/13);
  SwingOptions o{
      .alpha = 2.0, .user_exponent = 0.3, .neighbors = 1000, .normalize = false, .num_threads = 1};
  Result<SwingModel> one = SwingModel::Fit(d, o);
  o.num_threads = 3;
  Result<SwingModel> three = SwingModel::Fit(d, o);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(three.ok());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    auto ids = one->NeighborIds(i);
    ASSERT_TRUE(std::equal(ids.begin(), ids.end(), three->NeighborIds(i).begin(),
                           three->NeighborIds(i).end()));
    auto got = NeighborsOf(*one, i);
    for (uint32_t j = 0; j < d.num_items(); ++j) {
      if (j == i || d.item_hidden(j)) {
        EXPECT_EQ(got.count(j), 0u);
        continue;
      }
      const double want = BruteForceSwing(d, i, j, o);
      if (want == 0) {
        EXPECT_EQ(got.count(j), 0u) << i << " " << j;
      } else {
        ASSERT_EQ(got.count(j), 1u) << i << " " << j;
        EXPECT_NEAR(got[j], want, 1e-5 * want) << i << " " << j;
      }
    }
  }
}

TEST(Swing, SaveLoadGivesIdenticalModel) {
  Dataset d = RandomLikesDataset(120, 50, 8, 77, /*hidden_every=*/11);
  SwingOptions o{.alpha = 3.0,
                 .user_offset = 2.0,
                 .user_exponent = 0.4,
                 .neighbors = 6,
                 .max_users_per_item = 20,
                 .max_user_items = 7,
                 .normalize = false,
                 .num_threads = 2};
  Result<SwingModel> m = SwingModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  ASSERT_GT(m->num_neighbor_entries(), 0u);
  testing::TempDir dir("swing");
  auto path = dir.path() / "s.rmdl";
  ASSERT_TRUE(m->Save(path, 11).ok());
  Result<SwingModel> loaded = SwingModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->info().created, 11);
  EXPECT_EQ(loaded->info().snapshot_id, d.snapshot_id());
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->options().alpha, 3.0);
  EXPECT_EQ(loaded->options().user_offset, 2.0);
  EXPECT_EQ(loaded->options().user_exponent, 0.4);
  EXPECT_EQ(loaded->options().neighbors, 6);
  EXPECT_EQ(loaded->options().max_users_per_item, 20);
  EXPECT_EQ(loaded->options().max_user_items, 7);
  EXPECT_FALSE(loaded->options().normalize);
  testing::ExpectSameNeighborLists(*m, *loaded);
}

TEST(Swing, CorruptPayloadsAreRejectedWithoutCrashing) {
  Dataset d = RandomLikesDataset(50, 30, 6, 99, /*hidden_every=*/17);
  Result<SwingModel> m = SwingModel::Fit(d, SmallOptions());
  ASSERT_TRUE(m.ok());
  const std::string payload = m->Serialize();
  ASSERT_TRUE(SwingModel::Deserialize(payload).ok());
  testing::ExpectCorruptPayloadsRejected<SwingModel>(payload, /*step=*/5, /*seed=*/7,
                                                     /*flips=*/1000);
}

}  // namespace
}  // namespace reco
