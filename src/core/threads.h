// Thread counts for parallel work. Thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>

namespace reco {

// `requested` threads (0 = number of cores), at least 1 and at most one per unit of work.
inline int ThreadCount(int requested, size_t work) {
  int n = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(n, 1);
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(n), std::max<size_t>(work, 1)));
}

}  // namespace reco
