// Real-time windows on a real `reco serve` (docs/realtime.md): feedback posted through the API
// moves the hot list of a window, the named leaderboards and the live CTR report at once; bad
// windows and dimensions are named. The windows' sliding and decay are asserted exactly with an
// injected clock in src/serving/realtime_test.cc; here the clock is the system's and every event
// is seconds old, well inside every window.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

// [{"Id","Score"}] as "id=score " pairs, scores rounded to 3 decimals.
std::string Scores(std::string_view body) {
  Json json(body);
  std::string out;
  auto array = json.root().get_array();
  if (array.error()) return "not an array: " + std::string(body);
  for (simdjson::dom::element e : array.value()) {
    char score[32];
    std::snprintf(score, sizeof(score), "%.3f", JsonNumber(e["Score"]));
    out += StringField(e, "Id") + "=" + score + " ";
  }
  return out;
}

class RealtimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(PrepareDemoData(dir_.path(), {.users = 20, .items = 30, .seed = 9, .train = false}),
              "");
    ASSERT_EQ(server_.Start(dir_.path(),
                            {.env = {{"RECO_REALTIME_LEADERBOARDS", "liked=1h:like,trending=decay"},
                                     {"RECO_REALTIME_HALF_LIFE_SECONDS", "86400"}}}),
              "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }
  void TearDown() override {
    client_.reset();
    server_.Stop(SIGTERM);
  }

  void PostFeedback(const std::vector<std::string>& rows) {
    std::string body = "[";
    for (const std::string& row : rows) body += (body.size() > 1 ? "," : "") + row;
    HttpResult r = client_->Post("/api/feedback", body + "]");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  TempDataDir dir_{"realtime"};
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(RealtimeTest, FeedbackMovesTheWindowsAndLeaderboards) {
  const std::string now = TimeText(0);
  ASSERT_NO_FATAL_FAILURE(PostFeedback({FeedbackJson("like", "rt_u1", "rt_i1", now),
                                        FeedbackJson("like", "rt_u2", "rt_i1", now),
                                        FeedbackJson("like", "rt_u3", "rt_i1", now),
                                        FeedbackJson("like", "rt_u1", "rt_i2", now),
                                        FeedbackJson("click", "rt_u4", "rt_i3", now),
                                        FeedbackJson("read", "rt_u4", "rt_i4", now)}));

  HttpResult hot = client_->Get("/api/popular?window=1h");
  ASSERT_EQ(hot.status, 200) << hot.body;
  EXPECT_EQ(Scores(hot.body), "rt_i1=3.000 rt_i2=1.000 rt_i3=1.000 ");  // read is not positive
  EXPECT_EQ(Scores(client_->Get("/api/popular?window=24h&n=1&offset=1").body), "rt_i2=1.000 ");
  // rt_u1 gave feedback to rt_i1 and rt_i2.
  EXPECT_EQ(Scores(client_->Get("/api/popular?window=1h&user-id=rt_u1").body), "rt_i3=1.000 ");

  HttpResult bad = client_->Get("/api/popular?window=2h");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(ErrorField(bad.body), "window");
  // Without a window, the popularity list answers as before.
  EXPECT_EQ(client_->Get("/api/popular?n=5").status, 200);

  HttpResult liked = client_->Get("/api/non-personalized/liked");
  ASSERT_EQ(liked.status, 200) << liked.body;
  EXPECT_EQ(Scores(liked.body), "rt_i1=3.000 rt_i2=1.000 ");
  EXPECT_EQ(Scores(client_->Get("/api/non-personalized/liked?user-id=rt_u2").body),
            "rt_i2=1.000 ");
  HttpResult trending = client_->Get("/api/non-personalized/trending?n=3");
  ASSERT_EQ(trending.status, 200) << trending.body;
  // A day's half-life: scores of events seconds old are within 0.1 % of the counts.
  EXPECT_EQ(Scores(trending.body), "rt_i1=3.000 rt_i2=1.000 rt_i3=1.000 ");
  EXPECT_EQ(client_->Get("/api/non-personalized/nope").status, 404);
  EXPECT_EQ(ErrorField(client_->Get("/api/non-personalized/liked?n=0").body), "n");
}

TEST_F(RealtimeTest, ServedListsAndClicksMakeTheLiveReport) {
  HttpResult served = client_->Get("/api/recommend/rt_viewer?n=4");
  ASSERT_EQ(served.status, 200) << served.body;
  std::vector<std::string> items = StringArray(served.body);
  ASSERT_EQ(items.size(), 4u) << served.body;
  ASSERT_NO_FATAL_FAILURE(PostFeedback({FeedbackJson("click", "rt_viewer", items[2], TimeText(0)),
                                        FeedbackJson("click", "rt_other", items[0], TimeText(0))}));

  HttpResult r = client_->Get("/api/v1/analytics/realtime?window=1h&by=scenario");
  ASSERT_EQ(r.status, 200) << r.body;
  Json report(r.body);
  EXPECT_EQ(StringField(report.root(), "window"), "1h");
  EXPECT_EQ(StringField(report.root(), "by"), "scenario");
  EXPECT_EQ(JsonInt(report["bucket_seconds"]), 60);
  ASSERT_EQ(JsonArraySize(report["rows"]), 1) << r.body;
  EXPECT_EQ(StringField(report["rows"].at(0), "key"), "recommend");
  EXPECT_EQ(JsonNumber(report["rows"].at(0)["impressions"]), 4);
  // rt_other was never shown items[0]: its click counts in the hot score only.
  EXPECT_EQ(JsonNumber(report["rows"].at(0)["clicks"]), 1);
  EXPECT_EQ(JsonNumber(report["totals"]["ctr"]), 0.25);

  HttpResult by_item = client_->Get("/api/v1/analytics/realtime?window=24h&by=item&n=2");
  ASSERT_EQ(by_item.status, 200) << by_item.body;
  Json items_report(by_item.body);
  EXPECT_EQ(JsonInt(items_report["keys"]), 4);
  EXPECT_EQ(JsonArraySize(items_report["rows"]), 2);
  EXPECT_EQ(JsonNumber(items_report["totals"]["impressions"]), 4);
  EXPECT_EQ(JsonNumber(items_report["totals"]["clicks"]), 1);

  HttpResult versions = client_->Get("/api/v1/analytics/realtime?by=model_version");
  ASSERT_EQ(versions.status, 200) << versions.body;
  EXPECT_EQ(JsonArraySize(Json(versions.body)["rows"]), 1) << versions.body;

  HttpResult decay = client_->Get("/api/v1/analytics/realtime?window=decay");
  ASSERT_EQ(decay.status, 200) << decay.body;
  EXPECT_EQ(JsonInt(Json(decay.body)["half_life_seconds"]), 86400);

  EXPECT_EQ(ErrorField(client_->Get("/api/v1/analytics/realtime?by=user").body), "by");
  EXPECT_EQ(ErrorField(client_->Get("/api/v1/analytics/realtime?window=1d").body), "window");
  EXPECT_EQ(ErrorField(client_->Get("/api/v1/analytics/realtime?n=0").body), "n");
}

}  // namespace
}  // namespace reco::itest
