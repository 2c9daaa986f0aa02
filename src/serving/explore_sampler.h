// Thompson sampling over Beta posteriors of click-through rates: the bandit that chooses which
// fresh items a new user's exploration mix shows (serving/explorer.h, docs/content.md). Each
// item is an arm with `exposures` impressions and `clicks` clicks; its rate has the posterior
// Beta(clicks + alpha, exposures - clicks + beta). One draw per arm and the arms of the largest
// draws win: an arm with few exposures has a wide posterior and is tried, one shown often and
// never clicked has a posterior close to 0 and is rarely chosen.
//
// Randomness comes from a UniformSource the caller injects (tests script or seed it); the
// samplers are written here, not taken from <random>, so that a seed gives the same draws with
// every standard library.
//
// Thread-safety: the functions are pure apart from the source they advance; a source belongs to
// one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace reco {

class UniformSource {
 public:
  virtual ~UniformSource() = default;
  // A uniform number in the open interval (0, 1).
  virtual double Next() = 0;
};

// SplitMix64: small, fast, and every seed (0 included) gives a full-period stream.
class SplitMixSource final : public UniformSource {
 public:
  explicit SplitMixSource(uint64_t seed) : state_(seed) {}
  double Next() override;

 private:
  uint64_t state_;
};

double SampleStandardNormal(UniformSource& rng);
// Gamma(shape, 1), shape > 0 (Marsaglia and Tsang's method; shape < 1 by the boost
// Gamma(shape + 1) * U^(1/shape)).
double SampleGamma(double shape, UniformSource& rng);
// Beta(a, b), a > 0 and b > 0, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
double SampleBeta(double a, double b, UniformSource& rng);

struct ArmCounts {
  double exposures = 0;
  double clicks = 0;  // clamped to [0, exposures] when sampled
};

struct BetaPrior {
  double alpha = 1;  // > 0: prior clicks
  double beta = 1;   // > 0: prior impressions without a click
};

// The posterior mean (clicks + alpha) / (exposures + alpha + beta) of one arm.
double PosteriorMean(const ArmCounts& arm, BetaPrior prior);

// One draw of every arm's posterior; the indices of the `k` largest draws, best first (all of
// them when k >= arms.size()), and each index's draw in `draws` (indexed by arm) when not null.
std::vector<size_t> ThompsonTop(std::span<const ArmCounts> arms, size_t k, BetaPrior prior,
                                UniformSource& rng, std::vector<double>* draws = nullptr);

}  // namespace reco
