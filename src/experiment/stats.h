// Statistics of A/B experiments: pure functions on counts, explained with their formulas in
// docs/experiments.md.
//
// - TwoProportionTest: per-user rates (conversion rate: users who converted / users).
// - RatioTest: a ratio metric whose unit of assignment is the user (CTR per exposure = sum of
//   clicks / sum of exposures over users); its variance by the delta method, because exposures of
//   one user are not independent.
// - SampleRatioTest: users per variant against the configured weights (chi-square, k-1 dof).
// - SequentialPValue: the always-valid p-value of a normal-mixture SPRT (mSPRT), so that looking
//   at the results every day does not inflate the false-positive rate.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>

namespace reco::experiment {

// Standard normal distribution.
double NormalCdf(double x);
// The x with NormalCdf(x) = p, for p in (0, 1).
double NormalQuantile(double p);
// Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x >= 0.
double UpperIncompleteGammaQ(double a, double x);
// P(X >= x) for X chi-square with `dof` degrees of freedom.
double ChiSquareSurvival(double x, int dof);

// A difference treatment - control with its standard error, interval and p-value.
struct Comparison {
  double control = 0;     // the control's estimate
  double treatment = 0;   // the treatment's estimate
  double difference = 0;  // treatment - control
  double std_error = 0;   // unpooled standard error of the difference
  double ci_low = 0;      // difference -/+ z(1 - alpha/2) * std_error
  double ci_high = 0;
  double z = 0;
  double p_value = 1;  // two-sided; 1 when there is no data to test
  bool valid = false;  // false when either side has no users (or no exposures)
};

// Two-proportion z-test of x_t/n_t against x_c/n_c: the p-value from the pooled standard error
// (the null says both rates are equal), the interval from the unpooled one.
Comparison TwoProportionTest(int64_t x_control, int64_t n_control, int64_t x_treatment,
                             int64_t n_treatment, double alpha);

// Sums a ratio metric needs over the users of one variant: sum x, sum y, sum x², sum y², sum xy,
// where x is the numerator (clicks) and y the denominator (exposures) of one user.
struct RatioSums {
  int64_t users = 0;
  double x = 0;
  double y = 0;
  double xx = 0;
  double yy = 0;
  double xy = 0;
  void Add(double xi, double yi) {
    ++users;
    x += xi;
    y += yi;
    xx += xi * xi;
    yy += yi * yi;
    xy += xi * yi;
  }
  double ratio() const { return y > 0 ? x / y : 0; }
};

// Delta-method variance of sum x / sum y: (s_xx - 2 R s_xy + R² s_yy) / (n ȳ²), with the sample
// (co)variances s and R = sum x / sum y. 0 when there are fewer than 2 users or no exposures.
double RatioVariance(const RatioSums& sums);
// z-test of the difference of two ratio metrics with delta-method variances.
Comparison RatioTest(const RatioSums& control, const RatioSums& treatment, double alpha);

// Sample-ratio mismatch: the chi-square statistic of the observed users per variant against
// total * weight / sum(weights), and its p-value with k - 1 degrees of freedom.
struct SampleRatio {
  double chi_square = 0;
  int dof = 0;
  double p_value = 1;
  bool mismatch = false;  // p_value < the threshold given
};
SampleRatio SampleRatioTest(std::span<const int64_t> observed, std::span<const double> weights,
                            double threshold);

// The mSPRT with a normal mixture N(0, tau²) over the true difference: for an estimate `diff`
// with variance `variance`, the likelihood ratio of the mixture against "no difference" is
//   Λ = sqrt(V / (V + τ²)) · exp(diff² τ² / (2 V (V + τ²))),
// and 1/Λ is a p-value valid at that look; the always-valid p-value is the running minimum of
// min(1, 1/Λ) over the looks so far. Returns min(1, 1/Λ) of one look (1 when variance <= 0).
double MixtureSprtPValue(double diff, double variance, double tau);

}  // namespace reco::experiment
