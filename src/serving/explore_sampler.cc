#include "serving/explore_sampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace reco {

double SplitMixSource::Next() {
  state_ += 0x9e3779b97f4a7c15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  // The top 53 bits, shifted by half a step: never exactly 0 or 1.
  return (static_cast<double>(z >> 11) + 0.5) * 0x1.0p-53;
}

double SampleStandardNormal(UniformSource& rng) {
  // Box–Muller; the second value of the pair is dropped to keep the source the only state.
  const double u1 = rng.Next();
  const double u2 = rng.Next();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double SampleGamma(double shape, UniformSource& rng) {
  if (shape < 1.0) {
    const double boost = std::pow(rng.Next(), 1.0 / shape);
    return SampleGamma(shape + 1.0, rng) * boost;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0;
    double v = 0;
    do {
      x = SampleStandardNormal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.Next();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double SampleBeta(double a, double b, UniformSource& rng) {
  const double x = SampleGamma(a, rng);
  const double y = SampleGamma(b, rng);
  const double sum = x + y;
  // Both tiny (shapes far below 1) can underflow to 0: the mean is the honest answer then.
  return sum > 0 ? x / sum : a / (a + b);
}

namespace {

// (alpha', beta') of one arm's posterior.
std::pair<double, double> Posterior(const ArmCounts& arm, BetaPrior prior) {
  const double exposures = std::max(0.0, arm.exposures);
  const double clicks = std::clamp(arm.clicks, 0.0, exposures);
  return {clicks + prior.alpha, exposures - clicks + prior.beta};
}

}  // namespace

double PosteriorMean(const ArmCounts& arm, BetaPrior prior) {
  const auto [a, b] = Posterior(arm, prior);
  return a / (a + b);
}

std::vector<size_t> ThompsonTop(std::span<const ArmCounts> arms, size_t k, BetaPrior prior,
                                UniformSource& rng, std::vector<double>* draws) {
  std::vector<double> local;
  std::vector<double>& theta = draws != nullptr ? *draws : local;
  theta.resize(arms.size());
  for (size_t i = 0; i < arms.size(); ++i) {
    const auto [a, b] = Posterior(arms[i], prior);
    theta[i] = SampleBeta(a, b, rng);
  }
  std::vector<size_t> order(arms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  k = std::min(k, order.size());
  // Ties (equal draws) go to the lower index, so a seed gives one answer.
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
      [&theta](size_t x, size_t y) { return theta[x] != theta[y] ? theta[x] > theta[y] : x < y; });
  order.resize(k);
  return order;
}

}  // namespace reco
