// The new users' exploration mix on a real `reco serve` (docs/content.md, "New users"): a user
// who picked categories at sign-up (PATCH /api/user/{id} labels) gets popular items of those
// categories plus fresh items the bandit picks, an item added a moment ago with no exposure can
// be among them, the answer says X-Reco-Policy: explore, and a user with enough history gets
// the collaborative answer. The bandit's statistics are tested in src/serving/explorer_test.cc
// and explore_sampler_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

std::string ItemJson(const std::string& id, const std::string& category,
                     const std::string& timestamp) {
  return R"({"ItemId":")" + id + R"(","IsHidden":false,"Categories":[")" + category +
         R"("],"Timestamp":")" + timestamp + R"(","Labels":null,"Comment":""})";
}

class ExploreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.Start(dir_.path(), {.env = {{"RECO_EXPLORE_ENABLED", "true"},
                                                  {"RECO_EXPLORE_MIN_HISTORY", "2"},
                                                  {"RECO_EXPLORE_SHARE", "0.3"},
                                                  {"RECO_EXPLORE_FRESH_CANDIDATES", "3"},
                                                  {"RECO_EXPLORE_REFRESH_SECONDS", "0"},
                                                  {"RECO_EXPLORE_SEED", "7"}}}),
              "");
    client_ = std::make_unique<HttpClient>(server_.port());
    // Old items of two categories, each liked by some other users; three items of a third
    // category added recently and never shown.
    std::string items = "[";
    for (int k = 0; k < 10; ++k) {
      items += (k > 0 ? "," : "") +
               ItemJson("book" + std::to_string(k), "books", "2020-01-01T00:00:00Z");
      items += "," + ItemJson("song" + std::to_string(k), "music", "2020-01-01T00:00:00Z");
    }
    for (int k = 0; k < 3; ++k)
      items += "," + ItemJson("news" + std::to_string(k), "news", TimeText(-60 + k));
    ASSERT_EQ(client_->Post("/api/items", items + "]").status, 200);
    std::string feedback = "[";
    for (int k = 0; k < 10; ++k) {
      for (int u = 0; u < 10 - k; ++u) {
        const std::string user = "reader" + std::to_string(u);
        feedback += (feedback.size() > 1 ? "," : "") +
                    FeedbackJson("like", user, "book" + std::to_string(k), TimeText(-10));
        feedback += "," + FeedbackJson("like", user, "song" + std::to_string(k), TimeText(-10));
      }
    }
    HttpResult posted = client_->Post("/api/feedback", feedback + "]");
    ASSERT_EQ(posted.status, 200) << posted.body;
  }
  void TearDown() override {
    client_.reset();
    server_.Stop(SIGTERM);
  }

  TempDataDir dir_{"explore"};
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ExploreTest, ANewUserGetsTheChosenCategoriesAndFreshItems) {
  // Onboarding: the user picks a category; the labels are the user's own (Gorse's PATCH).
  ASSERT_EQ(client_->Post("/api/user", R"({"UserId":"alice","Labels":null,"Comment":""})").status,
            200);
  HttpResult patched = client_->Patch("/api/user/alice", R"({"Labels":{"categories":["books"]}})");
  ASSERT_EQ(patched.status, 200) << patched.body;

  HttpResult r = client_->Get("/api/recommend/alice?n=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-Reco-Policy"), "explore");
  const std::vector<std::string> ids = StringArray(r.body);
  ASSERT_EQ(ids.size(), 10u) << r.body;
  int books = 0, fresh = 0;
  for (const std::string& id : ids) {
    books += id.starts_with("book") ? 1 : 0;
    fresh += id.starts_with("news") ? 1 : 0;
  }
  // 10 * 0.3 = 3 fresh items (the three there are); the 7 others are books, most liked first.
  EXPECT_EQ(fresh, 3) << r.body;
  EXPECT_EQ(books, 7) << r.body;
  std::vector<std::string> book_ids;
  for (const std::string& id : ids) {
    if (id.starts_with("book")) book_ids.push_back(id);
  }
  EXPECT_EQ(book_ids, (std::vector<std::string>{"book0", "book1", "book2", "book3", "book4",
                                                "book5", "book6"}));

  // An item added now, never shown, enters the bandit's candidates at once (the newest 3).
  ASSERT_EQ(client_->Post("/api/item", ItemJson("breaking", "news", TimeText(0))).status, 200);
  HttpResult again = client_->Get("/api/recommend/alice?n=10");
  ASSERT_EQ(again.status, 200) << again.body;
  const std::vector<std::string> next = StringArray(again.body);
  EXPECT_EQ(std::count(next.begin(), next.end(), "breaking"), 1) << again.body;

  // What the mix showed is counted as exposures: the bandit's next draws see them.
  HttpResult report = client_->Get("/api/v1/analytics/realtime?window=24h&by=item&n=100");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_NE(report.body.find("\"breaking\""), std::string::npos) << report.body;
}

TEST_F(ExploreTest, AnUnknownUserGetsPopularAndFreshItems) {
  HttpResult r = client_->Get("/api/recommend/nobody-yet?n=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-Reco-Policy"), "explore");
  const std::vector<std::string> ids = StringArray(r.body);
  ASSERT_EQ(ids.size(), 10u) << r.body;
  EXPECT_EQ(std::count_if(ids.begin(), ids.end(),
                          [](const std::string& id) { return id.starts_with("news"); }),
            3)
      << r.body;
  // The category route restricts every part of the mix (its fresh items too): only music.
  HttpResult music = client_->Get("/api/recommend/nobody-yet/music?n=4");
  ASSERT_EQ(music.status, 200) << music.body;
  EXPECT_EQ(music.Header("X-Reco-Policy"), "explore");
  const std::vector<std::string> songs = StringArray(music.body);
  ASSERT_EQ(songs.size(), 4u) << music.body;
  for (const std::string& id : songs) EXPECT_TRUE(id.starts_with("song")) << music.body;
}

TEST_F(ExploreTest, AUserWithEnoughHistoryGetsTheCollaborativeAnswer) {
  // reader0 liked 20 items, more than explore.min_history = 2.
  HttpResult r = client_->Get("/api/recommend/reader0?n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-Reco-Policy"), "");
  // One like is not enough yet: still the mix.
  ASSERT_EQ(
      client_
          ->Post("/api/feedback", "[" + FeedbackJson("like", "carol", "song3", TimeText(-1)) + "]")
          .status,
      200);
  EXPECT_EQ(client_->Get("/api/recommend/carol?n=5").Header("X-Reco-Policy"), "explore");
  ASSERT_EQ(
      client_
          ->Post("/api/feedback", "[" + FeedbackJson("like", "carol", "song4", TimeText(-1)) + "]")
          .status,
      200);
  EXPECT_EQ(client_->Get("/api/recommend/carol?n=5").Header("X-Reco-Policy"), "");
}

}  // namespace
}  // namespace reco::itest
