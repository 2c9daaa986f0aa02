#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"
#include "serving/online_state.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco {
namespace {

// Everything a request can read of a state, by ids (catalogue indices may differ between a
// replayed and a restored state).
struct Observed {
  std::map<std::string, std::vector<std::string>> recent;
  std::map<std::string, std::set<std::string>> seen;
  std::map<std::string, std::set<std::string>> positives;
  std::map<std::string, std::vector<std::string>> item_users;
  std::set<std::string> recommendable;
  bool operator==(const Observed&) const = default;
};

class OnlineStateSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenTempSqliteStore(dir_.path(), &store_));
    ASSERT_TRUE(store_
                    ->InsertItems(std::vector<Item>{Item{.item_id = "a"}, Item{.item_id = "b"},
                                                    Item{.item_id = "c"}})
                    .ok());
    Write({{"like", "u1", "a", 1, 1, ""},
           {"like", "u1", "b", 1, 2, ""},
           {"read", "u2", "c", 1, 3, ""},
           {"like", "u2", "a", 1, 4, ""},
           {"like", "u3", "c", 1, 5, ""}});
    options_.path = dir_.path() / "state.snapshot";
    options_.tenant = "default";
    options_.store = "sqlite";
  }
  void Write(std::vector<Feedback> rows) { ASSERT_TRUE(store_->InsertFeedback(rows, {}).ok()); }

  StateLoadReport Load(OnlineState& state, const StateSnapshotOptions& options) {
    Result<StateLoadReport> r = state.LoadWithSnapshot(*store_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : StateLoadReport{};
  }

  static Observed Observe(const OnlineState& state, const std::vector<std::string>& users) {
    Observed o;
    for (const auto& u : users) {
      UserSnapshot s = state.GetUser(u);
      if (!s.known) continue;
      for (uint32_t i : s.recent_positive) o.recent[u].push_back(state.ItemId(i));
      for (uint32_t i : s.seen) o.seen[u].insert(state.ItemId(i));
      for (uint32_t i : state.UserPositiveItems(u)) o.positives[u].insert(state.ItemId(i));
    }
    for (const std::string item : {"a", "b", "c", "d"}) {
      std::optional<uint32_t> idx = state.FindItem(item);
      if (!idx) continue;
      if (state.View("").IsRecommendable(*idx)) o.recommendable.insert(item);
      o.item_users[item] = state.ItemUsers(*idx, 100);
    }
    return o;
  }
  // The state a full replay of the store gives now.
  Observed Replayed() {
    OnlineState fresh{OnlineStateOptions{}};
    EXPECT_TRUE(fresh.LoadFromStore(*store_).ok());
    return Observe(fresh, kUsers);
  }
  void Corrupt(size_t offset) {
    std::fstream f(options_.path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open());
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c ^= 0x5a;
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
  }

  const std::vector<std::string> kUsers{"u1", "u2", "u3", "u4"};
  testing::TempDir dir_{"online_state_snapshot"};
  std::unique_ptr<Store> store_;
  StateSnapshotOptions options_;
};

TEST_F(OnlineStateSnapshotTest, FirstLoadReplaysAndWritesTheNextLoadRestoresTheSameState) {
  OnlineState first{OnlineStateOptions{}};
  StateLoadReport r1 = Load(first, options_);
  EXPECT_FALSE(r1.from_snapshot);
  EXPECT_EQ(r1.fallback, "no snapshot");
  EXPECT_EQ(r1.replayed_rows, 5);
  EXPECT_TRUE(r1.snapshot_written);
  ASSERT_TRUE(std::filesystem::exists(options_.path));

  OnlineState second{OnlineStateOptions{}};
  StateLoadReport r2 = Load(second, options_);
  EXPECT_TRUE(r2.from_snapshot) << r2.fallback;
  EXPECT_EQ(r2.snapshot_rows, 5);
  EXPECT_EQ(r2.replayed_rows, 0);
  EXPECT_EQ(r2.max_seq, r1.max_seq);
  Observed restored = Observe(second, kUsers);
  EXPECT_EQ(restored.recent.size(), 3u);
  EXPECT_EQ(restored.recent["u1"], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(restored, Observe(first, kUsers));
  EXPECT_EQ(restored, Replayed());
}

TEST_F(OnlineStateSnapshotTest, RowsWrittenAfterTheSnapshotAreApplied) {
  OnlineState first{OnlineStateOptions{}};
  Load(first, options_);
  Write({{"like", "u4", "b", 1, 6, ""}, {"like", "u1", "c", 1, 7, ""}});
  ASSERT_TRUE(store_->ModifyItem("a", ItemPatch{.is_hidden = true}).ok());

  OnlineState second{OnlineStateOptions{}};
  StateLoadReport r = Load(second, options_);
  EXPECT_TRUE(r.from_snapshot) << r.fallback;
  EXPECT_EQ(r.replayed_rows, 2);
  EXPECT_EQ(r.max_seq, r.snapshot_rows + 2);
  Observed o = Observe(second, kUsers);
  EXPECT_EQ(o.recent["u1"], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(o.recent["u4"], (std::vector<std::string>{"b"}));
  EXPECT_EQ(o.recommendable.count("a"), 0u);  // hidden since: the store's catalogue wins
  EXPECT_EQ(o, Replayed());
}

TEST_F(OnlineStateSnapshotTest, ManyNewRowsRewriteTheSnapshot) {
  OnlineState first{OnlineStateOptions{}};
  Load(first, options_);
  Write({{"like", "u4", "b", 1, 6, ""}, {"like", "u4", "c", 1, 7, ""}});
  StateSnapshotOptions options = options_;
  options.rewrite_after_rows = 2;
  OnlineState second{OnlineStateOptions{}};
  StateLoadReport r2 = Load(second, options);
  EXPECT_TRUE(r2.from_snapshot);
  EXPECT_TRUE(r2.snapshot_written);
  OnlineState third{OnlineStateOptions{}};
  StateLoadReport r3 = Load(third, options);
  EXPECT_TRUE(r3.from_snapshot) << r3.fallback;
  EXPECT_EQ(r3.snapshot_rows, 7);
  EXPECT_EQ(r3.replayed_rows, 0);
  EXPECT_EQ(Observe(third, kUsers), Replayed());
}

TEST_F(OnlineStateSnapshotTest, CorruptOrTruncatedSnapshotFallsBackToTheFullReplay) {
  OnlineState first{OnlineStateOptions{}};
  Load(first, options_);
  const auto size = std::filesystem::file_size(options_.path);
  ASSERT_GT(size, 100u);
  Corrupt(size / 2);
  OnlineState second{OnlineStateOptions{}};
  StateLoadReport r = Load(second, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_NE(r.fallback.find("checksum"), std::string::npos) << r.fallback;
  EXPECT_EQ(r.replayed_rows, 5);
  EXPECT_EQ(Observe(second, kUsers), Replayed());
  EXPECT_TRUE(r.snapshot_written);  // a good one again

  std::filesystem::resize_file(options_.path, size - 9);
  OnlineState third{OnlineStateOptions{}};
  r = Load(third, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_FALSE(r.fallback.empty());
  EXPECT_EQ(Observe(third, kUsers), Replayed());

  ASSERT_TRUE(WriteFileAtomic(options_.path, "not a snapshot").ok());
  OnlineState fourth{OnlineStateOptions{}};
  r = Load(fourth, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_NE(r.fallback.find("not a state snapshot"), std::string::npos) << r.fallback;
}

TEST_F(OnlineStateSnapshotTest, OtherVersionTenantStoreOrFeedbackTypesAreNotUsed) {
  OnlineState first{OnlineStateOptions{}};
  Load(first, options_);
  {
    StateSnapshotOptions other = options_;
    other.tenant = "shop2";
    OnlineState s{OnlineStateOptions{}};
    StateLoadReport r = Load(s, other);
    EXPECT_FALSE(r.from_snapshot);
    EXPECT_NE(r.fallback.find("tenant \"default\""), std::string::npos) << r.fallback;
  }
  Load(first, options_);  // written for "default" again (the fallback rewrote it for shop2)
  {
    StateSnapshotOptions other = options_;
    other.store = "postgres:1";
    OnlineState s{OnlineStateOptions{}};
    StateLoadReport r = Load(s, other);
    EXPECT_FALSE(r.from_snapshot);
    EXPECT_NE(r.fallback.find("store"), std::string::npos) << r.fallback;
  }
  Load(first, options_);
  {
    OnlineStateOptions shorter;
    shorter.history_size = 1;
    OnlineState s{shorter};
    StateLoadReport r = Load(s, options_);
    EXPECT_FALSE(r.from_snapshot);
    EXPECT_NE(r.fallback.find("feedback types or history size"), std::string::npos) << r.fallback;
    EXPECT_EQ(s.GetUser("u1").recent_positive.size(), 1u);
  }
  Load(first, options_);
  Corrupt(8);  // the version, checked before the checksum
  OnlineState s{OnlineStateOptions{}};
  StateLoadReport r = Load(s, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_NE(r.fallback.find("version"), std::string::npos) << r.fallback;
}

TEST_F(OnlineStateSnapshotTest, RowsDeletedOrRewrittenSinceTheSnapshotForceTheFullReplay) {
  OnlineState first{OnlineStateOptions{}};
  Load(first, options_);
  // An older row deleted: the counts no longer match.
  FeedbackFilter filter;
  filter.user_id = "u1";
  filter.item_id = "a";
  ASSERT_EQ(*store_->DeleteFeedback(filter), 1);
  OnlineState second{OnlineStateOptions{}};
  StateLoadReport r = Load(second, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_NE(r.fallback.find("deleted or rewritten"), std::string::npos) << r.fallback;
  Observed o = Observe(second, kUsers);
  EXPECT_EQ(o.recent["u1"], (std::vector<std::string>{"b"}));
  EXPECT_EQ(o, Replayed());

  // The newest row rewritten (it moves to a new seq): the row at the watermark is gone.
  InsertFeedbackOptions overwrite;
  overwrite.overwrite = true;
  ASSERT_TRUE(
      store_->InsertFeedback(std::vector<Feedback>{{"like", "u3", "c", 2, 9, ""}}, overwrite).ok());
  OnlineState third{OnlineStateOptions{}};
  r = Load(third, options_);
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_NE(r.fallback.find("deleted or rewritten"), std::string::npos) << r.fallback;
  EXPECT_EQ(Observe(third, kUsers), Replayed());
}

TEST_F(OnlineStateSnapshotTest, NoPathMeansAlwaysTheReplay) {
  OnlineState state{OnlineStateOptions{}};
  StateLoadReport r = Load(state, StateSnapshotOptions{});
  EXPECT_FALSE(r.from_snapshot);
  EXPECT_FALSE(r.snapshot_written);
  EXPECT_EQ(r.replayed_rows, 5);
  EXPECT_EQ(Observe(state, kUsers), Replayed());
}

}  // namespace
}  // namespace reco
