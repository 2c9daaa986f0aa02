#include "serving/online_state.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

Item MakeItem(const char* id, bool hidden, std::vector<std::string> categories) {
  Item item;
  item.item_id = id;
  item.is_hidden = hidden;
  item.categories = std::move(categories);
  return item;
}

TEST(OnlineState, FeedbackKindsUpdateHistoryAndSeenSet) {
  OnlineState state(OnlineStateOptions{});
  state.ApplyFeedback({"like", "u", "a", 1, 0, ""});
  state.ApplyFeedback({"read", "u", "b", 1, 0, ""});
  state.ApplyFeedback({"dislike", "u", "c", 1, 0, ""});
  state.ApplyFeedback({"like", "u", "d", 1, 0, ""});
  UserSnapshot u = state.GetUser("u");
  ASSERT_TRUE(u.known);
  ASSERT_EQ(u.recent_positive.size(), 2u);
  EXPECT_EQ(state.ItemId(u.recent_positive[0]), "a");
  EXPECT_EQ(state.ItemId(u.recent_positive[1]), "d");
  EXPECT_EQ(u.seen.size(), 4u);
  EXPECT_TRUE(std::is_sorted(u.seen.begin(), u.seen.end()));
  EXPECT_FALSE(state.GetUser("other").known);
}

TEST(OnlineState, HistoryKeepsTheMostRecentPositives) {
  OnlineState state(OnlineStateOptions{.history_size = 3});
  for (const char* id : {"a", "b", "c", "d", "b"}) state.ApplyFeedback({"like", "u", id, 1, 0, ""});
  UserSnapshot u = state.GetUser("u");
  std::vector<std::string> ids;
  for (uint32_t i : u.recent_positive) ids.push_back(state.ItemId(i));
  EXPECT_EQ(ids, (std::vector<std::string>{"c", "d", "b"}));
  EXPECT_EQ(u.seen.size(), 4u);
}

TEST(OnlineState, CatalogViewFiltersHiddenDeletedAndCategory) {
  OnlineState state(OnlineStateOptions{});
  state.UpsertItem(MakeItem("a", false, {"x"}));
  state.UpsertItem(MakeItem("b", true, {"x"}));
  state.UpsertItem(MakeItem("c", false, {"y"}));
  state.DeleteItem("c");
  uint32_t a = *state.FindItem("a");
  {
    auto view = state.View("");
    EXPECT_TRUE(view.IsRecommendable(a));
    EXPECT_FALSE(view.IsRecommendable(a + 1));  // hidden
    EXPECT_FALSE(view.IsRecommendable(a + 2));  // deleted
  }
  EXPECT_FALSE(state.FindItem("c").has_value());
  EXPECT_TRUE(state.View("x").IsRecommendable(a));
  EXPECT_FALSE(state.View("y").IsRecommendable(a));
  EXPECT_FALSE(state.View("nope").CategoryExists());
  ItemPatch unhide;
  unhide.is_hidden = false;
  state.PatchItem("b", unhide);
  EXPECT_TRUE(state.View("x").IsRecommendable(*state.FindItem("b")));
}

TEST(OnlineState, LiveCountsCountPositiveFeedbackOnly) {
  OnlineState state(OnlineStateOptions{});
  state.ApplyFeedback({"like", "u1", "a", 1, 0, ""});
  state.ApplyFeedback({"like", "u2", "a", 1, 0, ""});
  state.ApplyFeedback({"read", "u3", "a", 1, 0, ""});
  uint32_t a = *state.FindItem("a");
  EXPECT_EQ(state.LiveCount(a), 2.0);
  EXPECT_EQ(state.ItemUsers(a, 10), (std::vector<std::string>{"u1", "u2"}));
  state.ResetLiveCounts();
  EXPECT_EQ(state.LiveCount(a), 0.0);
}

TEST(OnlineState, ResetUserFeedbackRebuildsFromRemainingRowsInTimeOrder) {
  OnlineState state(OnlineStateOptions{});
  state.ApplyFeedback({"like", "u", "a", 1, 10, ""});
  state.ApplyFeedback({"like", "u", "b", 1, 20, ""});
  state.ResetUserFeedback("u", {{"like", "u", "c", 1, 30, ""}, {"like", "u", "b", 1, 20, ""}});
  UserSnapshot u = state.GetUser("u");
  ASSERT_EQ(u.recent_positive.size(), 2u);
  EXPECT_EQ(state.ItemId(u.recent_positive[0]), "b");
  EXPECT_EQ(state.ItemId(u.recent_positive[1]), "c");
  EXPECT_EQ(u.seen.size(), 2u);
}

}  // namespace
}  // namespace reco
