// Analytics over REST on a real `reco serve` (docs/analytics.md): recommendations served and
// logged, click feedback posted through the API, then the summary, top items and coverage read
// back with figures checked against what the test served and clicked; a rotated log file with a
// malformed line read too; bad input named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

class AnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(PrepareDemoData(dir_.path(), {.users = 30, .items = 40, .seed = 7, .train = false}),
              "");
    // A rotated file from before the start: two lists of another scenario an hour ago (one of
    // them clicked below) and a line cut by a crash.
    fs::create_directories(dir_.path() / "evaluation");
    std::ofstream(dir_.path() / "evaluation" / "exposure_log.jsonl.1")
        << R"({"ts":")" << TimeText(-3600)
        << R"(","request_id":"old1","user_id":"old_user","scenario":"legacy",)"
        << R"("model_version":"m0","variant":"primary","items":["x1","x2"]})"
        << "\n"
        << R"({"ts":")" << TimeText(-3500)
        << R"(","request_id":"old2","user_id":"old_user","scenario":"legacy",)"
        << R"("model_version":"m0","variant":"primary","items":["x3"]})"
        << "\n"
        << R"({"ts":"2026-11-01T00:00:00Z","user_id":)"
        << "\n";
    ASSERT_EQ(server_.Start(dir_.path()), "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }
  void TearDown() override {
    client_.reset();
    server_.Stop(SIGTERM);
  }

  TempDataDir dir_{"analytics"};
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(AnalyticsTest, ServedListsAndClicksGiveTheFigures) {
  // Three lists served and logged.
  std::vector<std::vector<std::string>> lists;
  std::set<std::string> shown = {"x1", "x2", "x3"};
  for (std::string user : {"u1", "u2", "u3"}) {
    HttpResult r = client_->Get("/api/recommend/" + user + "?n=4");
    ASSERT_EQ(r.status, 200) << r.body;
    lists.push_back(StringArray(r.body));
    ASSERT_EQ(lists.back().size(), 4u) << r.body;
    shown.insert(lists.back().begin(), lists.back().end());
  }
  // After the lists (feedback times are whole seconds): u1 clicks its first two items, u2 only
  // reads one (not a positive type), old_user clicks x3.
  ::sleep(1);
  const std::string now = TimeText(0);
  HttpResult fb = client_->Post("/api/feedback",
                                "[" + FeedbackJson("click", "u1", lists[0][0], now) + "," +
                                    FeedbackJson("click", "u1", lists[0][1], now) + "," +
                                    FeedbackJson("read", "u2", lists[1][0], now) + "," +
                                    FeedbackJson("click", "old_user", "x3", TimeText(-3400)) + "]");
  ASSERT_EQ(fb.status, 200) << fb.body;

  HttpResult r = client_->Get("/api/v1/analytics/summary?group_by=scenario");
  ASSERT_EQ(r.status, 200) << r.body;
  Json s(r.body);
  EXPECT_EQ(JsonInt(s["log"]["files"]), 2) << r.body;
  EXPECT_EQ(JsonInt(s["log"]["bad_lines"]), 1) << r.body;
  EXPECT_EQ(JsonInt(s["totals"]["exposures"]), 5) << r.body;
  EXPECT_EQ(JsonInt(s["totals"]["exposed_users"]), 4);
  EXPECT_EQ(JsonInt(s["totals"]["impressions"]), 15);
  EXPECT_EQ(JsonInt(s["totals"]["clicks"]), 2);  // u1's list and old_user's second
  EXPECT_EQ(JsonInt(s["totals"]["clicked_items"]), 3);
  EXPECT_DOUBLE_EQ(JsonNumber(s["totals"]["ctr"]), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(JsonNumber(s["totals"]["item_ctr"]), 3.0 / 15.0);
  ASSERT_EQ(s["rows"].get_array().value().size(), 2u) << r.body;
  JsonValue legacy = s["rows"].at(0), served = s["rows"].at(1);
  EXPECT_EQ(StringField(legacy, "scenario"), "legacy");
  EXPECT_EQ(JsonInt(legacy["exposures"]), 2);
  EXPECT_EQ(JsonInt(legacy["clicks"]), 1);
  EXPECT_EQ(JsonInt(served["exposures"]), 3) << r.body;
  EXPECT_EQ(JsonInt(served["exposed_users"]), 3);
  EXPECT_EQ(JsonInt(served["clicks"]), 1);
  EXPECT_EQ(JsonInt(served["clicked_items"]), 2);

  // Clicks counted only of type "read": u2's list; conversions of type click: u1's and x3's.
  r = client_->Get("/api/v1/analytics/summary?click_types=read&conversion_types=click");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonInt(Json(r.body)["totals"]["clicks"]), 1) << r.body;
  EXPECT_EQ(JsonInt(Json(r.body)["totals"]["conversions"]), 2) << r.body;

  r = client_->Get("/api/v1/analytics/top-items?by=clicks&n=2&scenario=" +
                   StringField(served, "scenario"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json top(r.body);
  ASSERT_EQ(top["items"].get_array().value().size(), 2u) << r.body;
  std::set<std::string> top_ids = {StringField(top["items"].at(0), "item_id"),
                                   StringField(top["items"].at(1), "item_id")};
  EXPECT_EQ(top_ids, (std::set<std::string>{lists[0][0], lists[0][1]})) << r.body;
  EXPECT_GE(JsonInt(top["items"].at(0)["clicks"]), 1);

  r = client_->Get("/api/v1/analytics/coverage");
  ASSERT_EQ(r.status, 200) << r.body;
  Json c(r.body);
  EXPECT_EQ(JsonInt(c["exposed_items"]), static_cast<int64_t>(shown.size())) << r.body;
  EXPECT_EQ(JsonInt(c["impressions"]), 15);
  EXPECT_GT(JsonInt(c["catalogue_items"]), 0);
  EXPECT_GT(JsonNumber(c["coverage"]), 0);
  EXPECT_LE(JsonNumber(c["coverage"]), 1);
  EXPECT_GE(JsonNumber(c["gini"]), 0);
  EXPECT_LT(JsonNumber(c["gini"]), 1);

  // A window before the lists: nothing.
  r = client_->Get("/api/v1/analytics/summary?from=2020-01-01&to=2020-01-02");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonInt(Json(r.body)["totals"]["exposures"]), 0) << r.body;
}

TEST_F(AnalyticsTest, BadInputIsA400NamingTheField) {
  struct Case {
    std::string target, field;
  };
  for (const Case& c : std::vector<Case>{
           {"/api/v1/analytics/summary?group_by=colour", "group_by"},
           {"/api/v1/analytics/summary?group_by=day,day", "group_by"},
           {"/api/v1/analytics/summary?from=2026-11-02&to=2026-11-01", "from"},
           {"/api/v1/analytics/summary?to=tomorrow", "to"},
           {"/api/v1/analytics/top-items?n=0", "n"},
           {"/api/v1/analytics/top-items?n=many", "n"},
           {"/api/v1/analytics/top-items?by=views", "by"},
           {"/api/v1/analytics/coverage?from=01/11/2026", "from"},
       }) {
    HttpResult r = client_->Get(c.target);
    EXPECT_EQ(r.status, 400) << c.target << ": " << r.body;
    EXPECT_EQ(ErrorField(r.body), c.field) << c.target << ": " << r.body;
  }
}

TEST_F(AnalyticsTest, RoutesAreInTheOpenApiDocument) {
  HttpResult r = client_->Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  for (std::string path :
       {"/api/v1/analytics/summary", "/api/v1/analytics/top-items", "/api/v1/analytics/coverage"}) {
    EXPECT_EQ(doc["paths"][path]["get"].error(), simdjson::SUCCESS) << path;
  }
  EXPECT_EQ(doc["components"]["schemas"]["AnalyticsSummary"].error(), simdjson::SUCCESS);
}

}  // namespace
}  // namespace reco::itest
