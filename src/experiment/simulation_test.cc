// The statistics validated by simulation: many experiments with fixed seeds, compared with what
// the theory predicts. Tolerances are binomial bands of the run count (3 standard deviations),
// so a correct implementation fails about 3 times in 1000 seeds, and these seeds are fixed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "experiment/results.h"
#include "experiment/stats.h"

namespace reco::experiment {
namespace {

constexpr double kAlpha = 0.05;

// 3 standard deviations of an observed rate around `p` over `runs` runs.
double Band(double p, int runs) { return 3 * std::sqrt(p * (1 - p) / runs); }

// Users whose CTR varies from user to user: p_u ~ Beta(kappa * mean, kappa * (1 - mean)),
// exposures 1 + Poisson(lambda), clicks ~ Binomial(exposures, p_u). The variation makes the
// exposures of one user correlated, which is why CTR needs the delta method.
struct CtrModel {
  double mean = 0.1;
  double kappa = 5;
  double lambda = 3;

  double VarP() const { return mean * (1 - mean) / (kappa + 1); }
  // The delta-method variance of sum clicks / sum exposures over n users, from the model's
  // moments: Var(x - R y) / (n E[y]²) with E[m] = 1 + λ and E[m(m-1)] = λ(2 + λ).
  double RatioVariance(int n) const {
    const double em = 1 + lambda, emm1 = lambda * (2 + lambda);
    return (em * mean * (1 - mean) + emm1 * VarP()) / (n * em * em);
  }
  void AddUsers(std::mt19937_64& rng, int n, RatioSums& sums) const {
    std::gamma_distribution<double> ga(kappa * mean, 1.0), gb(kappa * (1 - mean), 1.0);
    std::poisson_distribution<int> extra(lambda);
    for (int i = 0; i < n; ++i) {
      const double a = ga(rng), b = gb(rng);
      const double p = a + b > 0 ? a / (a + b) : mean;
      const int m = 1 + extra(rng);
      std::binomial_distribution<int> clicks(m, p);
      sums.Add(clicks(rng), m);
    }
  }
};

// The fixed-horizon power of a two-sided z-test of a true difference `delta` with standard
// error `se`.
double PredictedPower(double delta, double se) {
  const double z = NormalQuantile(1 - kAlpha / 2);
  return NormalCdf(delta / se - z) + NormalCdf(-delta / se - z);
}

TEST(Simulation, AAConversionFalsePositiveRateIsAlpha) {
  constexpr int kRuns = 1000, kUsers = 2000;
  int rejected = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(1000 + run);
    std::binomial_distribution<int64_t> converted(kUsers, 0.1);
    const int64_t a = converted(rng), b = converted(rng);
    rejected += TwoProportionTest(a, kUsers, b, kUsers, kAlpha).p_value < kAlpha;
  }
  const double fpr = static_cast<double>(rejected) / kRuns;
  std::printf("A/A conversion: false-positive rate %.4f over %d runs\n", fpr, kRuns);
  EXPECT_NEAR(fpr, kAlpha, Band(kAlpha, kRuns)) << "false-positive rate " << fpr;
}

TEST(Simulation, AACtrFalsePositiveRateIsAlphaWithTheDeltaMethodOnly) {
  constexpr int kRuns = 600, kUsers = 1000;
  const CtrModel model{.mean = 0.1, .kappa = 3, .lambda = 3};
  int delta_rejected = 0, naive_rejected = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(2000 + run);
    RatioSums a, b;
    model.AddUsers(rng, kUsers, a);
    model.AddUsers(rng, kUsers, b);
    delta_rejected += RatioTest(a, b, kAlpha).p_value < kAlpha;
    // Treating every exposure as an independent trial understates the variance.
    naive_rejected +=
        TwoProportionTest(static_cast<int64_t>(a.x), static_cast<int64_t>(a.y),
                          static_cast<int64_t>(b.x), static_cast<int64_t>(b.y), kAlpha)
            .p_value < kAlpha;
  }
  const double delta_fpr = static_cast<double>(delta_rejected) / kRuns;
  const double naive_fpr = static_cast<double>(naive_rejected) / kRuns;
  std::printf("A/A CTR: false-positive rate %.4f (delta method), %.4f (per exposure)\n", delta_fpr,
              naive_fpr);
  EXPECT_NEAR(delta_fpr, kAlpha, Band(kAlpha, kRuns)) << "delta method " << delta_fpr;
  EXPECT_GT(naive_fpr, kAlpha + Band(kAlpha, kRuns)) << "per-exposure test " << naive_fpr;
}

TEST(Simulation, DeltaMethodVarianceMatchesTheEmpiricalVariance) {
  constexpr int kRuns = 2000, kUsers = 500;
  const CtrModel model{.mean = 0.1, .kappa = 3, .lambda = 3};
  double sum = 0, sum_sq = 0, estimated = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(3000 + run);
    RatioSums s;
    model.AddUsers(rng, kUsers, s);
    sum += s.ratio();
    sum_sq += s.ratio() * s.ratio();
    estimated += RatioVariance(s);
  }
  const double mean = sum / kRuns;
  const double empirical = (sum_sq - kRuns * mean * mean) / (kRuns - 1);
  estimated /= kRuns;
  const double analytic = model.RatioVariance(kUsers);
  std::printf("CTR variance: empirical %.4g, delta-method mean %.4g, analytic %.4g\n", empirical,
              estimated, analytic);
  // The empirical variance of 2000 runs has a relative standard error of sqrt(2/2000) ≈ 3 %.
  EXPECT_NEAR(empirical / analytic, 1, 0.1) << empirical << " vs " << analytic;
  EXPECT_NEAR(estimated / analytic, 1, 0.05) << estimated << " vs " << analytic;
  // A binomial variance per exposure would be far too small here.
  const double binomial = model.mean * (1 - model.mean) / (kUsers * (1 + model.lambda));
  EXPECT_GT(empirical, 1.3 * binomial);
}

// Daily looks at an A/A experiment: acting on the first fixed-horizon p < alpha inflates the
// false positives; acting on the sequential p-value does not.
TEST(Simulation, DailyPeekingInflatesTheZTestButNotTheSequentialPValue) {
  constexpr int kRuns = 600, kDays = 14, kUsersPerDay = 300;
  const ResultsOptions options;
  int naive_conv = 0, seq_conv = 0, naive_ctr = 0, seq_ctr = 0;
  const CtrModel model{.mean = 0.1, .kappa = 3, .lambda = 3};
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(4000 + run);
    std::binomial_distribution<int64_t> converted(kUsersPerDay, 0.1);
    int64_t xa = 0, xb = 0, n = 0;
    RatioSums a, b;
    bool nc = false, sc = false, nr = false, sr = false;
    for (int day = 0; day < kDays; ++day) {
      xa += converted(rng);
      xb += converted(rng);
      n += kUsersPerDay;
      model.AddUsers(rng, kUsersPerDay, a);
      model.AddUsers(rng, kUsersPerDay, b);
      const Comparison conv = TwoProportionTest(xa, n, xb, n, kAlpha);
      const Comparison ctr = RatioTest(a, b, kAlpha);
      nc = nc || conv.p_value < kAlpha;
      sc = sc || SequentialPValueAtLook(conv, options) < kAlpha;
      nr = nr || ctr.p_value < kAlpha;
      sr = sr || SequentialPValueAtLook(ctr, options) < kAlpha;
    }
    naive_conv += nc;
    seq_conv += sc;
    naive_ctr += nr;
    seq_ctr += sr;
  }
  const double band = Band(kAlpha, kRuns);
  std::printf(
      "14 daily looks, A/A: z-test %.4f / %.4f, sequential %.4f / %.4f (conversion / CTR)\n",
      static_cast<double>(naive_conv) / kRuns, static_cast<double>(naive_ctr) / kRuns,
      static_cast<double>(seq_conv) / kRuns, static_cast<double>(seq_ctr) / kRuns);
  // Fourteen looks take the z-test's false-positive rate to about 0.2.
  EXPECT_GT(static_cast<double>(naive_conv) / kRuns, kAlpha + 2 * band) << naive_conv;
  EXPECT_GT(static_cast<double>(naive_ctr) / kRuns, kAlpha + 2 * band) << naive_ctr;
  EXPECT_LE(static_cast<double>(seq_conv) / kRuns, kAlpha + band) << seq_conv;
  EXPECT_LE(static_cast<double>(seq_ctr) / kRuns, kAlpha + band) << seq_ctr;
}

TEST(Simulation, AHigherCtrIsDetectedAtThePredictedPower) {
  constexpr int kRuns = 500, kUsers = 4500;
  const CtrModel control{.mean = 0.10, .kappa = 5, .lambda = 3};
  const CtrModel treatment{.mean = 0.11, .kappa = 5, .lambda = 3};
  const double se = std::sqrt(control.RatioVariance(kUsers) + treatment.RatioVariance(kUsers));
  const double predicted = PredictedPower(treatment.mean - control.mean, se);
  ASSERT_GT(predicted, 0.5);  // a test of power, not of a sure thing
  ASSERT_LT(predicted, 0.9);
  int detected = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(5000 + run);
    RatioSums a, b;
    control.AddUsers(rng, kUsers, a);
    treatment.AddUsers(rng, kUsers, b);
    const Comparison c = RatioTest(a, b, kAlpha);
    detected += c.p_value < kAlpha && c.difference > 0;
  }
  const double power = static_cast<double>(detected) / kRuns;
  std::printf("power: observed %.4f, predicted %.4f over %d runs\n", power, predicted, kRuns);
  EXPECT_NEAR(power, predicted, Band(predicted, kRuns))
      << "observed " << power << " predicted " << predicted;
}

TEST(Simulation, AHigherConversionRateIsDetectedAtThePredictedPower) {
  constexpr int kRuns = 1000, kUsers = 3000;
  const double p0 = 0.10, p1 = 0.12;
  const double se = std::sqrt(p0 * (1 - p0) / kUsers + p1 * (1 - p1) / kUsers);
  const double predicted = PredictedPower(p1 - p0, se);
  ASSERT_GT(predicted, 0.5);
  ASSERT_LT(predicted, 0.95);
  int detected = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(6000 + run);
    std::binomial_distribution<int64_t> a(kUsers, p0), b(kUsers, p1);
    const int64_t xa = a(rng), xb = b(rng);
    const Comparison c = TwoProportionTest(xa, kUsers, xb, kUsers, kAlpha);
    detected += c.p_value < kAlpha && c.difference > 0;
  }
  const double power = static_cast<double>(detected) / kRuns;
  std::printf("power: observed %.4f, predicted %.4f over %d runs\n", power, predicted, kRuns);
  EXPECT_NEAR(power, predicted, Band(predicted, kRuns))
      << "observed " << power << " predicted " << predicted;
}

TEST(Simulation, SampleRatioPValueIsUniformUnderCorrectAssignment) {
  // Users split 1:1:2 at random: the chi-square p-value (2 dof) falls below 0.05 in 5 % of runs.
  constexpr int kRuns = 1000, kUsers = 3000;
  const std::vector<double> weights = {1, 1, 2};
  int below = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(7000 + run);
    std::discrete_distribution<int> pick(weights.begin(), weights.end());
    std::vector<int64_t> counts(3, 0);
    for (int i = 0; i < kUsers; ++i) ++counts[pick(rng)];
    below += SampleRatioTest(counts, weights, kAlpha).p_value < kAlpha;
  }
  const double rate = static_cast<double>(below) / kRuns;
  std::printf("SRM under correct assignment: p < 0.05 in %.4f of %d runs\n", rate, kRuns);
  EXPECT_NEAR(rate, kAlpha, Band(kAlpha, kRuns));
}

TEST(Simulation, AAResultsAreSignificantAtMostAlphaThroughComputeResults) {
  // The whole results path (per-user counts, daily looks, sequential p-values) on A/A data.
  constexpr int kRuns = 300, kDays = 7, kUsersPerDay = 150;
  ExperimentRecord e;
  e.id = "aa";
  e.variants = {{"a", 1, "scenario", "s"}, {"b", 1, "scenario", "s"}};
  const ResultsOptions options;
  int significant = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(8000 + run);
    std::poisson_distribution<int> extra(2);
    std::bernoulli_distribution click(0.1), convert(0.05);
    std::vector<VariantCounts> now(2);
    std::vector<std::vector<VariantCounts>> looks;
    for (int day = 0; day < kDays; ++day) {
      if (day > 0) looks.push_back(now);
      for (int v = 0; v < 2; ++v) {
        for (int i = 0; i < kUsersPerDay; ++i) {
          UserCounts u;
          u.exposures = 1 + extra(rng);
          for (int k = 0; k < u.exposures; ++k) u.clicks += click(rng);
          u.conversions = convert(rng);
          now[v].push_back(u);
        }
      }
    }
    const ExperimentResults r = ComputeResults(e, now, looks, options);
    significant +=
        r.comparisons.at(0).ctr.significant || r.comparisons.at(0).conversion_rate.significant;
  }
  const double rate = static_cast<double>(significant) / kRuns;
  std::printf("A/A through the results, 7 looks: flagged significant in %.4f of %d runs\n", rate,
              kRuns);
  // Two metrics, each at most alpha: at most 2 alpha together.
  EXPECT_LE(rate, 2 * kAlpha + Band(2 * kAlpha, kRuns));
}

}  // namespace
}  // namespace reco::experiment
