#include "experiment/results.h"

#include <gtest/gtest.h>

#include <cmath>

namespace reco::experiment {
namespace {

ExperimentRecord TwoArms() {
  ExperimentRecord e;
  e.id = "exp1";
  e.variants = {{"control", 1, "scenario", "a"}, {"treatment", 1, "scenario", "b"}};
  return e;
}

// `users` users with `exposures` lists each, the first `clickers` clicking once, the first
// `converters` converting once.
VariantCounts Users(int users, int exposures, int clickers, int converters) {
  VariantCounts out(users);
  for (int i = 0; i < users; ++i) {
    out[i].exposures = exposures;
    out[i].clicks = i < clickers ? 1 : 0;
    out[i].conversions = i < converters ? 1 : 0;
  }
  return out;
}

TEST(Results, SummarizesEachVariant) {
  VariantSummary s = Summarize("v", {{3, 1, 0}, {2, 0, 2}, {5, 2, 1}});
  EXPECT_EQ(s.users, 3);
  EXPECT_EQ(s.exposures, 10);
  EXPECT_EQ(s.clicks, 3);
  EXPECT_DOUBLE_EQ(s.ctr, 0.3);
  EXPECT_EQ(s.conversions, 3);
  EXPECT_EQ(s.converted_users, 2);
  EXPECT_DOUBLE_EQ(s.conversion_rate, 2.0 / 3);
  EXPECT_EQ(s.clicked_users, 2);
  EXPECT_DOUBLE_EQ(s.clicked_user_rate, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.conversions_per_exposure, 0.3);
}

TEST(Results, ComparesTheTreatmentWithTheControl) {
  std::vector<VariantCounts> now = {Users(1000, 2, 100, 100), Users(1000, 2, 160, 130)};
  ExperimentResults r = ComputeResults(TwoArms(), now, {}, {});
  ASSERT_EQ(r.variants.size(), 2u);
  ASSERT_EQ(r.comparisons.size(), 1u);
  const TreatmentComparison& c = r.comparisons[0];
  EXPECT_EQ(c.variant, "treatment");
  EXPECT_DOUBLE_EQ(c.ctr.test.control, 0.05);
  EXPECT_DOUBLE_EQ(c.ctr.test.treatment, 0.08);
  EXPECT_NEAR(c.ctr.test.difference, 0.03, 1e-12);
  EXPECT_LT(c.ctr.test.ci_low, 0.03);
  EXPECT_GT(c.ctr.test.ci_high, 0.03);
  EXPECT_LT(c.ctr.test.p_value, 0.01);
  EXPECT_NEAR(c.conversion_rate.test.p_value, 0.0354884505, 1e-8);  // stats_test's example
  // The sequential p-value is never below the fixed-horizon one.
  EXPECT_GE(c.conversion_rate.sequential_p_value, c.conversion_rate.test.p_value);
  EXPECT_GE(c.ctr.sequential_p_value, c.ctr.test.p_value);
  // Users who clicked: 100 vs 160 of 1000; conversions per exposure: 100/2000 vs 130/2000.
  EXPECT_NEAR(c.clicked_user_rate.test.difference, 0.06, 1e-12);
  EXPECT_NEAR(c.clicked_user_rate.test.p_value,
              TwoProportionTest(100, 1000, 160, 1000, 0.05).p_value, 1e-15);
  EXPECT_NEAR(c.conversions_per_exposure.test.difference, 0.015, 1e-12);
  EXPECT_TRUE(c.conversions_per_exposure.test.valid);
  EXPECT_GE(c.conversions_per_exposure.sequential_p_value, c.conversions_per_exposure.test.p_value);
  EXPECT_EQ(r.looks, 1);
  EXPECT_FALSE(r.srm.mismatch);
}

TEST(Results, SequentialPValueIsTheMinimumOverLooks) {
  std::vector<VariantCounts> strong = {Users(4000, 1, 200, 0), Users(4000, 1, 320, 0)};
  std::vector<VariantCounts> now = {Users(8000, 1, 400, 0), Users(8000, 1, 410, 0)};
  ExperimentResults alone = ComputeResults(TwoArms(), now, {}, {});
  ExperimentResults with_look = ComputeResults(TwoArms(), now, {strong}, {});
  EXPECT_EQ(with_look.looks, 2);
  const double early =
      ComputeResults(TwoArms(), strong, {}, {}).comparisons[0].ctr.sequential_p_value;
  EXPECT_LT(early, alone.comparisons[0].ctr.sequential_p_value);
  EXPECT_DOUBLE_EQ(with_look.comparisons[0].ctr.sequential_p_value, early);
  EXPECT_TRUE(with_look.comparisons[0].ctr.significant);
}

TEST(Results, FlagsASampleRatioMismatch) {
  std::vector<VariantCounts> now = {Users(1000, 1, 0, 0), Users(1300, 1, 0, 0)};
  ExperimentResults r = ComputeResults(TwoArms(), now, {}, {});
  EXPECT_TRUE(r.srm.mismatch);
  EXPECT_LT(r.srm.p_value, 1e-6);
}

TEST(Results, NoUsersGivesEmptyButWellFormedResults) {
  ExperimentResults r = ComputeResults(TwoArms(), {{}, {}}, {}, {});
  ASSERT_EQ(r.variants.size(), 2u);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_FALSE(r.comparisons[0].ctr.test.valid);
  EXPECT_DOUBLE_EQ(r.comparisons[0].ctr.sequential_p_value, 1);
  EXPECT_DOUBLE_EQ(r.srm.p_value, 1);
}

}  // namespace
}  // namespace reco::experiment
