#include "service/feedback_service.h"

#include <gtest/gtest.h>

#include <vector>

#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

using FeedbackServiceTest = testing::ServiceFixture;

TEST_F(FeedbackServiceTest, WriteStoresMirrorsAndCountsByKind) {
  ASSERT_NO_FATAL_FAILURE(PutItems(3));
  std::vector<Feedback> rows = {Row("like", "u1", "i0"), Row("like", "u1", "i1"),
                                Row("read", "u1", "i2"), Row("shrug", "u2", "i2")};
  auto n = feedback_->Write({.rows = rows});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->rows, 4);

  auto stored = feedback_->Find({.user_id = "u1"});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 3u);
  // The online state has the user's positives at once (no reload, no refresh).
  UserSnapshot user = state_->GetUser("u1");
  EXPECT_TRUE(user.known);
  EXPECT_EQ(user.recent_positive.size(), 2u);
  EXPECT_EQ(user.seen.size(), 3u);
  EXPECT_EQ(Ingested("positive"), 2);
  EXPECT_EQ(Ingested("read"), 1);
  EXPECT_EQ(Ingested("other"), 1);
  EXPECT_EQ(Ingested("negative"), 0);
}

TEST_F(FeedbackServiceTest, InsertKeepsAndUpsertReplacesExistingRows) {
  ASSERT_NO_FATAL_FAILURE(PutItems(1));
  Feedback first = Row("like", "u1", "i0");
  first.comment = "first";
  ASSERT_TRUE(feedback_->Write({.rows = {&first, 1}}).ok());
  Feedback second = first;
  second.comment = "second";
  ASSERT_TRUE(feedback_->Write({.rows = {&second, 1}, .overwrite = false}).ok());
  auto kept = feedback_->Get({.feedback_type = "like", .user_id = "u1", .item_id = "i0"});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->comment, "first");
  ASSERT_TRUE(feedback_->Write({.rows = {&second, 1}, .overwrite = true}).ok());
  auto replaced = feedback_->Get({.feedback_type = "like", .user_id = "u1", .item_id = "i0"});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->comment, "second");
}

TEST_F(FeedbackServiceTest, AutoInsertOffRejectsUnknownIdsAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(PutItems(1));
  MakeServices({.auto_insert_users = false, .auto_insert_items = true});
  std::vector<Feedback> rows = {Row("like", "stranger", "i0")};
  auto n = feedback_->Write({.rows = rows});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(n.status().message().find("stranger"), std::string::npos) << n.status().ToString();
  EXPECT_FALSE(state_->GetUser("stranger").known);
  EXPECT_EQ(Ingested("positive"), 0);
  EXPECT_EQ(catalogue_->GetUser("stranger").status().code(), StatusCode::kNotFound);

  // With auto-insert on, the same row creates the user.
  MakeServices({});
  ASSERT_TRUE(feedback_->Write({.rows = rows}).ok());
  EXPECT_TRUE(catalogue_->GetUser("stranger").ok());
  EXPECT_EQ(Ingested("positive"), 1);
}

TEST_F(FeedbackServiceTest, PositiveFeedbackClicksTheExposureThatShowedTheItem) {
  ASSERT_NO_FATAL_FAILURE(PutItems(5));
  ASSERT_TRUE(feedback_->Write({.rows = std::vector<Feedback>{Row("read", "u1", "i4")}}).ok());
  auto served = recommend_->Recommend({.request_id = "r1", .user_id = "u1", .n = 3});
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_FALSE(served->result.items.empty());
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).exposures, 1);
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).clicks, 0);

  // A read is not a click; a like on a shown item is, once per exposure.
  const std::string shown = served->result.items.front().id;
  std::vector<Feedback> read = {Row("read", "u1", shown)};
  ASSERT_TRUE(feedback_->Write({.rows = read}).ok());
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).clicks, 0);
  std::vector<Feedback> like = {Row("like", "u1", shown)};
  ASSERT_TRUE(feedback_->Write({.rows = like, .overwrite = true}).ok());
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).clicks, 1);
  ASSERT_TRUE(feedback_->Write({.rows = like, .overwrite = true}).ok());
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).clicks, 1);
}

TEST_F(FeedbackServiceTest, DeleteRemovesRowsAndRebuildsTheOnlineHistory) {
  ASSERT_NO_FATAL_FAILURE(PutItems(2));
  std::vector<Feedback> rows = {Row("like", "u1", "i0"), Row("read", "u1", "i0"),
                                Row("like", "u1", "i1")};
  ASSERT_TRUE(feedback_->Write({.rows = rows}).ok());
  ASSERT_EQ(state_->GetUser("u1").recent_positive.size(), 2u);

  auto one = feedback_->Delete({.feedback_type = "read", .user_id = "u1", .item_id = "i0"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->rows, 1);
  EXPECT_EQ(state_->GetUser("u1").recent_positive.size(), 2u);

  auto both = feedback_->Delete({.user_id = "u1", .item_id = "i0"});  // every type
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->rows, 1);
  EXPECT_EQ(state_->GetUser("u1").recent_positive, std::vector<uint32_t>{*state_->FindItem("i1")});
  auto left = feedback_->Find({.user_id = "u1"});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().item_id, "i1");
}

TEST_F(FeedbackServiceTest, ListPagesWithACursorAndGetAnswersNotFound) {
  ASSERT_NO_FATAL_FAILURE(PutItems(3));
  std::vector<Feedback> rows = {Row("like", "u1", "i0"), Row("like", "u1", "i1"),
                                Row("read", "u1", "i2")};
  ASSERT_TRUE(feedback_->Write({.rows = rows}).ok());
  auto first = feedback_->List({.n = 2});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rows.size(), 2u);
  ASSERT_FALSE(first->next_cursor.empty());
  auto second = feedback_->List({.cursor = first->next_cursor, .n = 2});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->rows.size(), 1u);
  auto likes = feedback_->List({.feedback_type = "like", .n = 10});
  ASSERT_TRUE(likes.ok());
  EXPECT_EQ(likes->rows.size(), 2u);

  auto missing = feedback_->Get({.feedback_type = "like", .user_id = "u1", .item_id = "i2"});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::service
