#include "serving/rollout.h"

#include <gtest/gtest.h>

#include <string>

#include "data/testing/synthetic_dataset.h"

namespace reco {
namespace {

TEST(HashFraction, IsStableForAKnownKey) {
  // fmix64(FNV-1a 64(key)) >> 11, / 2^53; e.g. "" -> 0xefd01f60ba992926.
  EXPECT_DOUBLE_EQ(HashFraction(""),
                   static_cast<double>(0xefd01f60ba992926ull >> 11) / 9007199254740992.0);
  EXPECT_DOUBLE_EQ(HashFraction("a"),
                   static_cast<double>(0x82a2a958a9bece5bull >> 11) / 9007199254740992.0);
  EXPECT_NEAR(HashFraction("u42"), 0.27172757996398567, 1e-15);
  EXPECT_EQ(HashFraction("u42"), HashFraction(testing::Id('u', 42)));
}

TEST(HashFraction, SplitsUsersInTheAskedProportion) {
  int in_half = 0, in_tenth = 0;
  const int users = 10000;
  for (int u = 0; u < users; ++u) {
    std::string id = testing::Id('u', u);
    const double f = HashFraction(id);
    ASSERT_GE(f, 0.0);
    ASSERT_LT(f, 1.0);
    in_half += InRollout(id, 0.5) ? 1 : 0;
    in_tenth += InRollout(id, 0.1) ? 1 : 0;
    // A user in the 10% canary stays in it when the rollout grows to 50%.
    if (InRollout(id, 0.1)) {
      EXPECT_TRUE(InRollout(id, 0.5)) << id;
    }
  }
  // Exact counts for this user set: 4922 and 984 of 10000.
  EXPECT_EQ(in_half, 4922);
  EXPECT_EQ(in_tenth, 984);
  EXPECT_FALSE(InRollout("anyone", 0.0));
  EXPECT_TRUE(InRollout("anyone", 1.0));
}

GuardrailOptions Small() {
  return {.min_exposures = 10, .max_error_rate = 0.1, .min_ctr_ratio = 0.8};
}

TEST(JudgeCanary, WaitsForTheMinimumExposures) {
  VariantCounts canary{.requests = 9, .errors = 9, .exposures = 9, .clicks = 0};
  VariantCounts primary{.requests = 100, .errors = 0, .exposures = 100, .clicks = 50};
  EXPECT_FALSE(JudgeCanary(canary, primary, Small()).withdraw);
}

TEST(JudgeCanary, WithdrawsAboveTheErrorRate) {
  // 2 errors in 10 requests = 0.2 > 0.1.
  VariantCounts canary{.requests = 10, .errors = 2, .exposures = 8, .clicks = 8};
  VariantCounts primary{.requests = 10, .errors = 0, .exposures = 10, .clicks = 1};
  GuardrailDecision d = JudgeCanary(canary, primary, Small());
  EXPECT_TRUE(d.withdraw);
  EXPECT_EQ(d.reason, "error_rate");
  // Exactly at the limit (1/10 = 0.1) is allowed.
  canary.errors = 1;
  EXPECT_FALSE(JudgeCanary(canary, primary, Small()).withdraw);
}

TEST(JudgeCanary, WithdrawsBelowTheCtrRatio) {
  VariantCounts primary{.requests = 100, .errors = 0, .exposures = 100, .clicks = 50};  // 0.5
  // 0.39 < 0.8 * 0.5 = 0.4: withdrawn.
  VariantCounts canary{.requests = 100, .errors = 0, .exposures = 100, .clicks = 39};
  GuardrailDecision d = JudgeCanary(canary, primary, Small());
  EXPECT_TRUE(d.withdraw);
  EXPECT_EQ(d.reason, "ctr");
  EXPECT_NE(d.detail.find("39/100"), std::string::npos) << d.detail;
  // 0.40 is not below 0.4: kept.
  canary.clicks = 40;
  EXPECT_FALSE(JudgeCanary(canary, primary, Small()).withdraw);
}

TEST(JudgeCanary, KeepsTheCanaryWhileThePrimaryHasNoClicks) {
  VariantCounts primary{.requests = 50, .errors = 0, .exposures = 50, .clicks = 0};
  VariantCounts canary{.requests = 50, .errors = 0, .exposures = 50, .clicks = 0};
  EXPECT_FALSE(JudgeCanary(canary, primary, Small()).withdraw);
  EXPECT_FALSE(JudgeCanary(canary, VariantCounts{}, Small()).withdraw);
}

TEST(ClickJoiner, CreditsTheVersionThatShowedTheItemOnce) {
  ClickJoiner joiner(/*exposures_per_user=*/4, /*max_users=*/10);
  joiner.Add("u1", "runA", ServingVariant::kPrimary, {"i1", "i2"});
  joiner.Add("u1", "runB", ServingVariant::kShadow, {"i2", "i3"});
  joiner.Add("u2", "runC", ServingVariant::kCanary, {"i9"});
  using C = ClickJoiner::Credit;
  EXPECT_EQ(joiner.Click("u1", "i2"), (std::vector<C>{{"runB", ServingVariant::kShadow},
                                                      {"runA", ServingVariant::kPrimary}}));
  // Each exposure counts one click.
  EXPECT_TRUE(joiner.Click("u1", "i1").empty());
  EXPECT_TRUE(joiner.Click("u1", "i9").empty());  // shown to u2, not u1
  EXPECT_EQ(joiner.Click("u2", "i9"), (std::vector<C>{{"runC", ServingVariant::kCanary}}));
  EXPECT_TRUE(joiner.Click("nobody", "i1").empty());
}

TEST(ClickJoiner, ForgetsBeyondItsBounds) {
  ClickJoiner joiner(/*exposures_per_user=*/2, /*max_users=*/2);
  joiner.Add("u1", "old", ServingVariant::kPrimary, {"x"});
  joiner.Add("u1", "mid", ServingVariant::kPrimary, {"y"});
  joiner.Add("u1", "new", ServingVariant::kPrimary, {"z"});
  EXPECT_TRUE(joiner.Click("u1", "x").empty());  // third exposure pushed out the first
  EXPECT_EQ(joiner.Click("u1", "y").size(), 1u);
  joiner.Add("u2", "v", ServingVariant::kPrimary, {"a"});
  joiner.Add("u3", "v", ServingVariant::kPrimary, {"a"});  // evicts u1, the oldest user
  EXPECT_TRUE(joiner.Click("u1", "z").empty());
  EXPECT_EQ(joiner.Click("u3", "a").size(), 1u);
}

}  // namespace
}  // namespace reco
