#include "models/itemcf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

using testing::RandomLikesDataset;

// u1: a b c, u2: a b, u3: b c, u4: a; h (hidden) is liked by u1 and u2.
Dataset SmallDataset() {
  DatasetBuilder b;
  for (const char* id : {"a", "b", "c"}) b.AddItem(id);
  b.AddItem("h", /*is_hidden=*/true);
  const std::pair<const char*, const char*> likes[] = {
      {"u1", "a"}, {"u1", "b"}, {"u1", "c"}, {"u2", "a"}, {"u2", "b"},
      {"u3", "b"}, {"u3", "c"}, {"u4", "a"}, {"u1", "h"}, {"u2", "h"}};
  for (auto [user, item] : likes) {
    Feedback f;
    f.feedback_type = "like";
    f.user_id = user;
    f.item_id = item;
    b.AddFeedback(f);
  }
  return std::move(b).Build();
}

std::map<std::string, float> NeighborsOf(const ItemCfModel& m, const Dataset& d,
                                         const std::string& id) {
  std::map<std::string, float> out;
  uint32_t i = d.ItemIndex(id);
  auto ids = m.NeighborIds(i);
  auto sims = m.NeighborSims(i);
  for (size_t k = 0; k < ids.size(); ++k) out[m.item_ids()[ids[k]]] = sims[k];
  return out;
}

ItemCfOptions Options(int k, double shrinkage, int threads = 1) {
  ItemCfOptions o;
  o.neighbors = k;
  o.shrinkage = shrinkage;
  o.num_threads = threads;
  return o;
}

TEST(ItemCf, CosineWithShrinkageMatchesHandComputedValues) {
  Dataset d = SmallDataset();
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(10, 1.0));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // |U_a| = 3 (u1 u2 u4), |U_b| = 3 (u1 u2 u3), |U_c| = 2 (u1 u3), |U_h| = 2 (u1 u2).
  auto a = NeighborsOf(*m, d, "a");
  ASSERT_EQ(a.size(), 2u);  // never itself, never the hidden h
  EXPECT_NEAR(a["b"], 2.0 / (3.0 + 1.0), 1e-6);
  EXPECT_NEAR(a["c"], 1.0 / (std::sqrt(6.0) + 1.0), 1e-6);
  auto b = NeighborsOf(*m, d, "b");
  EXPECT_NEAR(b["c"], 2.0 / (std::sqrt(6.0) + 1.0), 1e-6);
  // Most similar first: for b, c (0.580) before a (0.5).
  ASSERT_EQ(m->NeighborIds(d.ItemIndex("b")).size(), 2u);
  EXPECT_EQ(m->NeighborIds(d.ItemIndex("b"))[0], d.ItemIndex("c"));
  EXPECT_EQ(m->NeighborIds(d.ItemIndex("b"))[1], d.ItemIndex("a"));
  // A hidden item still gets neighbours of its own.
  auto h = NeighborsOf(*m, d, "h");
  EXPECT_NEAR(h["a"], 2.0 / (std::sqrt(6.0) + 1.0), 1e-6);
}

TEST(ItemCf, KeepsOnlyTopKNeighbors) {
  Dataset d = SmallDataset();
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(1, 1.0));
  ASSERT_TRUE(m.ok());
  auto ids = m->NeighborIds(d.ItemIndex("a"));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], d.ItemIndex("b"));
  EXPECT_TRUE(m->NeighborIds(1000).empty());
  EXPECT_TRUE(m->NeighborSims(1000).empty());
}

TEST(ItemCf, RejectsBadOptions) {
  Dataset d = SmallDataset();
  EXPECT_EQ(ItemCfModel::Fit(d, Options(0, 1.0)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ItemCfModel::Fit(d, Options(5, -1.0)).status().code(), StatusCode::kInvalidArgument);
}

TEST(ItemCf, MatchesBruteForceAndIsIndependentOfThreadCount) {
  Dataset d = RandomLikesDataset(300, 120, 12, 12345, /*hidden_every=*/17);
  Result<ItemCfModel> one = ItemCfModel::Fit(d, Options(5, 10.0, 1));
  Result<ItemCfModel> four = ItemCfModel::Fit(d, Options(5, 10.0, 4));
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(four.ok());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    auto ids = one->NeighborIds(i);
    ASSERT_TRUE(std::equal(ids.begin(), ids.end(), four->NeighborIds(i).begin(),
                           four->NeighborIds(i).end()));
    // Brute force: the best similarity over all visible j != i equals the first neighbour's.
    double best = 0;
    for (uint32_t j = 0; j < d.num_items(); ++j) {
      if (j == i || d.item_hidden(j)) continue;
      auto ui = d.ItemUsers(i);
      auto uj = d.ItemUsers(j);
      std::vector<uint32_t> common;
      std::set_intersection(ui.begin(), ui.end(), uj.begin(), uj.end(), std::back_inserter(common));
      double sim = common.size() / (std::sqrt(double(ui.size()) * uj.size()) + 10.0);
      best = std::max(best, sim);
    }
    if (best == 0) {
      EXPECT_TRUE(ids.empty());
    } else {
      ASSERT_FALSE(ids.empty());
      EXPECT_NEAR(one->NeighborSims(i)[0], best, 1e-5);
      EXPECT_TRUE(std::is_sorted(one->NeighborSims(i).begin(), one->NeighborSims(i).end(),
                                 std::greater<float>()));
      for (uint32_t j : ids) EXPECT_FALSE(d.item_hidden(j));
    }
  }
}

TEST(ItemCf, SaveLoadGivesIdenticalNeighbors) {
  Dataset d = RandomLikesDataset(200, 80, 10, 7, /*hidden_every=*/17);
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(8, 5.0, 2));
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("itemcf");
  auto path = dir.path() / "i.rmdl";
  ASSERT_TRUE(m->Save(path, 5).ok());
  Result<ItemCfModel> loaded = ItemCfModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->item_ids(), m->item_ids());
  EXPECT_EQ(loaded->neighbors(), 8);
  EXPECT_EQ(loaded->shrinkage(), 5.0);
  for (uint32_t i = 0; i < m->num_items(); ++i) {
    auto a = m->NeighborIds(i);
    auto b = loaded->NeighborIds(i);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    auto sa = m->NeighborSims(i);
    auto sb = loaded->NeighborSims(i);
    ASSERT_TRUE(std::equal(sa.begin(), sa.end(), sb.begin(), sb.end()));
  }
}

TEST(ItemCf, CorruptPayloadsAreRejectedWithoutCrashing) {
  Dataset d = RandomLikesDataset(50, 30, 6, 99, /*hidden_every=*/17);
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(4, 1.0, 1));
  ASSERT_TRUE(m.ok());
  const std::string payload = m->Serialize();
  ASSERT_TRUE(ItemCfModel::Deserialize(payload).ok());
  for (size_t len = 0; len < payload.size(); len += 7) {
    EXPECT_FALSE(ItemCfModel::Deserialize(std::string_view(payload).substr(0, len)).ok());
  }
  std::mt19937 rng(2024);
  int rejected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = payload;
    size_t pos = rng() % bad.size();
    bad[pos] = static_cast<char>(rng());
    Result<ItemCfModel> r = ItemCfModel::Deserialize(bad);
    if (!r.ok()) {
      ++rejected;
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    } else {
      for (uint32_t i = 0; i < r->num_items(); ++i) {
        for (uint32_t j : r->NeighborIds(i)) ASSERT_LT(j, r->num_items());
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace reco
