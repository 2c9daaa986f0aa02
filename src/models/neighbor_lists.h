// NeighborLists: per-item weighted neighbour lists, best first, as CSR — offsets (size n + 1),
// neighbour indices and weights in parallel arrays. Item-to-item models (item-CF, RP3beta) build
// them in parallel with a per-thread "finder" and store them in their payloads.
//
// Thread-safety: immutable after Build/Read; concurrent const calls are safe. Movable.
// Lifetime: spans returned by Ids/Weights stay valid while the lists live.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "core/progress.h"
#include "core/status.h"
#include "core/threads.h"
#include "models/binary_io.h"

namespace reco {

struct ScoredNeighbor {
  float weight;
  uint32_t item;
};

// Keeps the best `k` candidates (weight desc, ties by lower index), sorted best first.
void KeepTopK(std::vector<ScoredNeighbor>& candidates, size_t k);

class NeighborLists {
 public:
  // Calls finder.Find(i, out) for every item i in [0, num_items) on ThreadCount(num_threads)
  // threads, each with its own finder from make_finder() (scratch space is per thread), and packs
  // the lists. Find must fill `out` best first. Progress counts items.
  template <typename MakeFinder>
  static NeighborLists Build(size_t num_items, int num_threads, Progress& progress,
                             MakeFinder make_finder);

  size_t num_items() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  size_t num_entries() const { return ids_.size(); }
  // Empty for an out-of-range item.
  std::span<const uint32_t> Ids(uint32_t item) const;
  std::span<const float> Weights(uint32_t item) const;

  void Write(BinaryWriter& w) const;
  // Reads what Write wrote and checks it against `num_items` (DataLoss via r.Corrupt otherwise).
  Status Read(BinaryReader& r, size_t num_items);

 private:
  void Pack(std::vector<std::vector<ScoredNeighbor>>& lists);

  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> ids_;
  std::vector<float> weights_;
};

template <typename MakeFinder>
NeighborLists NeighborLists::Build(size_t num_items, int num_threads, Progress& progress,
                                   MakeFinder make_finder) {
  std::vector<std::vector<ScoredNeighbor>> lists(num_items);
  constexpr uint32_t kBlock = 64;
  std::atomic<uint32_t> next{0};
  auto work = [&] {
    auto finder = make_finder();
    for (;;) {
      const uint32_t begin = next.fetch_add(kBlock);
      if (begin >= num_items) break;
      const uint32_t end =
          static_cast<uint32_t>(std::min<size_t>(num_items, begin + size_t{kBlock}));
      for (uint32_t i = begin; i < end; ++i) finder.Find(i, lists[i]);
      progress.Add(end - begin);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < ThreadCount(num_threads, num_items); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  NeighborLists out;
  out.Pack(lists);
  return out;
}

}  // namespace reco
