#include "service/dataset_service.h"

#include <gtest/gtest.h>

#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

class DatasetServiceTest : public testing::ServiceFixture {
 protected:
  DatasetService Dataset() { return DatasetService(*store_, *catalogue_, *feedback_); }

  // Every row of the export, by pages of `n`.
  DatasetRows ExportAll(DatasetService& dataset, int n) {
    DatasetRows all;
    int pages = 0;
    Status st = dataset.ExportAll(n, [&](const ExportPage& page) {
      ++pages;
      // A page holds one kind only.
      EXPECT_LE((page.rows.users.empty() ? 0 : 1) + (page.rows.items.empty() ? 0 : 1) +
                    (page.rows.feedback.empty() ? 0 : 1),
                1);
      all.users.insert(all.users.end(), page.rows.users.begin(), page.rows.users.end());
      all.items.insert(all.items.end(), page.rows.items.begin(), page.rows.items.end());
      all.feedback.insert(all.feedback.end(), page.rows.feedback.begin(),
                          page.rows.feedback.end());
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_GE(pages, 3);
    return all;
  }
};

TEST_F(DatasetServiceTest, ExportPagesThroughUsersItemsAndFeedbackThenImportChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(PutItems(7, {"books"}));
  ASSERT_TRUE(catalogue_->PutUsers(std::vector<User>{{.user_id = "u1", .labels_json = "[1]"},
                                                     {.user_id = "u2"}})
                  .ok());
  ASSERT_TRUE(
      feedback_->Write({.rows = std::vector<Feedback>{Row("click", "u1", "i1"),
                                                      Row("like", "u2", "i3"),
                                                      Row("click", "u2", "i4")}})
          .ok());
  DatasetService dataset = Dataset();
  DatasetRows exported = ExportAll(dataset, 2);
  ASSERT_EQ(exported.users.size(), 2u);
  ASSERT_EQ(exported.items.size(), 7u);
  ASSERT_EQ(exported.feedback.size(), 3u);
  EXPECT_EQ(exported.users[0].labels_json, "[1]");

  auto report = dataset.Import(exported);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->users, 2);
  EXPECT_EQ(report->items, 7);
  EXPECT_EQ(report->feedback, 3);
  DatasetRows again = ExportAll(dataset, 1000);
  EXPECT_EQ(again.users.size(), 2u);
  EXPECT_EQ(again.items.size(), 7u);
  EXPECT_EQ(again.feedback.size(), 3u);
}

TEST_F(DatasetServiceTest, ABadIdAnywhereWritesNothing) {
  DatasetRows rows;
  rows.users = {{.user_id = "new-user"}};
  rows.items = {{.item_id = "new-item"}};
  rows.feedback = {Row("click", "new-user", "")};
  auto report = Dataset().Import(rows);
  ASSERT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(report.status().field(), "[0].ItemId");
  EXPECT_EQ(catalogue_->GetUser("new-user").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalogue_->GetItem("new-item").status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetServiceTest, BadCursorsAndPageSizesAreRefusedNamingTheField) {
  DatasetService dataset = Dataset();
  EXPECT_EQ(dataset.Export({.cursor = "nonsense"}).status().field(), "cursor");
  EXPECT_EQ(dataset.Export({.n = 0}).status().field(), "n");
  EXPECT_EQ(dataset.Export({.n = DatasetService::kMaxExportPage + 1}).status().field(), "n");
  // An empty store: three pages, no rows, the end.
  auto first = dataset.Export({});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rows.size(), 0u);
  EXPECT_EQ(first->next_cursor, "items:");
}

}  // namespace
}  // namespace reco::service
