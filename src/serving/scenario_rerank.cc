#include "serving/scenario_rerank.h"

#include <algorithm>
#include <unordered_map>

namespace reco {
namespace {

// Appends the items not yet placed, in input order.
void AppendRest(const std::vector<uint8_t>& placed, std::vector<uint32_t>& order) {
  for (uint32_t i = 0; i < placed.size(); ++i) {
    if (placed[i] == 0) order.push_back(i);
  }
}

}  // namespace

double CategoryJaccard(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  if (a.empty() || b.empty()) return 0;
  size_t common = 0;
  for (uint32_t x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) ++common;
  }
  const size_t all = a.size() + b.size() - common;
  return static_cast<double>(common) / static_cast<double>(all);
}

std::vector<uint32_t> DiversityOrder(std::span<const std::span<const uint32_t>> categories,
                                     size_t window, size_t max_per_category) {
  const size_t n = categories.size();
  std::vector<uint32_t> order;
  order.reserve(n);
  std::vector<uint8_t> placed(n, 0);
  std::unordered_map<uint32_t, size_t> counts;
  auto fits = [&](uint32_t i) {
    for (uint32_t c : categories[i]) {
      auto it = counts.find(c);
      if (it != counts.end() && it->second >= max_per_category) return false;
    }
    return true;
  };
  size_t first = 0;  // every item before `first` is placed
  while (order.size() < std::min(window, n)) {
    while (placed[first] != 0) ++first;
    uint32_t pick = static_cast<uint32_t>(first);
    for (size_t i = first; i < n; ++i) {
      if (placed[i] == 0 && fits(static_cast<uint32_t>(i))) {
        pick = static_cast<uint32_t>(i);
        break;
      }
    }
    placed[pick] = 1;
    order.push_back(pick);
    for (uint32_t c : categories[pick]) ++counts[c];
  }
  AppendRest(placed, order);
  return order;
}

std::vector<uint32_t> MmrOrder(std::span<const std::span<const uint32_t>> categories, size_t window,
                               double lambda) {
  const size_t n = categories.size();
  std::vector<uint32_t> order;
  order.reserve(n);
  std::vector<uint8_t> placed(n, 0);
  // max_sim[i]: the largest similarity of item i to an item placed so far.
  std::vector<double> max_sim(n, 0.0);
  while (order.size() < std::min(window, n)) {
    double best = 0;
    int64_t pick = -1;
    for (size_t i = 0; i < n; ++i) {
      if (placed[i] != 0) continue;
      const double relevance = 1.0 - static_cast<double>(i) / static_cast<double>(n);
      const double value = lambda * relevance - (1.0 - lambda) * max_sim[i];
      if (pick < 0 || value > best) {
        best = value;
        pick = static_cast<int64_t>(i);
      }
    }
    const uint32_t p = static_cast<uint32_t>(pick);
    placed[p] = 1;
    order.push_back(p);
    for (size_t i = 0; i < n; ++i) {
      if (placed[i] == 0)
        max_sim[i] = std::max(max_sim[i], CategoryJaccard(categories[i], categories[p]));
    }
  }
  AppendRest(placed, order);
  return order;
}

}  // namespace reco
