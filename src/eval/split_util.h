// Internal helpers shared by the protocol implementations (not part of the eval API).
//
// Thread-safety: pure functions of their arguments, except that Shuffle advances `rng`.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace reco::eval::internal {

// Fisher-Yates with the engine's raw output, so that a seed gives the same order on every
// standard library (std::shuffle's use of the engine is implementation-defined).
template <typename T>
void Shuffle(std::vector<T>& values, std::mt19937_64& rng) {
  for (size_t i = values.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng() % i);
    std::swap(values[i - 1], values[j]);
  }
}

// round(fraction * n) clamped to [1, n - 1]; n must be >= 2.
inline size_t HoldOutCount(size_t n, double fraction) {
  auto count = static_cast<size_t>(std::llround(fraction * static_cast<double>(n)));
  if (count < 1) count = 1;
  if (count > n - 1) count = n - 1;
  return count;
}

// A Dataset with the users and items of `source` (same indices, same attributes), then
// `extra_items` appended, and the positives of `source` whose position p in the user-major
// order (user by user, items ascending) has keep[p] != 0. keep.size() == num_positives().
Dataset CopyDataset(const Dataset& source, const std::vector<uint8_t>& keep,
                    const std::vector<std::string>& extra_items = {});

}  // namespace reco::eval::internal
