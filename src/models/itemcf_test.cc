#include "models/itemcf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"
#include "models/binary_io.h"
#include "models/testing/neighbor_model_checks.h"

namespace reco {
namespace {

using testing::RandomLikesDataset;

// u1: a b c, u2: a b, u3: b c, u4: a; h (hidden) is liked by u1 and u2.
Dataset SmallDataset() { return testing::AbcLikesDataset({"u1", "u2"}); }

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
  testing::ExpectSameNeighborLists(*m, *loaded);
}

ItemCfOptions Variant(ItemCfSimilarity similarity, double alpha, ItemCfWeighting weighting,
                      double shrinkage = 0.0) {
  ItemCfOptions o = Options(10, shrinkage);
  o.similarity = similarity;
  o.asymmetric_alpha = alpha;
  o.weighting = weighting;
  return o;
}

TEST(ItemCf, AsymmetricCosineMatchesHandComputedValues) {
  Dataset d = SmallDataset();
  // a = 0.8: sim(i, j) = |U_i ∩ U_j| / (|U_i|^0.8 |U_j|^0.2 + 1).
  Result<ItemCfModel> m =
      ItemCfModel::Fit(d, Variant(ItemCfSimilarity::kAsymmetric, 0.8, ItemCfWeighting::kNone, 1.0));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto a = NeighborsOf(*m, d, "a");
  EXPECT_NEAR(a["b"], 2.0 / (std::pow(3.0, 0.8) * std::pow(3.0, 0.2) + 1.0), 1e-6);
  EXPECT_NEAR(a["c"], 1.0 / (std::pow(3.0, 0.8) * std::pow(2.0, 0.2) + 1.0), 1e-6);
  auto c = NeighborsOf(*m, d, "c");
  EXPECT_NEAR(c["a"], 1.0 / (std::pow(2.0, 0.8) * std::pow(3.0, 0.2) + 1.0), 1e-6);
  EXPECT_NEAR(c["b"], 2.0 / (std::pow(2.0, 0.8) * std::pow(3.0, 0.2) + 1.0), 1e-6);
  // a = 1 without shrinkage is the conditional probability |U_i ∩ U_j| / |U_i|.
  Result<ItemCfModel> p =
      ItemCfModel::Fit(d, Variant(ItemCfSimilarity::kAsymmetric, 1.0, ItemCfWeighting::kNone));
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR(NeighborsOf(*p, d, "c")["b"], 1.0, 1e-6);
  EXPECT_NEAR(NeighborsOf(*p, d, "b")["c"], 2.0 / 3.0, 1e-6);
  EXPECT_EQ(p->similarity(), ItemCfSimilarity::kAsymmetric);
  EXPECT_EQ(p->asymmetric_alpha(), 1.0);
}

// N = 4 items; |I_u1| = 4 (with h), |I_u2| = 3, |I_u3| = 2, |I_u4| = 1.
double Idf(int user_items) { return std::max(0.0, std::log(4.0 / (1.0 + user_items))); }

TEST(ItemCf, IdfWeightingMatchesHandComputedValues) {
  Dataset d = SmallDataset();
  Result<ItemCfModel> m =
      ItemCfModel::Fit(d, Variant(ItemCfSimilarity::kCosine, 0.5, ItemCfWeighting::kIdf));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // idf(u1) = max(0, ln 4/5) = 0: u1 contributes nothing.
  const double g2 = Idf(3) * Idf(3), g3 = Idf(2) * Idf(2), g4 = Idf(1) * Idf(1);
  ASSERT_EQ(Idf(4), 0.0);
  const double na = g2 + g4, nb = g2 + g3, nc = g3;  // |x_i|², U_a = u1 u2 u4, ...
  auto a = NeighborsOf(*m, d, "a");
  EXPECT_NEAR(a["b"], g2 / std::sqrt(na * nb), 1e-6);
  EXPECT_EQ(a.count("c"), 0u);  // only u1 likes a and c
  auto b = NeighborsOf(*m, d, "b");
  EXPECT_NEAR(b["c"], g3 / std::sqrt(nb * nc), 1e-6);
  EXPECT_EQ(m->weighting(), ItemCfWeighting::kIdf);
}

TEST(ItemCf, Bm25WeightingMatchesHandComputedValues) {
  Dataset d = SmallDataset();
  ItemCfOptions o = Variant(ItemCfSimilarity::kCosine, 0.5, ItemCfWeighting::kBm25, 0.5);
  o.bm25_k1 = 2.0;
  o.bm25_b = 0.5;
  Result<ItemCfModel> m = ItemCfModel::Fit(d, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // avgdl = 10 positives / 4 items = 2.5; f_i = 3 / (1 + 2 (0.5 + 0.5 |U_i| / 2.5)).
  auto f = [](double users) { return 3.0 / (1.0 + 2.0 * (0.5 + 0.5 * users / 2.5)); };
  const double fa = f(3), fb = f(3), fc = f(2);
  const double g2 = Idf(3) * Idf(3), g3 = Idf(2) * Idf(2), g4 = Idf(1) * Idf(1);
  const double na = fa * fa * (g2 + g4), nb = fb * fb * (g2 + g3), nc = fc * fc * g3;
  auto b = NeighborsOf(*m, d, "b");
  EXPECT_NEAR(b["a"], fa * fb * g2 / (std::sqrt(na * nb) + 0.5), 1e-6);
  EXPECT_NEAR(b["c"], fb * fc * g3 / (std::sqrt(nb * nc) + 0.5), 1e-6);
  EXPECT_EQ(m->bm25_k1(), 2.0);
  EXPECT_EQ(m->bm25_b(), 0.5);
}

TEST(ItemCf, ScoreSumsTheSimilaritiesOfTheHistory) {
  Dataset d = SmallDataset();
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(10, 1.0));
  ASSERT_TRUE(m.ok());
  std::vector<float> scores(d.num_items(), -1.0f);
  const uint32_t history[] = {d.ItemIndex("a"), d.ItemIndex("b")};
  m->Score(history, scores);
  EXPECT_NEAR(scores[d.ItemIndex("c")], 1.0 / (std::sqrt(6.0) + 1.0) + 2.0 / (std::sqrt(6.0) + 1),
              1e-6);
  EXPECT_NEAR(scores[d.ItemIndex("a")], 0.5, 1e-6);  // from b
  EXPECT_EQ(scores[d.ItemIndex("h")], 0.0f);
}

TEST(ItemCf, RejectsBadVariantOptions) {
  Dataset d = SmallDataset();
  auto code = [&](const ItemCfOptions& o) { return ItemCfModel::Fit(d, o).status().code(); };
  EXPECT_EQ(code(Variant(ItemCfSimilarity::kAsymmetric, 1.5, ItemCfWeighting::kNone)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Variant(ItemCfSimilarity::kAsymmetric, -0.1, ItemCfWeighting::kNone)),
            StatusCode::kInvalidArgument);
  // The cosine has a fixed alpha; bm25 parameters need bm25 weighting.
  EXPECT_EQ(code(Variant(ItemCfSimilarity::kCosine, 0.7, ItemCfWeighting::kNone)),
            StatusCode::kInvalidArgument);
  ItemCfOptions k1 = Variant(ItemCfSimilarity::kCosine, 0.5, ItemCfWeighting::kIdf);
  k1.bm25_k1 = 2;
  EXPECT_EQ(code(k1), StatusCode::kInvalidArgument);
  ItemCfOptions b = Variant(ItemCfSimilarity::kCosine, 0.5, ItemCfWeighting::kBm25);
  b.bm25_b = 1.5;
  EXPECT_EQ(code(b), StatusCode::kInvalidArgument);
  b.bm25_b = 1.0;
  EXPECT_TRUE(ItemCfModel::Fit(d, b).ok());
}

TEST(ItemCf, ParsesAndNamesVariants) {
  EXPECT_EQ(*ParseItemCfSimilarity("asymmetric", "f"), ItemCfSimilarity::kAsymmetric);
  EXPECT_EQ(*ParseItemCfWeighting("bm25", "f"), ItemCfWeighting::kBm25);
  EXPECT_EQ(ItemCfWeightingName(ItemCfWeighting::kIdf), "idf");
  EXPECT_EQ(ItemCfSimilarityName(ItemCfSimilarity::kCosine), "cosine");
  Result<ItemCfWeighting> bad = ParseItemCfWeighting("tfidf", "itemcf.weighting");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("itemcf.weighting"), std::string::npos);
  EXPECT_FALSE(ParseItemCfSimilarity("jaccard", "f").ok());
}

TEST(ItemCf, SaveLoadKeepsTheVariant) {
  Dataset d = RandomLikesDataset(200, 80, 10, 7, /*hidden_every=*/17);
  ItemCfOptions o = Variant(ItemCfSimilarity::kAsymmetric, 0.3, ItemCfWeighting::kBm25, 2.0);
  o.bm25_k1 = 0.9;
  o.bm25_b = 0.4;
  Result<ItemCfModel> m = ItemCfModel::Fit(d, o);
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("itemcf");
  auto path = dir.path() / "v.rmdl";
  ASSERT_TRUE(m->Save(path, 5).ok());
  Result<ItemCfModel> loaded = ItemCfModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->similarity(), ItemCfSimilarity::kAsymmetric);
  EXPECT_EQ(loaded->asymmetric_alpha(), 0.3);
  EXPECT_EQ(loaded->weighting(), ItemCfWeighting::kBm25);
  EXPECT_EQ(loaded->bm25_k1(), 0.9);
  EXPECT_EQ(loaded->bm25_b(), 0.4);
  EXPECT_EQ(loaded->shrinkage(), 2.0);
  testing::ExpectSameNeighborLists(*m, *loaded);
}

TEST(ItemCf, ReadsVersionOnePayloadsAsPlainCosine) {
  // The version-1 layout: u32 neighbours, f64 shrinkage, item ids, CSR neighbour lists.
  BinaryWriter w;
  w.U32(7);
  w.F64(3.0);
  w.StringArray(std::vector<std::string>{"x", "y"});
  w.U64Array(std::vector<uint64_t>{0, 1, 2});
  w.U32Array(std::vector<uint32_t>{1, 0});
  w.F32Array(std::vector<float>{0.25f, 0.5f});
  Result<ItemCfModel> m = ItemCfModel::Deserialize(w.data());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->neighbors(), 7);
  EXPECT_EQ(m->shrinkage(), 3.0);
  EXPECT_EQ(m->similarity(), ItemCfSimilarity::kCosine);
  EXPECT_EQ(m->asymmetric_alpha(), 0.5);
  EXPECT_EQ(m->weighting(), ItemCfWeighting::kNone);
  ASSERT_EQ(m->NeighborIds(1).size(), 1u);
  EXPECT_EQ(m->NeighborIds(1)[0], 0u);
  EXPECT_EQ(m->NeighborSims(1)[0], 0.5f);
  // What this build writes starts with 0 and payload version 2, then the version-1 layout.
  const std::string v2 = m->Serialize();
  EXPECT_EQ(v2.substr(v2.size() - w.data().size()), w.data());
  EXPECT_EQ(v2.substr(0, 8), std::string("\0\0\0\0\2\0\0\0", 8));
  std::string future = v2;
  future[4] = 3;
  EXPECT_EQ(ItemCfModel::Deserialize(future).status().code(), StatusCode::kDataLoss);
}

TEST(ItemCf, CorruptPayloadsAreRejectedWithoutCrashing) {
  Dataset d = RandomLikesDataset(50, 30, 6, 99, /*hidden_every=*/17);
  Result<ItemCfModel> m = ItemCfModel::Fit(d, Options(4, 1.0, 1));
  ASSERT_TRUE(m.ok());
  const std::string payload = m->Serialize();
  ASSERT_TRUE(ItemCfModel::Deserialize(payload).ok());
  testing::ExpectCorruptPayloadsRejected<ItemCfModel>(payload, /*step=*/7, /*seed=*/2024,
                                                      /*flips=*/2000);
}

}  // namespace
}  // namespace reco
