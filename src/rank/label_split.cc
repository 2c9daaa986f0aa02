#include "rank/label_split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace reco::rank {
namespace {

// Positions of the user's items sorted by (time, item) ascending.
std::vector<size_t> ByTime(const Dataset& d, uint32_t user) {
  std::span<const uint32_t> items = d.UserItems(user);
  std::span<const TimestampUs> times = d.UserItemTimes(user);
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return times[a] != times[b] ? times[a] < times[b] : items[a] < items[b];
  });
  return order;
}

// An empty copy of `d`'s users and items (same indices and attributes).
DatasetBuilder CopyCatalogue(const Dataset& d) {
  DatasetBuilder b;
  for (const std::string& id : d.user_ids()) b.AddUser(id);
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    std::vector<std::string> cats;
    for (uint32_t c : d.ItemCategories(i)) cats.push_back(d.category_names()[c]);
    b.AddItem(d.item_ids()[i], d.item_hidden(i), d.item_timestamp(i), cats);
  }
  return b;
}

}  // namespace

LabelSplit SplitLatest(const Dataset& dataset, double label_fraction) {
  LabelSplit split;
  split.labels.resize(dataset.num_users());
  DatasetBuilder b = CopyCatalogue(dataset);
  for (uint32_t u = 0; u < dataset.num_users(); ++u) {
    std::span<const uint32_t> items = dataset.UserItems(u);
    std::span<const TimestampUs> times = dataset.UserItemTimes(u);
    const size_t n = items.size();
    size_t held = 0;
    if (n >= 2) {
      held = static_cast<size_t>(std::llround(label_fraction * static_cast<double>(n)));
      held = std::clamp<size_t>(held, 1, n - 1);
    }
    std::vector<size_t> order = ByTime(dataset, u);
    for (size_t k = 0; k < n; ++k) {
      const size_t p = order[k];
      if (k + held >= n) {
        split.labels[u].push_back(items[p]);
      } else {
        b.AddPositive(u, items[p], times[p]);
      }
    }
    std::sort(split.labels[u].begin(), split.labels[u].end());
  }
  split.earlier = std::move(b).Build();
  return split;
}

std::span<const uint32_t> RecentItems::Of(uint32_t user) const {
  if (static_cast<size_t>(user) + 1 >= offsets.size()) return {};
  return std::span<const uint32_t>(items).subspan(offsets[user], offsets[user + 1] - offsets[user]);
}

RecentItems LatestItems(const Dataset& dataset, int n) {
  RecentItems recent;
  recent.offsets.push_back(0);
  for (uint32_t u = 0; u < dataset.num_users(); ++u) {
    std::span<const uint32_t> items = dataset.UserItems(u);
    std::vector<size_t> order = ByTime(dataset, u);
    const size_t keep = std::min(order.size(), static_cast<size_t>(std::max(n, 0)));
    for (size_t k = 0; k < keep; ++k) recent.items.push_back(items[order[order.size() - 1 - k]]);
    recent.offsets.push_back(recent.items.size());
  }
  return recent;
}

}  // namespace reco::rank
