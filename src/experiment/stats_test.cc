#include "experiment/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace reco::experiment {
namespace {

TEST(Normal, CdfAndQuantileMatchTables) {
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-15);
  EXPECT_NEAR(NormalCdf(1.959963984540054), 0.975, 1e-12);
  EXPECT_NEAR(NormalCdf(-1), 0.15865525393145707, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489004, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.5), 0, 1e-12);
  EXPECT_NEAR(NormalQuantile(1e-6), -4.753424308822899, 1e-8);
  EXPECT_TRUE(std::isinf(NormalQuantile(0)));
}

TEST(ChiSquare, SurvivalMatchesTables) {
  // Reference values: upper tail of the chi-square distribution.
  EXPECT_NEAR(ChiSquareSurvival(3.841458820694124, 1), 0.05, 1e-10);
  EXPECT_NEAR(ChiSquareSurvival(5.991464547107979, 2), 0.05, 1e-10);
  EXPECT_NEAR(ChiSquareSurvival(11.344866730144373, 3), 0.01, 1e-10);
  EXPECT_NEAR(ChiSquareSurvival(10.827566170662733, 1), 0.001, 1e-10);
  EXPECT_NEAR(ChiSquareSurvival(2, 2), std::exp(-1.0), 1e-12);  // 2 dof: exp(-x/2)
  EXPECT_NEAR(ChiSquareSurvival(0.5, 4), 0.9735009788392561, 1e-10);
  EXPECT_NEAR(ChiSquareSurvival(40, 10), 1.6944743930067385e-05, 1e-12);  // e^-20 sum_{j<5} 20^j/j!
  EXPECT_DOUBLE_EQ(ChiSquareSurvival(0, 3), 1);
}

TEST(IncompleteGamma, SeriesAndContinuedFractionAgreeAtTheSwitch) {
  for (double a : {0.5, 1.0, 2.5, 7.0}) {
    const double x = a + 1;
    EXPECT_NEAR(UpperIncompleteGammaQ(a, x - 1e-9), UpperIncompleteGammaQ(a, x + 1e-9), 1e-8) << a;
  }
  // Q(1, x) = exp(-x).
  EXPECT_NEAR(UpperIncompleteGammaQ(1, 3), std::exp(-3.0), 1e-13);
}

TEST(TwoProportion, MatchesAHandComputedExample) {
  // 100/1000 vs 130/1000: pooled p = 0.115, se0 = sqrt(0.115*0.885*0.002) = 0.0142671.
  Comparison c = TwoProportionTest(100, 1000, 130, 1000, 0.05);
  ASSERT_TRUE(c.valid);
  EXPECT_NEAR(c.difference, 0.03, 1e-12);
  EXPECT_NEAR(c.z, 0.03 / std::sqrt(0.115 * 0.885 * 0.002), 1e-9);
  EXPECT_NEAR(c.p_value, 0.0354884505, 1e-8);
  const double se = std::sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000);
  EXPECT_NEAR(c.std_error, se, 1e-12);
  EXPECT_NEAR(c.ci_low, 0.03 - 1.959963984540054 * se, 1e-9);
  EXPECT_NEAR(c.ci_high, 0.03 + 1.959963984540054 * se, 1e-9);
}

TEST(TwoProportion, EmptyOrDegenerateSidesAreNotSignificant) {
  EXPECT_FALSE(TwoProportionTest(0, 0, 5, 10, 0.05).valid);
  Comparison zeros = TwoProportionTest(0, 100, 0, 100, 0.05);
  EXPECT_TRUE(zeros.valid);
  EXPECT_DOUBLE_EQ(zeros.p_value, 1);
}

TEST(Ratio, DeltaVarianceMatchesTheFormula) {
  // Users (x, y): (1,2) (0,3) (2,2) (1,1).
  RatioSums s;
  for (auto [x, y] : std::vector<std::pair<double, double>>{{1, 2}, {0, 3}, {2, 2}, {1, 1}}) {
    s.Add(x, y);
  }
  const double n = 4, mx = 1, my = 2, r = 0.5;
  const double sxx = (1 + 0 + 4 + 1 - n * mx * mx) / 3;  // 2/3
  const double syy = (4 + 9 + 4 + 1 - n * my * my) / 3;  // 2/3
  const double sxy = (2 + 0 + 4 + 1 - n * mx * my) / 3;  // -1/3
  const double want = (sxx - 2 * r * sxy + r * r * syy) / (n * my * my);
  EXPECT_NEAR(RatioVariance(s), want, 1e-15);
  EXPECT_DOUBLE_EQ(s.ratio(), r);
}

TEST(Ratio, OneExposurePerUserReducesToTheBinomialVariance) {
  // With y = 1 for every user the ratio is a mean of 0/1 values: var = s²/n.
  RatioSums s;
  for (int i = 0; i < 1000; ++i) s.Add(i % 10 == 0 ? 1 : 0, 1);
  const double p = 0.1, n = 1000;
  EXPECT_NEAR(RatioVariance(s), p * (1 - p) * n / (n - 1) / n, 1e-12);
}

TEST(Ratio, TestComparesTwoRatios) {
  RatioSums a, b;
  for (int i = 0; i < 500; ++i) {
    a.Add(i % 10 == 0 ? 1 : 0, 1);
    b.Add(i % 5 == 0 ? 1 : 0, 1);
  }
  Comparison c = RatioTest(a, b, 0.05);
  ASSERT_TRUE(c.valid);
  EXPECT_NEAR(c.difference, 0.1, 1e-12);
  EXPECT_NEAR(c.std_error, std::sqrt(RatioVariance(a) + RatioVariance(b)), 1e-15);
  EXPECT_LT(c.p_value, 0.001);
  EXPECT_FALSE(RatioTest(RatioSums{}, b, 0.05).valid);
}

TEST(SampleRatio, FlagsOnlyARealMismatch) {
  const std::vector<double> even = {1, 1};
  std::vector<int64_t> balanced = {5030, 4970};
  SampleRatio ok = SampleRatioTest(balanced, even, 0.001);
  EXPECT_NEAR(ok.chi_square, 0.36, 1e-12);
  EXPECT_EQ(ok.dof, 1);
  EXPECT_NEAR(ok.p_value, 0.548506, 1e-5);
  EXPECT_FALSE(ok.mismatch);
  std::vector<int64_t> skewed = {5300, 4700};
  EXPECT_TRUE(SampleRatioTest(skewed, even, 0.001).mismatch);
  // Unequal weights: 1:3 expected.
  const std::vector<double> w = {1, 3};
  std::vector<int64_t> fits = {2500, 7500};
  EXPECT_NEAR(SampleRatioTest(fits, w, 0.001).p_value, 1, 1e-12);
  // Three variants, 2 dof.
  std::vector<int64_t> three = {100, 100, 130};
  const std::vector<double> w3 = {1, 1, 1};
  SampleRatio r3 = SampleRatioTest(three, w3, 0.001);
  EXPECT_EQ(r3.dof, 2);
  EXPECT_NEAR(r3.chi_square, (100 - 110.0) * (100 - 110.0) / 110 * 2 + 400 / 110.0, 1e-9);
  EXPECT_NEAR(r3.p_value, std::exp(-r3.chi_square / 2), 1e-12);
}

TEST(MixtureSprt, MatchesTheClosedFormAndShrinksWithEvidence) {
  const double v = 0.0001, tau = 0.01, diff = 0.03;
  const double lambda = std::sqrt(v / (v + tau * tau)) *
                        std::exp(diff * diff * tau * tau / (2 * v * (v + tau * tau)));
  EXPECT_NEAR(MixtureSprtPValue(diff, v, tau), 1 / lambda, 1e-12);
  EXPECT_DOUBLE_EQ(MixtureSprtPValue(0, v, tau), 1);  // no difference: Λ < 1
  EXPECT_DOUBLE_EQ(MixtureSprtPValue(0.03, 0, tau), 1);
  // Always at least the fixed-horizon p-value of the same z (it pays for peeking).
  const double z = diff / std::sqrt(v);
  EXPECT_GT(MixtureSprtPValue(diff, v, tau), 2 * NormalCdf(-z));
}

}  // namespace
}  // namespace reco::experiment
