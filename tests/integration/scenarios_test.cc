// Scenarios and templates end to end on a real `reco serve`: CRUD, template instantiation,
// recommendations under a scenario (filters, exclude list, session pages, headers, the exposure
// log) and a table of bad input, each answered 400 naming the field.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

std::vector<std::string> Names(std::string_view body, std::string_view key = "name") {
  std::vector<std::string> out;
  Json doc(body);
  simdjson::dom::array array;
  if (!doc.ok() || doc.root().get_array().get(array) != simdjson::SUCCESS) return out;
  for (auto e : array) out.push_back(StringField(e, key));
  return out;
}

class Scenarios : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(PrepareDemoData(data_, {.users = 60, .items = 80, .seed = 3, .train = true}), "");
    ASSERT_EQ(server_.Start(data_), "");
    client_ = std::make_unique<HttpClient>(server_.port());
    // Items of categories no demo item has, so that a category filter shows only these:
    // s1 (scn_a, label color:red) liked by 3 users, s2 (scn_a) by 2, s3 (scn_b) by 1.
    const std::string items =
        R"([{"ItemId":"s1","Categories":["scn_a"],"Labels":{"color":"red"},
             "Timestamp":"2024-01-01T00:00:00Z"},
            {"ItemId":"s2","Categories":["scn_a"],"Labels":["blue"],
             "Timestamp":"2024-01-02T00:00:00Z"},
            {"ItemId":"s3","Categories":["scn_b"],"Timestamp":"2024-01-03T00:00:00Z"}])";
    ASSERT_EQ(c().Post("/api/items", items).status, 200);
    std::string feedback = "[";
    auto like = [&feedback](const std::string& user, const char* item) {
      if (feedback.size() > 1) feedback += ",";
      feedback += FeedbackJson("like", user, item);
    };
    for (int u = 0; u < 3; ++u) like("fan" + std::to_string(u), "s1");
    for (int u = 0; u < 2; ++u) like("fan" + std::to_string(u), "s2");
    like("fan0", "s3");
    feedback += "]";
    ASSERT_EQ(c().Post("/api/feedback", feedback).status, 200);
  }

  HttpClient& c() { return *client_; }

  // Creates the scenario "shop": popular then latest, only scn_a / scn_b items, at most one
  // item of a category in the top 2.
  void CreateShop(std::string_view extra_filters = "") {
    const std::string body =
        R"({"name":"shop","recall":[{"source":"popular","quota":10},{"source":"latest","quota":10}],
            "filters":{"categories":["scn_a","scn_b"])" +
        std::string(extra_filters) + R"(},
            "rerank":{"kind":"diversity","window":2,"max_per_category":1}})";
    HttpResult r = c().Post("/api/v1/scenarios", body);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  TempDataDir dir_{"scenarios"};
  std::filesystem::path data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(Scenarios, TemplatesAreListedAndInstantiatedThenEditedAndDeleted) {
  HttpResult list = c().Get("/api/v1/templates");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Names(list.body), (std::vector<std::string>{"ecommerce_home_feed", "content_detail",
                                                        "new_user_onboarding"}));
  HttpResult one = c().Get("/api/v1/templates/content_detail");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(StringField(Json(one.body)["scenario"], "name"), "content_detail");
  EXPECT_EQ(c().Get("/api/v1/templates/nope").status, 404);

  HttpResult created =
      c().Post("/api/v1/scenarios", R"({"template":"ecommerce_home_feed","name":"home"})");
  ASSERT_EQ(created.status, 201) << created.body;
  Json doc(created.body);
  EXPECT_EQ(StringField(doc.root(), "template"), "ecommerce_home_feed");
  EXPECT_EQ(StringField(doc["rerank"], "kind"), "diversity");
  EXPECT_EQ(c().Post("/api/v1/scenarios", R"({"template":"content_detail","name":"home"})").status,
            409);
  EXPECT_EQ(Names(c().Get("/api/v1/scenarios").body), std::vector<std::string>{"home"});

  // Edit: replace the configuration; the answer and a later GET show it.
  HttpResult edited =
      c().Put("/api/v1/scenarios/home",
              R"({"recall":[{"source":"latest","quota":5}],"rerank":{"kind":"mmr"}})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  HttpResult got = c().Get("/api/v1/scenarios/home");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(StringField(Json(got.body)["rerank"], "kind"), "mmr");
  EXPECT_EQ(c().Put("/api/v1/scenarios/nope", R"({"recall":[{"source":"latest"}]})").status, 404);

  EXPECT_EQ(c().Delete("/api/v1/scenarios/home").status, 200);
  EXPECT_EQ(c().Get("/api/v1/scenarios/home").status, 404);
  EXPECT_EQ(c().Delete("/api/v1/scenarios/home").status, 404);
  EXPECT_EQ(c().Get("/api/recommend/fan0?scenario=home").status, 404);
}

TEST_F(Scenarios, ScenariosSurviveARestart) {
  CreateShop();
  ASSERT_TRUE(server_.Stop(SIGTERM).Ok());
  ASSERT_EQ(server_.Start(data_), "");
  client_ = std::make_unique<HttpClient>(server_.port());
  EXPECT_EQ(c().Get("/api/v1/scenarios/shop").status, 200);
  // The live counters start over, so latest orders the items now: s3 s2 s1.
  EXPECT_EQ(StringArray(c().Get("/api/recommend/nobody?scenario=shop&n=3").body),
            (std::vector<std::string>{"s3", "s2", "s1"}));
}

TEST_F(Scenarios, RecommendUnderAScenarioFiltersReranksAndNamesItself) {
  CreateShop();
  HttpResult r = c().Get("/api/recommend/nobody?scenario=shop&n=3");
  ASSERT_EQ(r.status, 200) << r.body;
  // Popular among the scenario's categories is s1 s2 s3; one item per category in the top 2.
  EXPECT_EQ(StringArray(r.body), (std::vector<std::string>{"s1", "s3", "s2"}));
  EXPECT_EQ(r.Header("X-Reco-Scenario"), "shop");
  EXPECT_FALSE(r.Header("X-Reco-Model-Version").empty());
  EXPECT_EQ(r.Header("X-Reco-Variant"), "primary");
  // The exclude list.
  EXPECT_EQ(StringArray(c().Get("/api/recommend/nobody?scenario=shop&n=3&exclude=s1,s9").body),
            (std::vector<std::string>{"s2", "s3"}));
  // What the user liked is not served again.
  EXPECT_EQ(StringArray(c().Get("/api/recommend/fan0?scenario=shop&n=3").body),
            std::vector<std::string>{});
  // Write-back works as on the plain route: the served items become the user's feedback.
  HttpResult written = c().Get("/api/recommend/reader?scenario=shop&n=2&write-back-type=read");
  ASSERT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(StringArray(written.body), (std::vector<std::string>{"s1", "s3"}));
  HttpResult rows = c().Get("/api/user/reader/feedback/read");
  ASSERT_EQ(rows.status, 200) << rows.body;
  EXPECT_EQ(ArraySize(rows.body), 2) << rows.body;
  // The plain route is as before: no scenario header, the scenario's filter does not apply.
  HttpResult plain = c().Get("/api/recommend/nobody?n=5");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.Header("X-Reco-Scenario"), "");
  EXPECT_EQ(StringArray(plain.body).size(), 5u);

  // The exposure log names the scenario (written at the latest when the server stops).
  ASSERT_TRUE(server_.Stop(SIGTERM).Ok());
  std::ifstream log(data_ / "evaluation" / "exposure_log.jsonl");
  int shop_lines = 0;
  for (std::string line; std::getline(log, line);) {
    Json doc(line);
    ASSERT_TRUE(doc.ok()) << line;
    if (StringField(doc.root(), "scenario") == "shop") {
      ++shop_lines;
      const std::string user = StringField(doc.root(), "user_id");
      EXPECT_TRUE(user == "nobody" || user == "reader") << line;
    }
  }
  EXPECT_EQ(shop_lines, 3);  // the answers with items
}

TEST_F(Scenarios, LabelFilterKeepsMatchingItems) {
  CreateShop(R"(,"labels":["color:red","blue"],"labels_match":"any")");
  EXPECT_EQ(StringArray(c().Get("/api/recommend/nobody?scenario=shop&n=3").body),
            (std::vector<std::string>{"s1", "s2"}));
}

TEST_F(Scenarios, SessionPagesDoNotRepeatItems) {
  CreateShop();
  std::vector<std::string> shown;
  for (int page = 0; page < 3; ++page) {
    HttpResult r = c().Get("/api/recommend/nobody?scenario=shop&n=1&session=visit1");
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids = StringArray(r.body);
    ASSERT_EQ(ids.size(), 1u) << "page " << page << ": " << r.body;
    shown.push_back(ids[0]);
  }
  EXPECT_EQ(shown, (std::vector<std::string>{"s1", "s2", "s3"}));
  // Every item was shown: the next page is empty. Another session starts over.
  EXPECT_EQ(StringArray(c().Get("/api/recommend/nobody?scenario=shop&n=1&session=visit1").body),
            std::vector<std::string>{});
  EXPECT_EQ(StringArray(c().Get("/api/recommend/nobody?scenario=shop&n=1&session=visit2").body),
            std::vector<std::string>{"s1"});
}

TEST_F(Scenarios, ChangesNeedTheAdminCredentialWhenOneIsConfigured) {
  ASSERT_TRUE(server_.Stop(SIGTERM).Ok());
  ASSERT_EQ(server_.Start(data_, {.env = {{"RECO_SERVER_API_KEY", "s3cret"}}}), "");
  client_ = std::make_unique<HttpClient>(server_.port());
  const std::string body = R"({"name":"home","recall":[{"source":"latest"}]})";
  EXPECT_EQ(c().Post("/api/v1/scenarios", body).status, 401);
  EXPECT_EQ(c().Post("/api/v1/scenarios", body, {{"X-API-Key", "wrong"}}).status, 401);
  EXPECT_EQ(c().Post("/api/v1/scenarios", body, {{"X-API-Key", "s3cret"}}).status, 201);
  EXPECT_EQ(c().Delete("/api/v1/scenarios/home").status, 401);
  EXPECT_EQ(c().Get("/api/v1/scenarios/home").status, 401);  // reads take the API key
  EXPECT_EQ(c().Get("/api/v1/scenarios/home", {{"X-API-Key", "s3cret"}}).status, 200);
  EXPECT_EQ(c().Get("/api/recommend/nobody?scenario=home", {{"X-API-Key", "s3cret"}}).status, 200);
}

struct BadRequest {
  const char* method;
  const char* target;
  const char* body;
  int status;
  const char* field;  // "" when the answer names no field
};

TEST_F(Scenarios, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  CreateShop();
  const std::string long_exclude =
      "/api/recommend/nobody?scenario=shop&exclude=" + std::string(300, 'x');
  const std::string long_session =
      "/api/recommend/nobody?scenario=shop&session=" + std::string(300, 's');
  const BadRequest cases[] = {
      {"POST", "/api/v1/scenarios",
       R"({"name":"x","recall":[{"source":"popular"},{"source":"latest"},{"source":"foo"}]})", 400,
       "recall[2].source"},
      {"POST", "/api/v1/scenarios", R"({"name":"x","recall":[{"source":"retired_source"}]})", 400,
       "recall[0].source"},
      {"POST", "/api/v1/scenarios", R"({"recall":[{"source":"latest"}]})", 400, "name"},
      {"POST", "/api/v1/scenarios", R"({"name":"bad name","recall":[{"source":"latest"}]})", 400,
       "name"},
      {"POST", "/api/v1/scenarios", R"({"name":"x"})", 400, "recall"},
      {"POST", "/api/v1/scenarios", R"({"name":"x","template":"shop_feed"})", 400, "template"},
      {"POST", "/api/v1/scenarios", "{not json", 400, "body"},
      {"POST", "/api/v1/scenarios", R"({"name":"x","recall":[{"source":"latest","quota":0}]})", 400,
       "recall[0].quota"},
      {"POST", "/api/v1/scenarios",
       R"({"name":"x","recall":[{"source":"latest"}],"rerank":{"kind":"mmr","lambda":1.5}})", 400,
       "rerank.lambda"},
      {"POST", "/api/v1/scenarios",
       R"({"name":"x","recall":[{"source":"latest"}],"filters":{"labels_match":"most"}})", 400,
       "filters.labels_match"},
      {"PUT", "/api/v1/scenarios/shop", R"({"recall":[{"source":"itemcf"}],"ranker":"deep"})", 400,
       "ranker"},
      {"PUT", "/api/v1/scenarios/shop", R"({"name":"other","recall":[{"source":"latest"}]})", 400,
       "name"},
      {"GET", "/api/recommend/nobody?scenario=", "", 400, "scenario"},
      {"GET", "/api/recommend/nobody?scenario=nope", "", 404, ""},
      {"GET", "/api/recommend/nobody?scenario=shop&n=0", "", 400, "n"},
      {"GET", long_exclude.c_str(), "", 400, "exclude"},
      {"GET", long_session.c_str(), "", 400, "session"},
  };
  for (const BadRequest& bad : cases) {
    HttpResult r = c().Request(bad.method, bad.target, bad.body);
    EXPECT_EQ(r.status, bad.status) << bad.method << " " << bad.target << " " << r.body;
    if (bad.field[0] != '\0') {
      EXPECT_EQ(ErrorField(r.body), bad.field) << bad.target << " " << r.body;
    }
  }
  EXPECT_NE(ErrorMessage(c().Get("/api/recommend/nobody?scenario=nope").body).find("nope"),
            std::string::npos);
  // Nothing was written: only "shop" exists, unchanged.
  EXPECT_EQ(Names(c().Get("/api/v1/scenarios").body), std::vector<std::string>{"shop"});
  HttpResult shop = c().Get("/api/v1/scenarios/shop");
  EXPECT_EQ(StringField(Json(shop.body)["rerank"], "kind"), "diversity");
  EXPECT_EQ(StringField(Json(shop.body).root(), "ranker"), "none");
}

}  // namespace
}  // namespace reco::itest
