// Every REST route of a real `reco serve` answers with the documented status and JSON shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

std::set<std::string> Keys(JsonValue e) {
  std::set<std::string> out;
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return out;
  for (auto field : obj) out.emplace(field.key);
  return out;
}

std::vector<std::string> Field(JsonValue array, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (array.get_array().get(a) != simdjson::SUCCESS) return out;
  for (auto e : a) out.push_back(StringField(e, key));
  return out;
}

std::string ToString(JsonValue e) {
  simdjson::dom::element v;
  return e.get(v) == simdjson::SUCCESS ? simdjson::to_string(v) : std::string();
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class ApiRoutes : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}, true); }

  void StartServer(const Env& env, bool train) {
    data_ = dir_.path() / "data";
    ASSERT_EQ(PrepareDemoData(data_, {.users = 100, .items = 150, .seed = 7, .train = train}), "");
    ASSERT_EQ(server_.Start(data_, {.env = env}), "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }

  HttpClient& c() { return *client_; }

  // Every row of a cursor-paged listing; fails the test on a repeated row.
  std::vector<std::string> Collect(const std::string& route, const std::string& array_key,
                                   const std::vector<std::string>& id_keys, int n) {
    std::vector<std::string> rows;
    std::set<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10000; ++page) {
      std::string target = route + (route.find('?') == std::string::npos ? "?" : "&") +
                           "n=" + std::to_string(n) + (cursor.empty() ? "" : "&cursor=" + cursor);
      HttpResult r = c().Get(target);
      EXPECT_EQ(r.status, 200) << target << " " << r.body;
      Json doc(r.body);
      EXPECT_TRUE(doc.ok()) << r.body;
      if (!doc.ok()) break;
      EXPECT_EQ(Keys(doc.root()), (std::set<std::string>{"Cursor", array_key}));
      simdjson::dom::array array;
      EXPECT_EQ(doc[array_key].get_array().get(array), simdjson::SUCCESS);
      EXPECT_LE(array.size(), static_cast<size_t>(n));
      for (auto e : array) {
        std::string key;
        for (const auto& k : id_keys) key += StringField(e, k) + "/";
        EXPECT_TRUE(seen.insert(key).second) << "row listed twice: " << key;
        rows.push_back(key);
      }
      cursor = StringField(doc.root(), "Cursor");
      if (cursor.empty()) break;
    }
    return rows;
  }

  TempDataDir dir_{"api"};
  std::filesystem::path data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ApiRoutes, UserRoundTripPatchPagingAndDelete) {
  HttpResult r = c().Post("/api/user", R"({"UserId":"alice","Labels":["a","b"],"Comment":"hi"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);

  r = c().Get("/api/user/alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"UserId":"alice","Labels":["a","b"],"Subscribe":null,"Comment":"hi"})");
  EXPECT_EQ(r.Header("Content-Type").substr(0, 16), "application/json");

  r = c().Patch("/api/user/alice", R"({"Comment":"bye"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  r = c().Get("/api/user/alice");
  EXPECT_EQ(r.body, R"({"UserId":"alice","Labels":["a","b"],"Subscribe":null,"Comment":"bye"})");

  r = c().Post("/api/users", R"([{"UserId":"bob"},{"UserId":"carol","Labels":{"k":1}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 2);

  std::vector<std::string> small_pages = Collect("/api/users", "Users", {"UserId"}, 7);
  std::vector<std::string> one_page = Collect("/api/users", "Users", {"UserId"}, 1000);
  EXPECT_EQ(std::set<std::string>(small_pages.begin(), small_pages.end()),
            std::set<std::string>(one_page.begin(), one_page.end()));
  EXPECT_GE(small_pages.size(), 103u);
  for (const char* id : {"alice/", "bob/", "carol/", "u0/"})
    EXPECT_TRUE(Contains(small_pages, id)) << id;

  r = c().Get("/api/user/nobody");
  EXPECT_EQ(r.status, 404);
  Json err(r.body);
  ASSERT_TRUE(err.ok()) << r.body;
  int64_t code = 0;
  EXPECT_EQ(err["error"]["code"].get_int64().get(code), simdjson::SUCCESS);
  EXPECT_EQ(code, 404);
  EXPECT_EQ(StringField(err["error"], "status"), "NOT_FOUND");

  // Deleting a user deletes its feedback.
  r = c().Post("/api/feedback", "[" + FeedbackJson("like", "alice", "i1") + "," +
                                    FeedbackJson("read", "alice", "i2") + "]");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 2);
  EXPECT_EQ(ArraySize(c().Get("/api/user/alice/feedback").body), 2);
  r = c().Delete("/api/user/alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(c().Get("/api/user/alice").status, 404);
  r = c().Get("/api/user/alice/feedback");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(c().Get("/api/feedback/alice/i1").body, "[]");
  EXPECT_EQ(c().Get("/api/feedback/like/alice/i1").status, 404);
}

// RFC 3339 text of now + `seconds` (UTC, whole seconds).
std::string TimeFromNow(int64_t seconds) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) +
                  static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST_F(ApiRoutes, ItemRoundTripCategoriesAndPaging) {
  // Dated an hour ahead (a client clock a little fast, within database.max_future_skew_seconds):
  // newer than every demo item.
  const std::string timestamp = TimeFromNow(3600);
  HttpResult r = c().Post("/api/item",
                          R"({"ItemId":"new1","IsHidden":false,"Categories":["c1"],"Timestamp":")" +
                              timestamp + R"(","Labels":{"k":1},"Comment":"x"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  r = c().Get("/api/item/new1");
  ASSERT_EQ(r.status, 200) << r.body;
  Json item(r.body);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(Keys(item.root()), (std::set<std::string>{"ItemId", "IsHidden", "Categories",
                                                      "Timestamp", "Labels", "Comment"}));
  EXPECT_EQ(StringField(item.root(), "ItemId"), "new1");
  EXPECT_EQ(StringField(item.root(), "Timestamp"), timestamp);
  EXPECT_EQ(StringArray(ToString(item["Categories"])), std::vector<std::string>{"c1"});

  r = c().Put("/api/item/new1/category/c2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(StringArray(ToString(Json(c().Get("/api/item/new1").body)["Categories"])),
            (std::vector<std::string>{"c1", "c2"}));

  // Likes put new1 into the popular list of c2; every item listed under c2 has category c2.
  std::string likes = "[";
  for (int u = 0; u < 30; ++u) {
    likes += (u ? "," : "") + FeedbackJson("like", "u" + std::to_string(u), "new1");
  }
  likes += "]";
  ASSERT_EQ(c().Post("/api/feedback", likes).status, 200);
  r = c().Get("/api/popular/c2?n=20");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> popular_c2 = ScoreIds(r.body);
  EXPECT_TRUE(Contains(popular_c2, "new1")) << r.body;
  for (const auto& id : popular_c2) {
    auto cats = StringArray(ToString(Json(c().Get("/api/item/" + id).body)["Categories"]));
    EXPECT_TRUE(Contains(cats, "c2")) << id << " listed under c2";
  }
  // The newest item heads /api/latest and /api/latest/c1.
  EXPECT_EQ(ScoreIds(c().Get("/api/latest?n=3").body).at(0), "new1");
  EXPECT_EQ(ScoreIds(c().Get("/api/latest/c1?n=3").body).at(0), "new1");

  r = c().Delete("/api/item/new1/category/c2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(StringArray(ToString(Json(c().Get("/api/item/new1").body)["Categories"])),
            std::vector<std::string>{"c1"});
  EXPECT_FALSE(Contains(ScoreIds(c().Get("/api/popular/c2?n=50").body), "new1"));
  EXPECT_TRUE(Contains(ScoreIds(c().Get("/api/popular?n=50").body), "new1"));

  // Hidden items are never recommended anywhere.
  r = c().Patch("/api/item/new1", R"({"IsHidden":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_FALSE(Contains(ScoreIds(c().Get("/api/popular?n=200").body), "new1"));
  EXPECT_FALSE(Contains(ScoreIds(c().Get("/api/latest?n=200").body), "new1"));
  EXPECT_FALSE(Contains(ScoreIds(c().Get("/api/latest/c1?n=200").body), "new1"));
  for (int u = 50; u < 60; ++u) {
    r = c().Get("/api/recommend/u" + std::to_string(u) + "?n=100");
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(Contains(StringArray(r.body), "new1")) << "u" << u;
  }
  EXPECT_FALSE(Contains(StringArray(c().Get("/api/recommend/stranger?n=200").body), "new1"));
  r = c().Post("/api/session/recommend?n=100", "[" + FeedbackJson("like", "s", "i1") + "]");
  EXPECT_FALSE(Contains(ScoreIds(r.body), "new1"));

  r = c().Post("/api/items", R"([{"ItemId":"new2"},{"ItemId":"new3","Categories":["c9"]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 2);
  std::vector<std::string> small = Collect("/api/items", "Items", {"ItemId"}, 13);
  std::vector<std::string> big = Collect("/api/items", "Items", {"ItemId"}, 1000);
  EXPECT_EQ(std::set<std::string>(small.begin(), small.end()),
            std::set<std::string>(big.begin(), big.end()));
  EXPECT_GE(small.size(), 153u);
  r = c().Delete("/api/item/new2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(c().Get("/api/item/new2").status, 404);
}

TEST_F(ApiRoutes, FeedbackPostKeepsPutReplacesAndListings) {
  auto one = [](std::string_view comment, std::string_view ts) {
    return std::string(
               R"([{"FeedbackType":"vote","UserId":"fu","ItemId":"fi","Value":2,"Timestamp":")") +
           std::string(ts) + R"(","Comment":")" + std::string(comment) + "\"}]";
  };
  HttpResult r = c().Post("/api/feedback", one("first", "2024-01-01T00:00:00Z"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  r = c().Post("/api/feedback", one("second", "2024-02-01T00:00:00Z"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = c().Get("/api/feedback/vote/fu/fi");
  ASSERT_EQ(r.status, 200) << r.body;
  Json kept(r.body);
  EXPECT_EQ(Keys(kept.root()), (std::set<std::string>{"FeedbackType", "UserId", "ItemId", "Value",
                                                      "Timestamp", "Comment"}));
  EXPECT_EQ(StringField(kept.root(), "Comment"), "first") << "POST must keep the existing row";

  r = c().Put("/api/feedback", one("second", "2024-02-01T00:00:00Z"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  Json replaced(c().Get("/api/feedback/vote/fu/fi").body);
  EXPECT_EQ(StringField(replaced.root(), "Comment"), "second") << "PUT must replace the row";
  EXPECT_EQ(StringField(replaced.root(), "Timestamp").substr(0, 10), "2024-02-01");

  ASSERT_EQ(c().Post("/api/feedback", "[" + FeedbackJson("read", "fu", "fi") + "," +
                                          FeedbackJson("read", "fu", "fj") + "]")
                .status,
            200);
  auto count = [&](const std::string& target) {
    HttpResult res = c().Get(target);
    EXPECT_EQ(res.status, 200) << target;
    Json doc(res.body);
    simdjson::dom::array a;
    return doc.ok() && doc.root().get_array().get(a) == simdjson::SUCCESS ? a.size() : 9999;
  };
  EXPECT_EQ(count("/api/feedback/fu/fi"), 2u);
  EXPECT_EQ(count("/api/user/fu/feedback"), 3u);
  EXPECT_EQ(count("/api/user/fu/feedback/read"), 2u);
  EXPECT_EQ(count("/api/item/fi/feedback/vote"), 1u);
  EXPECT_EQ(Field(Json(c().Get("/api/item/fj/feedback").body).root(), "UserId"),
            std::vector<std::string>{"fu"});

  std::vector<std::string> all =
      Collect("/api/feedback", "Feedback", {"FeedbackType", "UserId", "ItemId"}, 97);
  std::vector<std::string> votes =
      Collect("/api/feedback/vote", "Feedback", {"FeedbackType", "UserId", "ItemId"}, 5);
  EXPECT_GT(all.size(), 500u);
  EXPECT_TRUE(Contains(all, "read/fu/fj/"));
  EXPECT_EQ(votes, std::vector<std::string>{"vote/fu/fi/"});

  r = c().Delete("/api/feedback/vote/fu/fi");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(c().Get("/api/feedback/vote/fu/fi").status, 404);
  r = c().Delete("/api/feedback/fu/fj");
  EXPECT_EQ(RowAffected(r.body), 1);
  EXPECT_EQ(count("/api/user/fu/feedback"), 1u);
}

TEST_F(ApiRoutes, RecommendationsExcludeSeenAndReactInRealTime) {
  std::set<std::string> seen;
  for (const auto& id : Field(Json(c().Get("/api/user/u3/feedback").body).root(), "ItemId")) {
    seen.insert(id);
  }
  ASSERT_FALSE(seen.empty());
  HttpResult r = c().Get("/api/recommend/u3?n=50");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> recs = StringArray(r.body);
  ASSERT_FALSE(recs.empty()) << r.body;
  EXPECT_EQ(std::set<std::string>(recs.begin(), recs.end()).size(), recs.size());
  for (const auto& id : recs) EXPECT_FALSE(seen.count(id)) << id << " was seen";

  std::vector<std::string> ten = StringArray(c().Get("/api/recommend/u3?n=10").body);
  std::vector<std::string> tail = StringArray(c().Get("/api/recommend/u3?n=5&offset=5").body);
  ASSERT_EQ(ten.size(), 10u);
  EXPECT_EQ(tail, std::vector<std::string>(ten.begin() + 5, ten.end()));

  // Real time: a new like changes the next answer and its item is excluded, without training.
  ASSERT_EQ(c().Post("/api/feedback", "[" + FeedbackJson("like", "u3", ten[0]) + "]").status, 200);
  std::vector<std::string> after = StringArray(c().Get("/api/recommend/u3?n=10").body);
  EXPECT_NE(after, ten);
  EXPECT_FALSE(Contains(after, ten[0]));

  // An unknown user gets popular items, not an error.
  r = c().Get("/api/recommend/stranger?n=10");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> popular = ScoreIds(c().Get("/api/popular?n=100").body);
  std::vector<std::string> stranger = StringArray(r.body);
  ASSERT_EQ(stranger.size(), 10u);
  for (const auto& id : stranger) EXPECT_TRUE(Contains(popular, id)) << id;

  // write-back-type records the returned items as feedback of that type.
  std::vector<std::string> written =
      StringArray(c().Get("/api/recommend/u4?n=3&write-back-type=read").body);
  ASSERT_EQ(written.size(), 3u);
  std::vector<std::string> reads =
      Field(Json(c().Get("/api/user/u4/feedback/read").body).root(), "ItemId");
  for (const auto& id : written) EXPECT_TRUE(Contains(reads, id)) << id;

  // Category filter.
  std::string category =
      StringArray(ToString(Json(c().Get("/api/item/i5").body)["Categories"])).at(0);
  std::vector<std::string> in_category =
      StringArray(c().Get("/api/recommend/u3/" + category + "?n=10").body);
  ASSERT_FALSE(in_category.empty()) << "no recommendation in category " << category;
  for (const auto& id : in_category) {
    auto cats = StringArray(ToString(Json(c().Get("/api/item/" + id).body)["Categories"]));
    EXPECT_TRUE(Contains(cats, category)) << id;
  }

  // Session recommendations exclude the session's items.
  r = c().Post("/api/session/recommend?n=10",
               "[" + FeedbackJson("like", "x", "i1") + "," + FeedbackJson("like", "x", "i2") + "]");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> session = ScoreIds(r.body);
  ASSERT_FALSE(session.empty()) << r.body;
  EXPECT_FALSE(Contains(session, "i1"));
  EXPECT_FALSE(Contains(session, "i2"));
  r = c().Post("/api/session/recommend/" + category + "?n=5",
               "[" + FeedbackJson("like", "x", "i1") + "]");
  EXPECT_EQ(r.status, 200);
  EXPECT_LE(ScoreIds(r.body).size(), 5u);

  r = c().Get("/api/item/i1/neighbors?n=5");
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> neighbors = ScoreIds(r.body);
  EXPECT_FALSE(neighbors.empty()) << r.body;
  EXPECT_LE(neighbors.size(), 5u);
  EXPECT_FALSE(Contains(neighbors, "i1"));
  EXPECT_EQ(c().Get("/api/item/i1/neighbors/" + category + "?n=5").status, 200);
  EXPECT_EQ(c().Get("/api/item/no_such_item/neighbors").body, "[]");
  r = c().Get("/api/user/u3/neighbors?n=5");
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> users = ScoreIds(r.body);
  EXPECT_FALSE(users.empty()) << r.body;
  EXPECT_FALSE(Contains(users, "u3"));

  r = c().Get("/similar/i1?top_n=4");
  ASSERT_EQ(r.status, 200) << r.body;
  Json similar(r.body);
  EXPECT_EQ(Keys(similar.root()),
            (std::set<std::string>{"item_id", "similar_items", "model_version"}));
  EXPECT_EQ(StringField(similar.root(), "item_id"), "i1");
  EXPECT_EQ(Field(similar["similar_items"], "item_id").size(), 4u);
  r = c().Get("/recommend/detail/i1?user_id=u3&top_n=3");
  ASSERT_EQ(r.status, 200) << r.body;
  Json detail(r.body);
  EXPECT_EQ(Keys(detail.root()),
            (std::set<std::string>{"item_id", "user_id", "recommendations", "model_version"}));
  const std::vector<std::string> detail_items = Field(detail["recommendations"], "item_id");
  ASSERT_EQ(detail_items.size(), 3u) << r.body;
  for (const auto& id : detail_items) EXPECT_FALSE(seen.count(id)) << id << " was seen";
}

TEST_F(ApiRoutes, PopularFollowsLiveLikes) {
  std::vector<std::string> before = ScoreIds(c().Get("/api/popular?n=10").body);
  ASSERT_EQ(before.size(), 10u);
  std::string target = "i149";
  ASSERT_FALSE(Contains(before, target));
  std::string likes = "[";
  for (int u = 0; u < 100; ++u) {
    likes += (u ? "," : "") +
             FeedbackJson("like", "fan" + std::to_string(u), target, /*timestamp: now*/ "");
  }
  likes += "]";
  HttpResult r = c().Post("/api/feedback", likes);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RowAffected(r.body), 100);
  std::vector<std::string> after = ScoreIds(c().Get("/api/popular?n=10").body);
  EXPECT_NE(after, before);
  EXPECT_TRUE(Contains(after, target));
}

TEST_F(ApiRoutes, MetricsAndOpenApiDescribeEveryRoute) {
  ASSERT_EQ(c().Get("/api/recommend/u1?n=5").status, 200);
  ASSERT_EQ(c().Post("/api/feedback", "[" + FeedbackJson("like", "u1", "i9") + "]").status, 200);
  ASSERT_EQ(c().Get("/api/recommend/stranger").status, 200);
  HttpResult m = c().Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.Header("Content-Type").substr(0, 10), "text/plain");
  for (const char* needle :
       {"recommendation_latency_seconds_bucket{route=\"/api/recommend/{user_id}\"",
        "http_requests_total{", "status=\"200\"}", "recommendation_degraded_total",
        "model_loaded_timestamp_seconds", "feedback_ingested_total{"}) {
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle << "\n" << m.body.substr(0, 3000);
  }

  HttpResult o = c().Get("/api/v1/openapi.json");
  ASSERT_EQ(o.status, 200);
  Json doc(o.body);
  ASSERT_TRUE(doc.ok()) << doc.error();
  std::set<std::string> paths = Keys(doc["paths"]);
  for (const char* path : {"/api/user",
                           "/api/users",
                           "/api/user/{user_id}",
                           "/api/item",
                           "/api/items",
                           "/api/item/{item_id}",
                           "/api/item/{item_id}/category/{category}",
                           "/api/feedback",
                           "/api/feedback/{feedback_type}",
                           "/api/feedback/{user_id}/{item_id}",
                           "/api/feedback/{feedback_type}/{user_id}/{item_id}",
                           "/api/user/{user_id}/feedback",
                           "/api/user/{user_id}/feedback/{feedback_type}",
                           "/api/item/{item_id}/feedback",
                           "/api/item/{item_id}/feedback/{feedback_type}",
                           "/api/recommend/{user_id}",
                           "/api/recommend/{user_id}/{category}",
                           "/api/session/recommend",
                           "/api/session/recommend/{category}",
                           "/api/popular",
                           "/api/popular/{category}",
                           "/api/latest",
                           "/api/latest/{category}",
                           "/api/item/{item_id}/neighbors",
                           "/api/item/{item_id}/neighbors/{category}",
                           "/api/user/{user_id}/neighbors",
                           "/api/health/live",
                           "/api/health/ready",
                           "/health",
                           "/metrics",
                           "/api/v1/openapi.json",
                           "/similar/{item_id}",
                           "/recommend/detail/{item_id}",
                           "/models/reload",
                           "/api/v1/jobs",
                           "/api/v1/jobs/runs",
                           "/api/v1/jobs/runs/{id}",
                           "/api/v1/jobs/{name}/run",
                           "/api/v1/models",
                           "/api/v1/runs",
                           "/api/v1/runs/{run_id}",
                           "/api/v1/pipeline/runs",
                           "/api/v1/pipeline/runs/{id}",
                           "/console",
                           "/console/assets/{name}",
                           "/console/api/session",
                           "/console/login",
                           "/console/logout",
                           "/api/v1/metrics/history",
                           "/api/v1/models/promote",
                           "/api/v1/models/rollback",
                           "/api/v1/models/withdraw",
                           "/api/v1/data/summary",
                           "/api/v1/preview/{user_id}",
                           "/api/v1/pipeline/runs/{id}/tasks/{task}/log",
                           "/api/v1/evaluation",
                           "/api/v1/evaluation/reconciliation/{date}",
                           "/api/v1/experiments",
                           "/api/v1/experiments/{id}",
                           "/api/v1/experiments/{id}/start",
                           "/api/v1/experiments/{id}/stop",
                           "/api/v1/experiments/{id}/results",
                           "/api/v1/experiments/assignment/{user_id}",
                           "/api/v1/dataset/export",
                           "/api/v1/dataset/import",
                           "/api/v1/tenants",
                           "/api/v1/tenants/{name}",
                           "/api/v1/tenants/{name}/keys",
                           "/api/v1/tenants/{name}/keys/{key_id}",
                           "/api/v1/tenants/{name}/quotas",
                           "/api/v1/scenarios",
                           "/api/v1/scenarios/{name}",
                           "/api/v1/templates",
                           "/api/v1/templates/{name}",
                           "/api/v1/analytics/summary",
                           "/api/v1/analytics/top-items",
                           "/api/v1/analytics/coverage",
                           "/api/v1/analytics/realtime",
                           "/api/non-personalized/{name}",
                           "/api/item/{item_id}/vector",
                           "/api/items/vectors"}) {
    EXPECT_TRUE(paths.count(path)) << path << " missing from openapi.json";
  }
  EXPECT_EQ(paths.size(), 81u);
}

TEST(ApiKey, RequiredOnDataRoutesWhenConfiguredButNotOnHealth) {
  TempDataDir dir("apikey");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 30, .items = 40, .seed = 2}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"RECO_SERVER_API_KEY", "s3cret"}}}), "");
  HttpClient c(server.port());
  HttpResult r = c.Get("/api/users");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorField(r.body), "X-API-Key");
  EXPECT_EQ(c.Get("/api/users", {{"X-API-Key", "wrong"}}).status, 401);
  EXPECT_EQ(c.Get("/api/recommend/u1", {{"X-API-Key", "wrong"}}).status, 401);
  EXPECT_EQ(c.Post("/api/feedback", "[]").status, 401);
  EXPECT_EQ(c.Get("/api/users", {{"X-API-Key", "s3cret"}}).status, 200);
  EXPECT_EQ(c.Get("/api/recommend/u1", {{"X-API-Key", "s3cret"}}).status, 200);
  for (const char* open : {"/api/health/live", "/api/health/ready", "/health", "/metrics"}) {
    EXPECT_EQ(c.Get(open).status, 200) << open;
  }
}

TEST(Health, DegradedWithoutModelsHealthyAfterTrainAndReload) {
  TempDataDir dir("health");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 40, .items = 60, .seed = 3, .train = false}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient c(server.port());
  HttpResult r = c.Get("/health");
  ASSERT_EQ(r.status, 200) << r.body;
  Json before(r.body);
  EXPECT_EQ(StringField(before.root(), "status"), "degraded");
  bool loaded = true;
  EXPECT_EQ(before["models_loaded"].get_bool().get(loaded), simdjson::SUCCESS);
  EXPECT_FALSE(loaded);
  r = c.Get("/api/health/live");
  EXPECT_EQ(
      r.body,
      R"({"Ready":true,"DataStoreError":null,"CacheStoreError":null,"DataStoreConnected":true,"CacheStoreConnected":true})");
  EXPECT_EQ(c.Get("/api/health/ready").status, 200);
  // Without models a recommendation degrades but never fails.
  r = c.Get("/api/recommend/u1?n=5");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r.body).ok());

  ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, dir.path() / "train.log").Ok())
      << ReadFile(dir.path() / "train.log");
  r = c.Post("/models/reload", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StringField(Json(r.body).root(), "status"), "reloaded");
  Json after(c.Get("/health").body);
  EXPECT_EQ(StringField(after.root(), "status"), "healthy");
  EXPECT_EQ(after["models_loaded"].get_bool().get(loaded), simdjson::SUCCESS);
  EXPECT_TRUE(loaded);
  EXPECT_FALSE(StringField(after.root(), "model_version").empty());
}

// The write-back of GET /api/recommend/{user}?write-back-type= is feedback like the rows of
// POST /api/feedback: bound by database.auto_insert_user, counted in feedback_ingested_total
// and joined to the exposure it came from.
TEST(WriteBack, IsFeedbackLikePostedFeedback) {
  TempDataDir dir("write_back");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 40, .items = 60, .seed = 5, .train = false}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"RECO_DATABASE_AUTO_INSERT_USER", "false"}}}), "");
  HttpClient c(server.port());

  HttpResult posted = c.Post("/api/feedback", "[" + FeedbackJson("read", "newcomer", "i1") + "]");
  EXPECT_EQ(posted.status, 400) << posted.body;
  HttpResult written_back = c.Get("/api/recommend/newcomer?n=3&write-back-type=read");
  EXPECT_EQ(written_back.status, posted.status) << written_back.body;
  EXPECT_EQ(ErrorField(written_back.body), ErrorField(posted.body));
  EXPECT_EQ(c.Get("/api/user/newcomer").status, 404);

  HttpResult r = c.Get("/api/recommend/u4?n=3&write-back-type=like");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(StringArray(r.body).size(), 3u) << r.body;
  const std::string version = r.Header("X-Reco-Model-Version");
  std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("feedback_ingested_total{kind=\"positive\"} 3"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("model_clicks_total{run_id=\"" + version + "\",variant=\"primary\"} 1"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace reco::itest
