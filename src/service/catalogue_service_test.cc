#include "service/catalogue_service.h"

#include <gtest/gtest.h>

#include <vector>

#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

using CatalogueServiceTest = testing::ServiceFixture;

TEST_F(CatalogueServiceTest, UsersRoundTripPatchListAndDelete) {
  std::vector<User> users = {{.user_id = "u1"}, {.user_id = "u2"}, {.user_id = "u3"}};
  auto n = catalogue_->PutUsers(users);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->rows, 3);
  EXPECT_TRUE(state_->GetUser("u2").known);

  ASSERT_TRUE(catalogue_->PatchUser("u2", {.comment = "patched"}).ok());
  auto u2 = catalogue_->GetUser("u2");
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(u2->comment, "patched");

  auto page = catalogue_->ListUsers({.n = 2});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->rows.size(), 2u);
  ASSERT_FALSE(page->next_cursor.empty());
  auto rest = catalogue_->ListUsers({.cursor = page->next_cursor, .n = 2});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->rows.size(), 1u);

  ASSERT_TRUE(catalogue_->DeleteUser("u2").ok());
  EXPECT_EQ(catalogue_->GetUser("u2").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(state_->GetUser("u2").known);
}

TEST_F(CatalogueServiceTest, ItemWritesReachTheOnlineCatalogue) {
  ASSERT_NO_FATAL_FAILURE(PutItems(3, {"books"}));
  const uint32_t i1 = *state_->FindItem("i1");
  EXPECT_TRUE(state_->View("books").IsRecommendable(i1));

  // Hidden by a patch: no longer recommendable, still stored.
  ASSERT_TRUE(catalogue_->PatchItem("i1", {.is_hidden = true}).ok());
  EXPECT_FALSE(state_->View("").IsRecommendable(i1));
  auto stored = catalogue_->GetItem("i1");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->is_hidden);

  // Categories are merged in the store and mirrored.
  const uint32_t i2 = *state_->FindItem("i2");
  ASSERT_TRUE(catalogue_->AddItemCategory({.item_id = "i2", .category = "films"}).ok());
  EXPECT_TRUE(state_->View("films").IsRecommendable(i2));
  EXPECT_EQ(catalogue_->GetItem("i2")->categories, (std::vector<std::string>{"books", "films"}));
  ASSERT_TRUE(catalogue_->RemoveItemCategory({.item_id = "i2", .category = "books"}).ok());
  EXPECT_FALSE(state_->View("books").IsRecommendable(i2));

  ASSERT_TRUE(catalogue_->DeleteItem("i0").ok());
  EXPECT_EQ(catalogue_->GetItem("i0").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(state_->FindItem("i0").has_value());

  auto page = catalogue_->ListItems({.n = 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->rows.size(), 2u);
}

TEST_F(CatalogueServiceTest, StoreErrorsLeaveTheOnlineStateAlone) {
  std::vector<Item> items = {{.item_id = ""}};
  auto n = catalogue_->PutItems(items);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state_->ItemCount(), 0u);
  EXPECT_EQ(catalogue_->PatchItem("nothing", {.comment = "x"}).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::service
