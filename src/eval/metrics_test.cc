#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace reco::eval {
namespace {

double At(const UserMetricValues& v, Metric m) { return v[static_cast<size_t>(m)]; }

// ranked = [3, 1, 4, 5, 9, 2, 6], relevant = {1, 5, 7}: hits at 0-based ranks 1 (item 1) and
// 3 (item 5).
const std::vector<uint32_t> kRanked = {3, 1, 4, 5, 9, 2, 6};
const std::vector<uint32_t> kRelevant = {1, 5, 7};

TEST(Metrics, HandComputedAtFive) {
  UserMetricValues v = ComputeUserMetrics(kRanked, kRelevant, 5);
  // hits = 2; |test| = 3; min(K, |test|) = 3.
  EXPECT_NEAR(At(v, Metric::kRecall), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kRecallMinNorm), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kPrecision), 2.0 / 5.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kHitRate), 1.0, 1e-9);
  // First hit at rank 1 -> 1/2.
  EXPECT_NEAR(At(v, Metric::kMrr), 0.5, 1e-9);
  // DCG = 1/log2(3) + 1/log2(5); IDCG over 3 positions = 1/log2(2) + 1/log2(3) + 1/log2(4).
  const double dcg = 1.0 / std::log2(3.0) + 1.0 / std::log2(5.0);
  const double idcg = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  EXPECT_NEAR(At(v, Metric::kNdcg), dcg / idcg, 1e-9);
  // AP = (1/2 + 2/4) / min(3, 5) = 1/3.
  EXPECT_NEAR(At(v, Metric::kMap), 1.0 / 3.0, 1e-9);
}

TEST(Metrics, HandComputedAtTwo) {
  UserMetricValues v = ComputeUserMetrics(kRanked, kRelevant, 2);
  // Top 2 = [3, 1]: one hit at rank 1; min(K, |test|) = 2.
  EXPECT_NEAR(At(v, Metric::kRecall), 1.0 / 3.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kRecallMinNorm), 1.0 / 2.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kPrecision), 1.0 / 2.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kMrr), 0.5, 1e-9);
  // DCG = 1/log2(3); IDCG = 1 + 1/log2(3).
  EXPECT_NEAR(At(v, Metric::kNdcg), (1.0 / std::log2(3.0)) / (1.0 + 1.0 / std::log2(3.0)), 1e-9);
  // AP = (1/2) / 2.
  EXPECT_NEAR(At(v, Metric::kMap), 0.25, 1e-9);
}

TEST(Metrics, NoHitAtOneGivesZeros) {
  UserMetricValues v = ComputeUserMetrics(kRanked, kRelevant, 1);
  for (double value : v) EXPECT_EQ(value, 0.0);
}

TEST(Metrics, RecallVariantsDifferWhenTestIsLargerThanK) {
  // |test| = 6, K = 2, top 2 = [3, 1] both relevant.
  const std::vector<uint32_t> relevant = {1, 3, 4, 5, 9, 10};
  UserMetricValues v = ComputeUserMetrics(kRanked, relevant, 2);
  EXPECT_NEAR(At(v, Metric::kRecall), 2.0 / 6.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kRecallMinNorm), 1.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kNdcg), 1.0, 1e-9);
  // AP = (1/1 + 2/2) / min(6, 2) = 1.
  EXPECT_NEAR(At(v, Metric::kMap), 1.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kMrr), 1.0, 1e-9);
}

TEST(Metrics, ShortListDividesPrecisionByK) {
  const std::vector<uint32_t> ranked = {7};
  const std::vector<uint32_t> relevant = {7};
  UserMetricValues v = ComputeUserMetrics(ranked, relevant, 5);
  EXPECT_NEAR(At(v, Metric::kPrecision), 1.0 / 5.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kRecall), 1.0, 1e-9);
  EXPECT_NEAR(At(v, Metric::kNdcg), 1.0, 1e-9);
}

TEST(Metrics, NoveltyIsSelfInformationOfTheUserShare) {
  // 4 users; counts 4, 2, 1, 0 -> -log2(4/4), -log2(2/4), -log2(1/4), unseen counts as 1.
  const std::vector<uint32_t> counts = {4, 2, 1, 0};
  std::vector<double> n = ItemNovelty(counts, 4);
  ASSERT_EQ(n.size(), 4u);
  EXPECT_NEAR(n[0], 0.0, 1e-9);
  EXPECT_NEAR(n[1], 1.0, 1e-9);
  EXPECT_NEAR(n[2], 2.0, 1e-9);
  EXPECT_NEAR(n[3], 2.0, 1e-9);
}

TEST(Metrics, CoverageCountsDistinctItemsWithinK) {
  Coverage a(10);
  Coverage b(10);
  a.Add(std::vector<uint32_t>{0, 1, 2});
  b.Add(std::vector<uint32_t>{2, 3, 4});
  a.Merge(b);
  // Within the top 1: {0, 2}; within the top 3: {0, 1, 2, 3, 4}.
  EXPECT_NEAR(a.At(1), 0.2, 1e-9);
  EXPECT_NEAR(a.At(3), 0.5, 1e-9);
}

TEST(Metrics, SummaryAveragesOverEvaluatedUsersAndCountsSkipped) {
  MetricContext context;
  context.ks = {1, 2};
  context.item_novelty = {0.0, 1.0, 2.0, 3.0};
  MetricSums sums(2);
  Coverage coverage(4);
  const std::vector<uint32_t> list_a = {0, 1};
  const std::vector<uint32_t> list_b = {2, 3};
  sums.AddUser(context, list_a, std::vector<uint32_t>{0});  // hit at rank 0
  sums.AddUser(context, list_b, std::vector<uint32_t>{3});  // hit at rank 1
  sums.AddUser(context, list_b, {});                        // no test items: skipped
  coverage.Add(list_a);
  coverage.Add(list_b);
  std::vector<NamedMetric> all = SummarizeMetrics(context, sums, coverage);
  EXPECT_EQ(sums.users_evaluated(), 2);
  EXPECT_EQ(sums.users_skipped(), 1);
  ASSERT_EQ(all.size(), 9u * 2u);
  EXPECT_EQ(all[0].name, "recall@1");
  EXPECT_EQ(all[1].name, "recall@2");
  EXPECT_EQ(all[2].name, "recall_minnorm@1");
  // recall@1 = (1 + 0) / 2; recall@2 = (1 + 1) / 2.
  EXPECT_NEAR(all[0].value, 0.5, 1e-9);
  EXPECT_NEAR(all[1].value, 1.0, 1e-9);
  // coverage@1 = {0, 2} of 4; novelty@2 = (0 + 1 + 2 + 3) / 4 recommended items.
  EXPECT_EQ(all[14].name, "coverage@1");
  EXPECT_NEAR(all[14].value, 0.5, 1e-9);
  EXPECT_EQ(all[17].name, "novelty@2");
  EXPECT_NEAR(all[17].value, 1.5, 1e-9);
}

}  // namespace
}  // namespace reco::eval
