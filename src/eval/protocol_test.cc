#include "eval/protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "data/testing/temp_dir.h"
#include "eval/eval_testing.h"

namespace reco::eval {
namespace {

using testing::Describe;
using testing::SixUsers;

std::vector<uint32_t> Items(std::span<const uint32_t> s) { return {s.begin(), s.end()}; }

// Every held-out item is absent from the user's training row, and train + test (+ fold-in)
// is exactly the user's original row.
void ExpectPartition(const Dataset& all, const EvalSplit& split) {
  for (const HeldOutUser& held : split.users) {
    std::vector<uint32_t> train = Items(split.train.UserItems(held.user));
    for (uint32_t item : held.test) {
      EXPECT_FALSE(std::binary_search(train.begin(), train.end(), item))
          << "user " << held.user << " item " << item << " leaked into train";
    }
    std::vector<uint32_t> merged = train;
    merged.insert(merged.end(), held.test.begin(), held.test.end());
    merged.insert(merged.end(), held.fold_in.begin(), held.fold_in.end());
    std::sort(merged.begin(), merged.end());
    EXPECT_EQ(merged, Items(all.UserItems(held.user))) << "user " << held.user;
  }
}

TEST(Protocol, RandomHoldoutIsExactForSeedAndLeakFree) {
  Dataset all = SixUsers();
  Result<EvalSplit> split = SplitRandom(all, 0.4, 1);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  // round(0.4 n) clamped to [1, n - 1]: u0 (5) -> 2, u1 (3) -> 1, u3 (2) -> 1, u4 (4) -> 2.
  EXPECT_EQ(Describe(*split), "0:[1,4] 1:[5] 3:[7] 4:[3,6]");
  EXPECT_EQ(split->stats.train_only_users, 1);  // u2 has a single positive
  EXPECT_EQ(split->stats.test_positives, 6);
  EXPECT_EQ(split->stats.train_positives, 9);
  EXPECT_EQ(split->train.num_users(), all.num_users());
  EXPECT_EQ(split->train.num_items(), all.num_items());
  EXPECT_EQ(Items(split->train.UserItems(2)), std::vector<uint32_t>{6});
  ExpectPartition(all, *split);
}

TEST(Protocol, RandomHoldoutIsDeterministicPerSeed) {
  Dataset all = SixUsers();
  Result<EvalSplit> a = SplitRandom(all, 0.5, 42);
  Result<EvalSplit> b = SplitRandom(all, 0.5, 42);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Describe(*a), Describe(*b));
}

TEST(Protocol, RandomHoldoutRejectsBadFraction) {
  Dataset all = SixUsers();
  EXPECT_FALSE(SplitRandom(all, 0.0, 1).ok());
  EXPECT_FALSE(SplitRandom(all, 1.0, 1).ok());
}

TEST(Protocol, LeaveLastHoldsOutLatestPerUser) {
  Dataset all = SixUsers();
  Result<EvalSplit> split = SplitLeaveLastN(all, 1);
  ASSERT_TRUE(split.ok());
  // u0 latest i4@5, u1 latest i1@5, u3 latest i7@7, u4 latest i6@9; u2 has only one positive.
  EXPECT_EQ(Describe(*split), "0:[4] 1:[1] 3:[7] 4:[6]");
  EXPECT_EQ(split->stats.train_only_users, 1);
  ExpectPartition(all, *split);
  Result<EvalSplit> two = SplitLeaveLastN(all, 2);
  ASSERT_TRUE(two.ok());
  // u3 has only 2 positives: train only with N = 2.
  EXPECT_EQ(Describe(*two), "0:[3,4] 1:[1,5] 4:[5,6]");
}

TEST(Protocol, TimeCutDropsColdUsers) {
  Dataset all = SixUsers();
  Result<EvalSplit> split = SplitTimeCut(all, 5 * kMicrosPerSecond);
  ASSERT_TRUE(split.ok());
  // At or after t=5: u0 i4, u1 i1, u3 i0 and i7 (u3 has nothing before: cold), u4 i5 and i6.
  EXPECT_EQ(Describe(*split), "0:[4] 1:[1] 4:[5,6]");
  EXPECT_EQ(split->stats.dropped_test_users, 1);
  EXPECT_EQ(split->stats.dropped_test_items, 2);
  EXPECT_TRUE(split->train.UserItems(3).empty());
  ExpectPartition(all, *split);
}

TEST(Protocol, TimeQuantilePicksTheCut) {
  Dataset all = SixUsers();
  // Sorted times 1,1,2,2,3,3,3,4,4,5,5,6,7,8,9: index floor(0.6 * 15) = 9 -> t=5.
  Result<TimestampUs> cut = PositiveTimeQuantile(all, 0.6);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(*cut, 5 * kMicrosPerSecond);
  ProtocolOptions options;
  options.kind = ProtocolKind::kTemporal;
  options.time_cut_quantile = 0.6;
  Result<EvalSplit> split = MakeSplit(all, options);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(Describe(*split), "0:[4] 1:[1] 4:[5,6]");
  EXPECT_EQ(split->stats.time_cut, 5 * kMicrosPerSecond);
}

TEST(Protocol, TemporalNeedsExactlyOneRule) {
  Dataset all = SixUsers();
  ProtocolOptions options;
  options.kind = ProtocolKind::kTemporal;
  EXPECT_FALSE(MakeSplit(all, options).ok());
  options.leave_last = 1;
  options.time_cut = 5;
  Result<EvalSplit> both = MakeSplit(all, options);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().field(), "--leave-last");
}

TEST(Protocol, StrongGeneralisationHoldsOutDisjointUsers) {
  Dataset all = SixUsers();
  Result<EvalSplit> split = SplitStrong(all, 0.5, 0.5, 7);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_TRUE(split->uses_fold_in);
  ASSERT_EQ(split->users.size(), 2u);  // round(0.5 * 4 users with >= 2 positives)
  std::set<uint32_t> held;
  for (const HeldOutUser& u : split->users) {
    held.insert(u.user);
    EXPECT_TRUE(split->train.UserItems(u.user).empty()) << "held-out user in train";
    EXPECT_FALSE(u.test.empty());
    EXPECT_FALSE(u.fold_in.empty());
    for (uint32_t item : u.test) {
      EXPECT_FALSE(std::binary_search(u.fold_in.begin(), u.fold_in.end(), item));
    }
  }
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    if (held.count(u) == 0) {
      EXPECT_EQ(Items(split->train.UserItems(u)), Items(all.UserItems(u)));
    }
  }
  // u1 (3 positives): round(0.5 * 3) = 2 test items, 1 fold-in; u3 (2): 1 and 1.
  EXPECT_EQ(Describe(*split), "1:[2,5]/[1] 3:[7]/[0]");
  ExpectPartition(all, *split);
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Protocol, FixedSplitFromLightGcnFiles) {
  reco::testing::TempDir dir("reco_eval_fixed");
  WriteFile(dir.path() / "train.txt", "0 1 2\n1 2 3\n");
  // User 1's item 2 is already in train; item 4 is only in test; user 2 is not in train.
  WriteFile(dir.path() / "test.txt", "0 3\n1 1 2 4\n2 5\n");
  Result<EvalSplit> split = LoadFixedSplit(dir.path() / "train.txt", dir.path() / "test.txt",
                                           ingest::ImportFormat::kLightGcn);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  const Dataset& train = split->train;
  EXPECT_EQ(train.num_users(), 2u);
  EXPECT_EQ(train.num_items(), 4u);  // items 1, 2, 3 and the test-only item 4
  ASSERT_EQ(split->users.size(), 2u);
  EXPECT_EQ(split->users[0].user, train.UserIndex("0"));
  EXPECT_EQ(split->users[0].test, std::vector<uint32_t>{train.ItemIndex("3")});
  std::vector<uint32_t> expected = {train.ItemIndex("1"), train.ItemIndex("4")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(split->users[1].test, expected);
  EXPECT_EQ(split->stats.dropped_test_users, 1);
  EXPECT_EQ(split->stats.dropped_test_items, 1);
  EXPECT_EQ(split->stats.overlap_test_items, 1);
  EXPECT_EQ(split->stats.test_only_items, 1);
  EXPECT_EQ(split->stats.train_positives, 4);
  EXPECT_EQ(split->stats.test_positives, 3);
}

TEST(Protocol, FixedSplitMissingFileIsNotFound) {
  reco::testing::TempDir dir("reco_eval_missing");
  Result<EvalSplit> split = LoadFixedSplit(dir.path() / "train.txt", dir.path() / "test.txt",
                                           ingest::ImportFormat::kLightGcn);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::eval
