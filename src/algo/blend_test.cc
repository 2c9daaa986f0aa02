// The blend algorithm: weight learning, normalisation, the model file and setting errors.
#include "algo/blend.h"

#include <gtest/gtest.h>

#include <random>

#include "data/testing/temp_dir.h"
#include "eval/eval_testing.h"

namespace reco::algo {
namespace {

using eval::EvalSplit;
using eval::Metric;
using eval::SplitRandom;

// 200 users in 5 groups; the users of group g like 6 of the 10 items 10g..10g+9 (seeded).
Dataset GroupedDataset() {
  std::vector<eval::testing::Interaction> pairs;
  std::mt19937_64 rng(7);
  for (int u = 0; u < 200; ++u) {
    const int g = u % 5;
    std::vector<int> items(10);
    for (int i = 0; i < 10; ++i) items[i] = 10 * g + i;
    for (int i = 9; i > 0; --i) std::swap(items[i], items[rng() % (i + 1)]);
    for (int i = 0; i < 6; ++i) pairs.push_back({u, items[i], i});
  }
  return eval::testing::MakeDataset(200, 50, pairs);
}

// Scores the items of the block of the user's first history item: knows the groups.
class GroupScorer final : public Scorer {
 public:
  void Score(uint32_t, std::span<const uint32_t> history, std::span<float> scores) const override {
    const uint32_t block = history.empty() ? 0 : history[0] / 10;
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = (i / 10 == block) ? 1.0f : 0.0f;
  }
};

// Seeded noise, the same for every user: a useless model.
class NoiseScorer final : public Scorer {
 public:
  void Score(uint32_t, std::span<const uint32_t>, std::span<float> scores) const override {
    std::mt19937_64 rng(3);
    for (float& s : scores) s = static_cast<float>(rng() % 1000) / 100.0f;
  }
};

TEST(Blend, LearnedWeightsFavourTheClearlyBetterComponent) {
  Result<EvalSplit> split = SplitRandom(GroupedDataset(), 0.3, 1);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  NoiseScorer noise;
  GroupScorer group;
  const Scorer* components[] = {&noise, &group};
  BlendLearnOptions options;
  options.k = 5;
  options.candidates = 20;
  Result<LearnedWeights> learned = LearnBlendWeights(*split, components, options);
  ASSERT_TRUE(learned.ok()) << learned.status().ToString();
  ASSERT_EQ(learned->weights.size(), 2u);
  EXPECT_GE(learned->weights[1], 0.9);
  EXPECT_NEAR(learned->weights[0] + learned->weights[1], 1.0, 1e-9);
  // Each user has 2 held-out items among the 4 unseen items of its block, all tied at 1 and
  // ranked by index: the metric is well above what noise gets.
  EXPECT_GT(learned->value, 0.5);
}

TEST(Blend, NormalizeMaxIgnoresHistoryItems) {
  std::vector<float> row = {1, 4, 2, 8};
  const uint32_t history[] = {3};
  NormalizeRow(BlendNormalize::kMax, history, row);
  EXPECT_EQ(row, (std::vector<float>{0.25f, 1.0f, 0.5f, 2.0f}));
  std::vector<float> raw = {1, 4};
  NormalizeRow(BlendNormalize::kNone, {}, raw);
  EXPECT_EQ(raw, (std::vector<float>{1, 4}));
}

TEST(Blend, ScoreIsTheWeightedSumOfNormalisedScores) {
  Dataset data = GroupedDataset();
  Result<FittedScorer> fitted = FitScorer(
      "blend", data, {{"blend.components", "popular,rp3beta"}, {"blend.weights", "0.25,0.75"}});
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  Result<FittedScorer> pop = FitScorer("popular", data, {});
  Result<FittedScorer> rp3 = FitScorer("rp3beta", data, {});
  ASSERT_TRUE(pop.ok() && rp3.ok());
  std::span<const uint32_t> history = data.UserItems(0);
  std::vector<float> a(50), b(50), blend(50);
  pop->scorer->Score(0, history, a);
  rp3->scorer->Score(0, history, b);
  NormalizeRow(BlendNormalize::kMax, history, a);
  NormalizeRow(BlendNormalize::kMax, history, b);
  fitted->scorer->Score(0, history, blend);
  for (size_t i = 0; i < 50; ++i) EXPECT_FLOAT_EQ(blend[i], 0.25f * a[i] + 0.75f * b[i]) << i;
}

TEST(Blend, SaveAndLoadGiveIdenticalScores) {
  Dataset data = GroupedDataset();
  Result<FittedScorer> fitted = FitScorer("blend", data,
                                          {{"blend.components", "rp3beta,itemcf"},
                                           {"blend.weights", "0.6,0.4"},
                                           {"rp3beta.beta", "0.2"}});
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  reco::testing::TempDir dir("blend_test");
  const auto path = dir.path() / "blend.model";
  ASSERT_TRUE(fitted->scorer->Save(path, 42).ok());
  Result<std::unique_ptr<BlendScorer>> loaded = LoadBlend(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ((*loaded)->components().size(), 2u);
  EXPECT_EQ((*loaded)->components()[0].algo, "rp3beta");
  EXPECT_DOUBLE_EQ((*loaded)->components()[1].weight, 0.4);
  for (uint32_t u = 0; u < 10; ++u) {
    std::vector<float> before(50), after(50);
    fitted->scorer->Score(u, data.UserItems(u), before);
    (*loaded)->Score(u, data.UserItems(u), after);
    EXPECT_EQ(before, after) << "user " << u;
  }
  // A component without a model file cannot be saved.
  Result<FittedScorer> with_popular =
      FitScorer("blend", data, {{"blend.components", "popular,itemcf"}, {"blend.weights", "1,1"}});
  ASSERT_TRUE(with_popular.ok());
  EXPECT_EQ(with_popular->scorer->Save(dir.path() / "p.model", 1).code(),
            StatusCode::kUnimplemented);
}

TEST(Blend, LearnsWeightsWhenNoneAreGiven) {
  Result<FittedScorer> fitted =
      FitScorer("blend", GroupedDataset(), {{"blend.components", "popular,rp3beta"}});
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  ASSERT_GE(fitted->options.size(), 2u);
  EXPECT_EQ(fitted->options[1].first, "blend.weights");
  // Within-group co-occurrence beats popularity on grouped data: rp3beta carries the blend.
  const std::string& weights = fitted->options[1].second;
  const double popular_weight = std::stod(weights.substr(0, weights.find(',')));
  EXPECT_LT(popular_weight, 0.5) << weights;
}

std::string ErrorOf(const std::vector<Setting>& settings) {
  return CheckScorerSettings("blend", settings).ToString();
}

TEST(Blend, BadSettingsAreClearErrors) {
  EXPECT_NE(ErrorOf({}).find("blend.components"), std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta,nope"}}).find("\"nope\""), std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta,rp3beta"}}).find("twice"), std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta,itemcf"}, {"blend.weights", "1"}})
                .find("1 values for 2 components"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf({{"blend.components", "rp3beta,itemcf"}, {"blend.weights", "1,-1"}}).find(">= 0"),
      std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta"}, {"ials.factors", "8"}})
                .find("belongs to no part of blend.components"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta"}, {"rp3beta.nope", "1"}}).find("rp3beta.nope"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"blend.components", "rp3beta"}, {"blend.normalize", "zz"}}).find("zz"),
            std::string::npos);
  EXPECT_TRUE(CheckScorerSettings("blend", {{"blend.components", "rp3beta,itemcf"},
                                            {"blend.weights", "0.5,0.5"},
                                            {"itemcf.neighbors", "5"},
                                            {"blend.threads", "2"}})
                  .ok());
}

TEST(Blend, ParsesTargetMetrics) {
  Result<TargetMetric> recall = ParseTargetMetric("recall@10");
  ASSERT_TRUE(recall.ok());
  EXPECT_EQ(recall->metric, Metric::kRecall);
  EXPECT_EQ(recall->k, 10u);
  EXPECT_FALSE(ParseTargetMetric("ndcg").ok());
  EXPECT_FALSE(ParseTargetMetric("foo@20").ok());
  EXPECT_FALSE(ParseTargetMetric("ndcg@0").ok());
}

}  // namespace
}  // namespace reco::algo
