#include "experiment/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reco::experiment {
namespace {

// Q(a, x) by Legendre's continued fraction (modified Lentz), for x >= a + 1.
double GammaQContinuedFraction(double a, double x) {
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a;
  double c = 1 / kTiny;
  double d = 1 / b;
  double h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

// P(a, x) = 1 - Q(a, x) by its power series, for x < a + 1.
double GammaPSeries(double a, double x) {
  double term = 1 / a;
  double sum = term;
  for (int n = 1; n < 1000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-16) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

double TwoSidedP(double z) { return std::clamp(2 * NormalCdf(-std::fabs(z)), 0.0, 1.0); }

// Fills the interval and z of `c` from its difference and standard error.
void FinishComparison(Comparison& c, double alpha) {
  const double q = NormalQuantile(1 - alpha / 2);
  c.difference = c.treatment - c.control;
  c.ci_low = c.difference - q * c.std_error;
  c.ci_high = c.difference + q * c.std_error;
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Bisection on the monotone CDF, then Newton steps: exact to double precision, and only ever
  // called a few times per result.
  double lo = -40, hi = 40;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  double x = (lo + hi) / 2;
  for (int i = 0; i < 3; ++i) {
    const double pdf = std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
    if (pdf <= 0) break;
    x -= (NormalCdf(x) - p) / pdf;
  }
  return x;
}

double UpperIncompleteGammaQ(double a, double x) {
  if (x <= 0) return 1;
  if (x < a + 1) return std::clamp(1 - GammaPSeries(a, x), 0.0, 1.0);
  return std::clamp(GammaQContinuedFraction(a, x), 0.0, 1.0);
}

double ChiSquareSurvival(double x, int dof) {
  if (dof <= 0) return 1;
  return UpperIncompleteGammaQ(dof / 2.0, x / 2.0);
}

Comparison TwoProportionTest(int64_t x_control, int64_t n_control, int64_t x_treatment,
                             int64_t n_treatment, double alpha) {
  Comparison c;
  if (n_control <= 0 || n_treatment <= 0) return c;
  const double nc = static_cast<double>(n_control), nt = static_cast<double>(n_treatment);
  c.control = x_control / nc;
  c.treatment = x_treatment / nt;
  c.std_error = std::sqrt(c.control * (1 - c.control) / nc + c.treatment * (1 - c.treatment) / nt);
  FinishComparison(c, alpha);
  const double pooled = (x_control + x_treatment) / (nc + nt);
  const double se0 = std::sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt));
  c.valid = true;
  if (se0 > 0) {
    c.z = c.difference / se0;
    c.p_value = TwoSidedP(c.z);
  }
  return c;
}

double RatioVariance(const RatioSums& s) {
  if (s.users < 2 || s.y <= 0) return 0;
  const double n = static_cast<double>(s.users);
  const double mx = s.x / n, my = s.y / n;
  const double sxx = (s.xx - n * mx * mx) / (n - 1);
  const double syy = (s.yy - n * my * my) / (n - 1);
  const double sxy = (s.xy - n * mx * my) / (n - 1);
  const double r = s.x / s.y;
  return std::max(0.0, (sxx - 2 * r * sxy + r * r * syy) / (n * my * my));
}

Comparison RatioTest(const RatioSums& control, const RatioSums& treatment, double alpha) {
  Comparison c;
  if (control.y <= 0 || treatment.y <= 0) return c;
  c.control = control.ratio();
  c.treatment = treatment.ratio();
  c.std_error = std::sqrt(RatioVariance(control) + RatioVariance(treatment));
  FinishComparison(c, alpha);
  c.valid = true;
  if (c.std_error > 0) {
    c.z = c.difference / c.std_error;
    c.p_value = TwoSidedP(c.z);
  }
  return c;
}

SampleRatio SampleRatioTest(std::span<const int64_t> observed, std::span<const double> weights,
                            double threshold) {
  SampleRatio r;
  if (observed.size() != weights.size() || observed.size() < 2) return r;
  double total = 0, weight_sum = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    total += static_cast<double>(observed[i]);
    weight_sum += weights[i];
  }
  if (total <= 0 || weight_sum <= 0) return r;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double expected = total * weights[i] / weight_sum;
    const double gap = static_cast<double>(observed[i]) - expected;
    if (expected > 0) r.chi_square += gap * gap / expected;
  }
  r.dof = static_cast<int>(observed.size()) - 1;
  r.p_value = ChiSquareSurvival(r.chi_square, r.dof);
  r.mismatch = r.p_value < threshold;
  return r;
}

double MixtureSprtPValue(double diff, double variance, double tau) {
  if (variance <= 0 || tau <= 0) return 1;
  const double t2 = tau * tau;
  const double log_lambda = 0.5 * std::log(variance / (variance + t2)) +
                            diff * diff * t2 / (2 * variance * (variance + t2));
  return std::min(1.0, std::exp(-log_lambda));
}

}  // namespace reco::experiment
