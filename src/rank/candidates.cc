#include "rank/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reco::rank {

std::vector<uint32_t> TopItems(std::span<const float> scores, std::span<const uint32_t> history,
                               int quota) {
  std::vector<uint32_t> pool;
  size_t h = 0;
  for (uint32_t i = 0; i < scores.size(); ++i) {
    while (h < history.size() && history[h] < i) ++h;
    if (h < history.size() && history[h] == i) continue;
    if (std::isfinite(scores[i]) && scores[i] != 0.0f) pool.push_back(i);
  }
  auto better = [&](uint32_t a, uint32_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  };
  const size_t k = std::min(pool.size(), static_cast<size_t>(std::max(quota, 0)));
  std::partial_sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k), pool.end(),
                    better);
  pool.resize(k);
  return pool;
}

CandidateSet GenerateCandidates(std::span<const RecallSource* const> sources,
                                std::span<const int> quotas, std::span<const uint32_t> history) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  CandidateSet set;
  set.num_sources = sources.size();
  const size_t num_sources = sources.size();
  std::vector<float> scores;
  std::vector<int32_t> row_of;  // item -> candidate row, -1 when not yet a candidate
  for (size_t s = 0; s < num_sources; ++s) {
    const size_t num_items = sources[s]->num_items();
    scores.assign(num_items, 0.0f);
    if (row_of.size() < num_items) row_of.resize(num_items, -1);
    sources[s]->Score(history, scores);
    std::vector<uint32_t> top = TopItems(scores, history, quotas[s]);
    for (size_t r = 0; r < top.size(); ++r) {
      const uint32_t item = top[r];
      if (row_of[item] < 0) {
        row_of[item] = static_cast<int32_t>(set.items.size());
        set.items.push_back(item);
        set.scores.resize(set.scores.size() + num_sources, kNaN);
        set.ranks.resize(set.ranks.size() + num_sources, kNaN);
      }
      const size_t cell = static_cast<size_t>(row_of[item]) * num_sources + s;
      set.scores[cell] = scores[item];
      set.ranks[cell] = static_cast<float>(r + 1);
    }
  }
  return set;
}

}  // namespace reco::rank
