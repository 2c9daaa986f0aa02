#include "serving/explore_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace reco {
namespace {

// A source that replays a script of numbers, then repeats it: draws a test can predict.
class ScriptedSource final : public UniformSource {
 public:
  explicit ScriptedSource(std::vector<double> script) : script_(std::move(script)) {}
  double Next() override {
    const double v = script_[next_ % script_.size()];
    ++next_;
    return v;
  }
  size_t calls() const { return next_; }

 private:
  std::vector<double> script_;
  size_t next_ = 0;
};

TEST(SplitMixSource, StaysInsideTheOpenIntervalAndIsUniform) {
  SplitMixSource rng(0);  // seed 0 is a valid seed
  double sum = 0;
  int below_tenth = 0;
  const int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.Next();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below_tenth += u < 0.1 ? 1 : 0;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.01);
  EXPECT_NEAR(static_cast<double>(below_tenth) / kDraws, 0.1, 0.01);
}

TEST(SplitMixSource, SameSeedSameStreamOtherSeedOtherStream) {
  SplitMixSource a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const double x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(SampleBeta, MeansMatchTheDistributionsIncludingShapesBelowOne) {
  struct Case {
    double a, b;
  };
  for (const Case& c :
       {Case{1, 1}, Case{2, 8}, Case{30, 70}, Case{0.5, 0.5}, Case{0.3, 3}, Case{101, 1}}) {
    SplitMixSource rng(7);
    const int kDraws = 20000;
    double sum = 0;
    double sum_sq = 0;
    for (int i = 0; i < kDraws; ++i) {
      const double x = SampleBeta(c.a, c.b, rng);
      ASSERT_GE(x, 0.0);
      ASSERT_LE(x, 1.0);
      sum += x;
      sum_sq += x * x;
    }
    const double mean = c.a / (c.a + c.b);
    const double var = c.a * c.b / ((c.a + c.b) * (c.a + c.b) * (c.a + c.b + 1));
    // 0.01 is over 3 standard errors of the mean for every case (sd <= 0.5 / sqrt(20000)).
    EXPECT_NEAR(sum / kDraws, mean, 0.01) << "Beta(" << c.a << "," << c.b << ")";
    EXPECT_NEAR(sum_sq / kDraws - (sum / kDraws) * (sum / kDraws), var, 0.1 * var + 0.002)
        << "Beta(" << c.a << "," << c.b << ")";
  }
}

TEST(SampleGamma, MeanIsTheShape) {
  SplitMixSource rng(3);
  for (double shape : {0.4, 1.0, 2.5, 20.0}) {
    double sum = 0;
    const int kDraws = 20000;
    for (int i = 0; i < kDraws; ++i) sum += SampleGamma(shape, rng);
    // sd of the mean = sqrt(shape / kDraws) <= 0.032; 4 of them.
    EXPECT_NEAR(sum / kDraws, shape, 4 * std::sqrt(shape / kDraws)) << shape;
  }
}

TEST(PosteriorMean, CountsPlusPriorAndClampsClicks) {
  EXPECT_DOUBLE_EQ(PosteriorMean({.exposures = 0, .clicks = 0}, {1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(PosteriorMean({.exposures = 8, .clicks = 2}, {1, 1}), 3.0 / 10.0);
  // More clicks than exposures (counts from windows of different ages) count as all clicked.
  EXPECT_DOUBLE_EQ(PosteriorMean({.exposures = 4, .clicks = 9}, {1, 1}), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(PosteriorMean({.exposures = -3, .clicks = 0}, {2, 3}), 2.0 / 5.0);
}

TEST(ThompsonTop, AverageDrawsAreThePosteriorMeans) {
  const std::vector<ArmCounts> arms = {{.exposures = 100, .clicks = 50},
                                       {.exposures = 100, .clicks = 10},
                                       {.exposures = 100, .clicks = 90},
                                       {.exposures = 0, .clicks = 0},
                                       {.exposures = 1000, .clicks = 0}};
  const BetaPrior prior{1, 1};
  SplitMixSource rng(11);
  std::vector<double> sums(arms.size(), 0);
  std::vector<double> draws;
  const int kRounds = 5000;
  for (int round = 0; round < kRounds; ++round) {
    ThompsonTop(arms, 1, prior, rng, &draws);
    ASSERT_EQ(draws.size(), arms.size());
    for (size_t i = 0; i < arms.size(); ++i) sums[i] += draws[i];
  }
  for (size_t i = 0; i < arms.size(); ++i) {
    EXPECT_NEAR(sums[i] / kRounds, PosteriorMean(arms[i], prior), 0.015) << "arm " << i;
  }
}

TEST(ThompsonTop, AnItemShownOftenAndNeverClickedIsChosenLess) {
  // Arm 0: never shown; arm 1: shown 200 times, never clicked; arm 2: shown 200 times, 40 clicks.
  const std::vector<ArmCounts> arms = {{.exposures = 0, .clicks = 0},
                                       {.exposures = 200, .clicks = 0},
                                       {.exposures = 200, .clicks = 40}};
  SplitMixSource rng(5);
  std::vector<int> first(arms.size(), 0);
  const int kRounds = 4000;
  for (int round = 0; round < kRounds; ++round) {
    const std::vector<size_t> top = ThompsonTop(arms, 1, {1, 1}, rng);
    ASSERT_EQ(top.size(), 1u);
    ++first[top[0]];
  }
  // P(Beta(1,201) > max(U, Beta(41,161))) is far below 1 %; the unknown arm wins ~80 %.
  EXPECT_LT(first[1], kRounds / 100);
  EXPECT_GT(first[0], first[2]);
  EXPECT_GT(first[2], first[1]);
}

TEST(ThompsonTop, ReturnsKDistinctArmsBestDrawFirst) {
  const std::vector<ArmCounts> arms(6);
  SplitMixSource rng(9);
  std::vector<double> draws;
  const std::vector<size_t> top = ThompsonTop(arms, 4, {1, 1}, rng, &draws);
  ASSERT_EQ(top.size(), 4u);
  for (size_t i = 1; i < top.size(); ++i) {
    EXPECT_NE(top[i], top[i - 1]);
    EXPECT_GE(draws[top[i - 1]], draws[top[i]]);
  }
  EXPECT_EQ(ThompsonTop(arms, 10, {1, 1}, rng).size(), 6u);
  EXPECT_TRUE(ThompsonTop({}, 3, {1, 1}, rng).empty());
}

TEST(ThompsonTop, AnInjectedSourceDecidesTheDraws) {
  // With Beta(1, 1) arms, each draw is Gamma(1) / (Gamma(1) + Gamma(1)); the same script gives
  // the same picks, and the draws consume the source (nothing else is random).
  const std::vector<ArmCounts> arms(5);
  const std::vector<double> script = {0.91, 0.12, 0.55, 0.33, 0.78, 0.05, 0.64, 0.27, 0.49};
  ScriptedSource a(script), b(script);
  std::vector<double> da, db;
  EXPECT_EQ(ThompsonTop(arms, 3, {1, 1}, a, &da), ThompsonTop(arms, 3, {1, 1}, b, &db));
  EXPECT_EQ(da, db);
  EXPECT_GT(a.calls(), 0u);
  EXPECT_EQ(a.calls(), b.calls());
}

}  // namespace
}  // namespace reco
