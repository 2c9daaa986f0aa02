#include "serving/user_profiles.h"

#include <gtest/gtest.h>

#include "data/testing/temp_dir.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco {
namespace {

class UserProfilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenTempSqliteStore(dir_.path(), &store_));
    Write({{"like", "u1", "a", 1, 1, ""}});
    Result<int64_t> seq = state_.LoadFromStore(*store_);
    ASSERT_TRUE(seq.ok());
    profiles_ = std::make_unique<UserProfiles>(state_, *store_, *seq);
  }
  void TearDown() override {
    profiles_.reset();
    store_.reset();
  }
  // Feedback written to the store by another path than this server's API.
  void Write(std::vector<Feedback> rows) { ASSERT_TRUE(store_->InsertFeedback(rows, {}).ok()); }
  std::vector<std::string> Recent(std::string_view user) {
    std::vector<std::string> out;
    for (uint32_t i : state_.GetUser(user).recent_positive) {
      out.push_back(state_.ItemId(i));
    }
    return out;
  }

  testing::TempDir dir_{"user_profiles"};
  std::unique_ptr<Store> store_;
  OnlineState state_{OnlineStateOptions{}};
  std::unique_ptr<UserProfiles> profiles_;
};

TEST_F(UserProfilesTest, AppliesFeedbackWrittenByOtherPathsInWriteOrder) {
  Write({{"like", "u1", "b", 1, 2, ""}, {"read", "u2", "c", 1, 2, ""}});
  EXPECT_EQ(Recent("u1"), std::vector<std::string>{"a"});  // not seen yet
  Result<ProfileRefreshReport> r = profiles_->Refresh();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2);
  EXPECT_EQ(r->users, 2);
  EXPECT_EQ(r->to_seq, r->from_seq + 2);
  EXPECT_EQ(Recent("u1"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(state_.GetUser("u2").seen.size(), 1u);  // the read marks c as seen
  // Nothing new: an empty refresh.
  r = profiles_->Refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 0);
}

TEST_F(UserProfilesTest, RowsTheServerAlreadyAppliedChangeNothingAndLiveCountsStay) {
  // The API path: written to the store and applied to the state at once (counted live).
  Feedback api{"like", "u1", "b", 1, 2, ""};
  Write({api});
  state_.ApplyFeedback(api);
  const uint32_t b = *state_.FindItem("b");
  EXPECT_DOUBLE_EQ(state_.LiveCount(b), 1.0);
  Write({{"like", "u1", "c", 1, 3, ""}});  // then another process writes
  ASSERT_TRUE(profiles_->Refresh().ok());
  EXPECT_EQ(Recent("u1"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(state_.LiveCount(b), 1.0);
  EXPECT_EQ(state_.UserPositiveItems("u1").size(), 3u);
}

}  // namespace
}  // namespace reco
