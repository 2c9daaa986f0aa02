#include "eval/evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "algo/scorer.h"
#include "eval/eval_testing.h"
#include "eval/report.h"

namespace reco::eval {
namespace {

using algo::FitScorer;
using algo::FittedScorer;
using algo::ParseSetting;
using algo::PopularityScorer;

using testing::Interaction;
using testing::MakeDataset;

// Item 0 is liked by users 0-3 and is the best item; user 4 has liked only item 3.
EvalSplit HotItemSplit() {
  EvalSplit split;
  split.train = MakeDataset(
      5, 4,
      {{0, 0, 1}, {1, 0, 1}, {2, 0, 1}, {3, 0, 1}, {0, 1, 1}, {1, 1, 1}, {2, 2, 1}, {4, 3, 1}});
  split.users.push_back({4, {0}, {}});
  split.users.push_back({3, {}, {}});  // nothing held out: skipped
  return split;
}

TEST(Evaluator, PopularityRanksTheHotItemFirst) {
  EvalSplit split = HotItemSplit();
  PopularityScorer scorer(split.train);
  EvalOptions options;
  options.ks = {1, 3};
  Result<EvalResult> result = Evaluate(split, scorer, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->users_evaluated, 1);
  EXPECT_EQ(result->users_skipped, 1);
  EXPECT_NEAR(result->Get("recall@1"), 1.0, 1e-9);
  EXPECT_NEAR(result->Get("ndcg@1"), 1.0, 1e-9);
  EXPECT_NEAR(result->Get("precision@3"), 1.0 / 3.0, 1e-9);
  // The three unmasked items are recommended; item 3 (history) never: coverage 3/4.
  EXPECT_NEAR(result->Get("coverage@3"), 0.75, 1e-9);
  EXPECT_TRUE(std::isnan(result->Get("recall@50")));
}

TEST(Evaluator, MasksTrainingItems) {
  EvalSplit split = HotItemSplit();
  split.users = {{0, {2}, {}}};  // user 0 liked items 0 and 1, the two most popular
  PopularityScorer scorer(split.train);
  std::vector<uint32_t> top = RankForUser(split, scorer, split.users[0], 4);
  // Only items 2 and 3 remain; 2 and 3 tie on count 1, the lower index first.
  EXPECT_EQ(top, (std::vector<uint32_t>{2, 3}));
}

TEST(Evaluator, MasksFoldInItemsUnderStrongGeneralisation) {
  EvalSplit split = HotItemSplit();
  split.uses_fold_in = true;
  split.users = {{4, {2}, {0, 1}}};
  PopularityScorer scorer(split.train);
  std::vector<uint32_t> top = RankForUser(split, scorer, split.users[0], 2);
  EXPECT_EQ(top, (std::vector<uint32_t>{2, 3}));  // fold-in 0 and 1 masked, not train item 3
}

TEST(Evaluator, ItemCfScoresFromHistoryNeighbours) {
  // Items 0 and 1 always co-occur; item 2 is more popular but never with item 0.
  EvalSplit split;
  split.train = MakeDataset(
      6, 3,
      {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}, {2, 2, 1}, {3, 2, 1}, {4, 2, 1}, {5, 0, 1}});
  split.users.push_back({5, {1}, {}});
  Result<FittedScorer> fitted = FitScorer("itemcf", split.train, {{"itemcf.shrinkage", "0"}});
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EvalOptions options;
  options.ks = {1};
  Result<EvalResult> result = Evaluate(split, *fitted->scorer, options);
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result->Get("recall@1"), 1.0, 1e-9);
  PopularityScorer popular(split.train);
  Result<EvalResult> baseline = Evaluate(split, popular, options);
  ASSERT_TRUE(baseline.ok());
  EXPECT_NEAR(baseline->Get("recall@1"), 0.0, 1e-9);  // popularity picks item 2
}

TEST(Evaluator, SelectTopKMatchesFullSortWithTies) {
  std::mt19937_64 rng(3);
  std::vector<float> scores(5000);
  for (float& s : scores) s = static_cast<float>(rng() % 50);  // many ties
  scores[17] = -std::numeric_limits<float>::infinity();
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
  std::vector<std::pair<float, uint32_t>> buffer;
  std::vector<uint32_t> top;
  SelectTopK(scores, 300, buffer, top);
  EXPECT_EQ(top, std::vector<uint32_t>(order.begin(), order.begin() + 300));
  std::vector<float> masked(4, -std::numeric_limits<float>::infinity());
  masked[2] = 1.0f;
  SelectTopK(masked, 3, buffer, top);
  EXPECT_EQ(top, std::vector<uint32_t>{2});
}

std::string MetricsJson(const EvalResult& r) {
  std::string out;
  for (const NamedMetric& m : r.metrics) out += m.name + "=" + std::to_string(m.value) + ";";
  return out;
}

TEST(Evaluator, SameSeedGivesIdenticalMetricsOnAnyThreadCount) {
  // 600 users x 60 items with a skewed, seeded interaction pattern.
  std::vector<Interaction> pairs;
  std::mt19937_64 rng(11);
  for (int u = 0; u < 600; ++u) {
    for (int n = 0; n < 8; ++n) {
      int item = static_cast<int>((rng() % 60) * (rng() % 60) / 60);
      pairs.push_back({u, (item + u % 7) % 60, n});
    }
  }
  Dataset all = MakeDataset(600, 60, pairs);
  auto run = [&](int threads) {
    Result<EvalSplit> split = SplitRandom(all, 0.25, 5);
    EXPECT_TRUE(split.ok());
    Result<FittedScorer> fitted = FitScorer("itemcf", split->train, {{"itemcf.neighbors", "20"}});
    EXPECT_TRUE(fitted.ok());
    EvalOptions options;
    options.ks = {5, 10};
    options.num_threads = threads;
    Result<EvalResult> result = Evaluate(*split, *fitted->scorer, options);
    EXPECT_TRUE(result.ok());
    EvalReport report;
    report.result = *result;
    report.model = fitted->algo;
    report.options = fitted->options;
    std::string json = ReportToJson(report);
    return std::make_pair(MetricsJson(*result), json.substr(0, json.find("\"train_seconds\"")));
  };
  auto first = run(2);
  auto second = run(2);
  auto single = run(1);
  EXPECT_EQ(first.first, second.first);
  EXPECT_EQ(first.second, second.second);
  EXPECT_EQ(first.first, single.first);
  EXPECT_NE(first.second.find("\"recall@10\":"), std::string::npos);
}

TEST(Evaluator, RejectsEmptyOrZeroCutoffs) {
  EvalSplit split = HotItemSplit();
  PopularityScorer scorer(split.train);
  EvalOptions options;
  options.ks = {};
  EXPECT_FALSE(Evaluate(split, scorer, options).ok());
  options.ks = {0};
  EXPECT_FALSE(Evaluate(split, scorer, options).ok());
}

TEST(Scorer, UnknownAlgorithmOrKeyIsNamed) {
  Dataset train = MakeDataset(1, 1, {{0, 0, 1}});
  Result<FittedScorer> algo = FitScorer("bpr", train, {});
  ASSERT_FALSE(algo.ok());
  EXPECT_NE(algo.status().message().find("\"bpr\""), std::string::npos);
  Result<FittedScorer> key = FitScorer("itemcf", train, {{"itemcf.neighbours", "5"}});
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().field(), "itemcf.neighbours");
  EXPECT_FALSE(FitScorer("itemcf", train, {{"itemcf.neighbors", "x"}}).ok());
  EXPECT_FALSE(FitScorer("popular", train, {{"itemcf.neighbors", "5"}}).ok());
  EXPECT_FALSE(ParseSetting("novalue").ok());
  Result<Setting> ok = ParseSetting("itemcf.shrinkage=5");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->second, "5");
}

TEST(Report, JsonAndTableNameEveryMetric) {
  EvalSplit split = HotItemSplit();
  PopularityScorer scorer(split.train);
  EvalOptions options;
  options.ks = {1, 2};
  Result<EvalResult> result = Evaluate(split, scorer, options);
  ASSERT_TRUE(result.ok());
  EvalReport report;
  report.dataset = "tiny";
  report.protocol.kind = ProtocolKind::kRandom;
  report.model = "popular";
  report.result = *result;
  report.peak_memory_bytes = PeakMemoryBytes();
  EXPECT_GT(report.peak_memory_bytes, 0);
  std::string json = ReportToJson(report);
  for (const char* key :
       {"\"dataset\":\"tiny\"", "\"protocol\":{\"name\":\"random\"", "\"model\":\"popular\"",
        "\"recall@1\":1", "\"ndcg@2\":", "\"recall_minnorm@2\":", "\"users_evaluated\":1",
        "\"users_skipped\":1", "\"peak_memory_bytes\":"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  std::string table = FormatTable(*result);
  EXPECT_NE(table.find("recall_minnorm"), std::string::npos);
  EXPECT_NE(table.find("@2"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 10);  // header + 9 metric rows
}

}  // namespace
}  // namespace reco::eval
