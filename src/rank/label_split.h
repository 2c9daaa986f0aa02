// The temporal split the ranker trains on, inside its training data: each user's latest
// positives (by time, then item index) form the label window, the rest is the earlier part the
// recall sources are fitted on. Also the per-user "recent items" lists the features use.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.h"

namespace reco::rank {

struct LabelSplit {
  Dataset earlier;  // same users and items (indices, attributes) as the input
  // labels[u]: the items of user u in the label window, ascending; empty for users with fewer
  // than two positives (they stay whole in `earlier`).
  std::vector<std::vector<uint32_t>> labels;
};

// Holds out round(label_fraction * n) of each user's n positives, clamped to [1, n - 1].
LabelSplit SplitLatest(const Dataset& dataset, double label_fraction);

// Per-user latest items, most recent first (ties: higher item index first), at most `n` each.
struct RecentItems {
  std::vector<uint64_t> offsets;  // size num_users + 1
  std::vector<uint32_t> items;
  std::span<const uint32_t> Of(uint32_t user) const;
};
RecentItems LatestItems(const Dataset& dataset, int n);

}  // namespace reco::rank
