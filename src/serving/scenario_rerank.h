// The rerank steps of a scenario, over a list already in relevance order (best first):
// category diversity (at most K items of one category among the top N) and MMR (maximal
// marginal relevance: relevance traded against similarity to what is already placed, the
// similarity of two items being the Jaccard overlap of their category sets).
//
// Both return a permutation of [0, size): position p of the new list holds the item that was at
// position order[p]. Items after the window keep their relative order.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace reco {

// `categories[i]` holds the category indices of item i (sorted or not; an item without
// categories is never capped). The top `window` positions take, in turn, the first remaining
// item none of whose categories already has `max_per_category` items placed in the window;
// when no remaining item qualifies, the first remaining item is placed (a short catalogue does
// not shorten the list).
std::vector<uint32_t> DiversityOrder(std::span<const std::span<const uint32_t>> categories,
                                     size_t window, size_t max_per_category);

// The top `window` positions take, in turn, the remaining item with the highest
// lambda * relevance - (1 - lambda) * max similarity to the items already placed, where the
// relevance of the item at input position i of n is 1 - i / n; ties go to the earlier item.
std::vector<uint32_t> MmrOrder(std::span<const std::span<const uint32_t>> categories, size_t window,
                               double lambda);

// |a ∩ b| / |a ∪ b| of two category sets (0 when either is empty).
double CategoryJaccard(std::span<const uint32_t> a, std::span<const uint32_t> b);

}  // namespace reco
