// The "itemcf" variant settings and the "swing" entry of the algorithm table.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "algo/scorer.h"
#include "data/testing/temp_dir.h"
#include "eval/eval_testing.h"
#include "models/swing.h"

namespace reco::algo {
namespace {

using eval::testing::MakeDataset;

// u0: i0 i1 i2, u1: i0 i1, u2: i0 i1 i3, u3: i1 i2.
Dataset SmallDataset() {
  return MakeDataset(4, 4,
                     {{0, 0, 1},
                      {0, 1, 1},
                      {0, 2, 1},
                      {1, 0, 1},
                      {1, 1, 1},
                      {2, 0, 1},
                      {2, 1, 1},
                      {2, 3, 1},
                      {3, 1, 1},
                      {3, 2, 1}});
}

std::map<std::string, std::string> Options(const FittedScorer& f) {
  return {f.options.begin(), f.options.end()};
}

TEST(AlgoKnn, ItemCfVariantSettingsReachTheModel) {
  Dataset d = SmallDataset();
  Result<FittedScorer> f = FitScorer("itemcf", d,
                                     {{"itemcf.similarity", "asymmetric"},
                                      {"itemcf.asymmetric_alpha", "1"},
                                      {"itemcf.shrinkage", "0"}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto options = Options(*f);
  EXPECT_EQ(options["itemcf.similarity"], "asymmetric");
  EXPECT_EQ(options["itemcf.asymmetric_alpha"], "1");
  EXPECT_EQ(options["itemcf.weighting"], "none");
  // a = 1: score(i2 | history i0) = sim(i0, i2) = |U_0 ∩ U_2| / |U_0| = 1/3.
  std::vector<float> scores(4);
  const uint32_t history[] = {0};
  f->scorer->Score(0, history, scores);
  EXPECT_NEAR(scores[2], 1.0 / 3.0, 1e-6);
  EXPECT_NEAR(scores[1], 1.0, 1e-6);

  Result<FittedScorer> bm25 =
      FitScorer("itemcf", d,
                {{"itemcf.weighting", "bm25"}, {"itemcf.bm25_k1", "2"}, {"itemcf.bm25_b", "0.5"}});
  ASSERT_TRUE(bm25.ok()) << bm25.status().ToString();
  EXPECT_EQ(Options(*bm25)["itemcf.weighting"], "bm25");
  EXPECT_EQ(Options(*bm25)["itemcf.bm25_k1"], "2");
  EXPECT_EQ(Options(*bm25)["itemcf.bm25_b"], "0.5");
}

TEST(AlgoKnn, ItemCfRejectsBadVariantSettings) {
  Dataset d = SmallDataset();
  Result<FittedScorer> name = FitScorer("itemcf", d, {{"itemcf.weighting", "tfidf"}});
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().ToString().find("itemcf.weighting"), std::string::npos);
  EXPECT_FALSE(CheckScorerSettings("itemcf", {{"itemcf.similarity", "jaccard"}}).ok());
  // Consistent only at fit time: alpha needs the asymmetric similarity.
  EXPECT_EQ(FitScorer("itemcf", d, {{"itemcf.asymmetric_alpha", "0.8"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AlgoKnn, SwingEntryFitsScoresAndSaves) {
  Dataset d = SmallDataset();
  Result<FittedScorer> f = FitScorer("swing", d,
                                     {{"swing.alpha", "0.5"},
                                      {"swing.user_offset", "1"},
                                      {"swing.normalize", "false"},
                                      {"swing.threads", "1"}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->algo, "swing");
  auto options = Options(*f);
  EXPECT_EQ(options["swing.alpha"], "0.5");
  EXPECT_EQ(options["swing.normalize"], "false");
  EXPECT_EQ(options["swing.user_exponent"], "0.5");
  // score(i1 | history i2) = sim(i2, i1), from the pair {u0, u3} with w_u = (|I_u| + 1)^-0.5:
  // w0 = 1/2, w3 = 1/sqrt(3); they share {i1, i2}, so the denominator is 0.5 + 2.
  std::vector<float> scores(4);
  const uint32_t history[] = {2};
  f->scorer->Score(0, history, scores);
  EXPECT_NEAR(scores[1], (0.5 / std::sqrt(3.0)) / 2.5, 1e-6);
  EXPECT_EQ(scores[0], 0.0f);

  reco::testing::TempDir dir("algo_swing");
  ASSERT_TRUE(f->scorer->Save(dir.path() / "s.rmdl", 3).ok());
  Result<SwingModel> loaded = SwingModel::Load(dir.path() / "s.rmdl");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options().alpha, 0.5);
}

TEST(AlgoKnn, SwingRejectsUnknownAndBadSettings) {
  Dataset d = SmallDataset();
  Result<FittedScorer> key = FitScorer("swing", d, {{"swing.beta", "1"}});
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().ToString().find("swing.max_users_per_item"), std::string::npos);
  EXPECT_EQ(FitScorer("swing", d, {{"swing.max_users_per_item", "1"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(CheckScorerSettings("swing", {{"swing.normalize", "maybe"}}).ok());
}

}  // namespace
}  // namespace reco::algo
