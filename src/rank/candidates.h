// Candidate generation over several recall sources with per-source quotas: each source returns
// its top `quota` items for a user (history items excluded, ties by item index), the lists are
// merged and deduplicated, and each candidate remembers its score and 1-based rank in every
// source that returned it (NaN where a source did not return it).
//
// Thread-safety: pure functions of their arguments; safe from several threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rank/recall_source.h"

namespace reco::rank {

struct CandidateSet {
  size_t num_sources = 0;
  std::vector<uint32_t> items;  // in order of first appearance (source order, then rank)
  std::vector<float> scores;    // size items.size() * num_sources, row-major; NaN = not returned
  std::vector<float> ranks;     // same shape; 1 = the source's best item
  size_t size() const { return items.size(); }
};

// `quotas[s]` items at most from `sources[s]` (quotas.size() == sources.size()), excluding
// `history` (ascending item indices). A source returns the items whose score is finite and
// non-zero.
CandidateSet GenerateCandidates(std::span<const RecallSource* const> sources,
                                std::span<const int> quotas, std::span<const uint32_t> history);

// The `quota` best items of `scores` (score desc, then index asc) that are not in `history`
// (ascending) and whose score is finite and non-zero.
std::vector<uint32_t> TopItems(std::span<const float> scores, std::span<const uint32_t> history,
                               int quota);

}  // namespace reco::rank
