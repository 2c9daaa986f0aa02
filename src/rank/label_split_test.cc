#include "rank/label_split.h"

#include <gtest/gtest.h>

#include <vector>

#include "data/testing/synthetic_dataset.h"

namespace reco::rank {
namespace {

// u0: i0@1 i1@2 i2@3 i3@4 i4@5   u1: i1@5 i2@1 i5@3   u2: i6@2 (seconds).
Dataset ThreeUsers() {
  DatasetBuilder b;
  for (const char* u : {"u0", "u1", "u2"}) b.AddUser(u);
  for (int i = 0; i < 7; ++i) b.AddItem(testing::Id('i', i));
  auto add = [&](uint32_t u, uint32_t i, int s) { b.AddPositive(u, i, s * kMicrosPerSecond); };
  for (uint32_t i = 0; i < 5; ++i) add(0, i, static_cast<int>(i) + 1);
  add(1, 1, 5);
  add(1, 2, 1);
  add(1, 5, 3);
  add(2, 6, 2);
  return std::move(b).Build();
}

TEST(SplitLatest, HoldsOutEachUsersLatestPositivesAsLabels) {
  Dataset d = ThreeUsers();
  LabelSplit s = SplitLatest(d, 0.4);
  // u0: round(2.0) = 2 -> i3, i4. u1: round(1.2) = 1 -> i1 (time 5). u2: one positive, none.
  EXPECT_EQ(s.labels[0], (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(s.labels[1], (std::vector<uint32_t>{1}));
  EXPECT_TRUE(s.labels[2].empty());
  EXPECT_EQ(s.earlier.num_items(), d.num_items());
  EXPECT_EQ(s.earlier.item_ids(), d.item_ids());
  auto items = [&](uint32_t u) {
    std::span<const uint32_t> v = s.earlier.UserItems(u);
    return std::vector<uint32_t>(v.begin(), v.end());
  };
  EXPECT_EQ(items(0), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(items(1), (std::vector<uint32_t>{2, 5}));
  EXPECT_EQ(items(2), (std::vector<uint32_t>{6}));
}

TEST(LatestItems, ListsMostRecentFirstUpToN) {
  RecentItems r = LatestItems(ThreeUsers(), 2);
  auto of = [&](uint32_t u) {
    std::span<const uint32_t> v = r.Of(u);
    return std::vector<uint32_t>(v.begin(), v.end());
  };
  EXPECT_EQ(of(0), (std::vector<uint32_t>{4, 3}));
  EXPECT_EQ(of(1), (std::vector<uint32_t>{1, 5}));
  EXPECT_EQ(of(2), (std::vector<uint32_t>{6}));
  EXPECT_TRUE(of(99).empty());
}

}  // namespace
}  // namespace reco::rank
