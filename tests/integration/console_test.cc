// The console's server side against a real `reco serve`: its files, the login that trades the
// admin token for an HttpOnly SameSite=Strict cookie, CSRF-checked actions, the read-only mode,
// and the routes its pages read (metrics history, data summary, preview, evaluation, model
// actions that change /health).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

constexpr std::string_view kToken = "console-t0ken";

// The sum of every series of counter `name` in a /metrics text.
double CounterSum(const std::string& metrics, std::string_view name) {
  double sum = 0;
  size_t pos = 0;
  while ((pos = metrics.find(std::string(name) + "{", pos)) != std::string::npos) {
    if (pos > 0 && metrics[pos - 1] != '\n') {
      ++pos;
      continue;
    }
    const size_t space = metrics.find(' ', metrics.find('}', pos));
    sum += std::stod(metrics.substr(space + 1, metrics.find('\n', space) - space - 1));
    pos = space;
  }
  return sum;
}

class ConsoleServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDataDir("console");
    data_ = dir_->path() / "data";
    ASSERT_EQ(PrepareDemoData(data_, {.users = 60, .items = 90, .seed = 3}), "");
    // A second version: production moves to it, the first becomes previous.
    const auto log = dir_->path() / "train2.log";
    ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log).Ok()) << ReadFile(log);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  std::string StartServer(ServerOptions options) {
    options.args.push_back("--console-history-interval");
    options.args.push_back("0.2");
    return server_.Start(data_, options);
  }

  static TempDataDir* dir_;
  static std::filesystem::path data_;
  TestServer server_;
};

TempDataDir* ConsoleServer::dir_ = nullptr;
std::filesystem::path ConsoleServer::data_;

TEST_F(ConsoleServer, ServesItsFilesWithAStrictContentSecurityPolicy) {
  ASSERT_EQ(StartServer({}), "");
  HttpClient client(server_.port());
  HttpResult page = client.Get("/console");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page.Header("x-frame-options"), "DENY");
  EXPECT_EQ(client.Get("/console/").status, 200);
  const std::string etag = page.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(client.Get("/console", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(client.Get("/console/assets/no-such-file.js").status, 404);
}

TEST_F(ConsoleServer, WithATokenTheConsoleNeedsALoginAndActionsNeedTheCsrfToken) {
  ASSERT_EQ(StartServer({.env = {{"RECO_SERVER_API_KEY", std::string(kToken)}}}), "");
  HttpClient client(server_.port());
  Json before(client.Get("/console/api/session").body);
  EXPECT_TRUE(before["auth_required"].get_bool().value_unsafe());
  EXPECT_FALSE(before["logged_in"].get_bool().value_unsafe());
  EXPECT_FALSE(before["can_act"].get_bool().value_unsafe());
  // Data routes answer 401 without the key or a session.
  EXPECT_EQ(client.Get("/api/v1/data/summary").status, 401);

  HttpResult wrong = client.Post("/console/login", R"({"token": "nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorField(wrong.body), "token");
  EXPECT_EQ(wrong.Header("set-cookie"), "");
  EXPECT_EQ(client.Post("/console/login", R"({"tokn": "x"})").status, 400);

  HttpResult ok = client.Post("/console/login", "{\"token\": \"" + std::string(kToken) + "\"}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string set_cookie = ok.Header("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set_cookie.rfind("reco_console_" + std::to_string(server_.port()) + "=", 0), 0u);
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  std::string_view csrf;
  ASSERT_EQ(Json(ok.body)["csrf_token"].get(csrf), simdjson::SUCCESS);
  const std::string csrf_token(csrf);
  ASSERT_EQ(csrf_token.size(), 64u);

  // Reads with the cookie alone.
  EXPECT_EQ(client.Get("/api/v1/data/summary", {{"Cookie", cookie}}).status, 200);
  Json session(client.Get("/console/api/session", {{"Cookie", cookie}}).body);
  EXPECT_TRUE(session["logged_in"].get_bool().value_unsafe());
  EXPECT_TRUE(session["can_act"].get_bool().value_unsafe());
  // An action without the CSRF header, with a wrong one, from another origin: refused.
  EXPECT_EQ(client.Post("/api/v1/jobs/cache_cleanup/run", "", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(client
                .Post("/api/v1/jobs/cache_cleanup/run", "",
                      {{"Cookie", cookie}, {"X-CSRF-Token", std::string(64, 'a')}})
                .status,
            403);
  EXPECT_EQ(client
                .Post("/api/v1/jobs/cache_cleanup/run", "",
                      {{"Cookie", cookie},
                       {"X-CSRF-Token", csrf_token},
                       {"Origin", "http://elsewhere.example"}})
                .status,
            403);
  HttpResult run = client.Post("/api/v1/jobs/cache_cleanup/run", "",
                               {{"Cookie", cookie}, {"X-CSRF-Token", csrf_token}});
  EXPECT_EQ(run.status, 202) << run.body;

  // Logout ends the session.
  EXPECT_EQ(client.Post("/console/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf_token}})
                .status,
            200);
  EXPECT_EQ(client.Get("/api/v1/data/summary", {{"Cookie", cookie}}).status, 401);
}

TEST_F(ConsoleServer, WithoutATokenTheConsoleIsReadOnlyUnlessStartedWithConsoleWrite) {
  {
    ASSERT_EQ(StartServer({}), "");
    HttpClient client(server_.port());
    HttpResult r = client.Get("/console/api/session");
    Json session(r.body);
    EXPECT_FALSE(session["auth_required"].get_bool().value_unsafe());
    EXPECT_FALSE(session["can_act"].get_bool().value_unsafe());
    EXPECT_NE(StringField(session.root(), "read_only_reason").find("--console-write"),
              std::string::npos);
    EXPECT_EQ(r.Header("set-cookie"), "");
    // A browser page of another site cannot use the loopback exemption of the admin routes.
    EXPECT_EQ(client.Post("/api/v1/jobs/cache_cleanup/run", "", {{"Origin", "http://evil.example"}})
                  .status,
              403);
    // Nor can the console's own page: without a session that may act it is read-only ...
    const std::string own_origin = "http://127.0.0.1:" + std::to_string(server_.port());
    EXPECT_EQ(client.Post("/api/v1/models/rollback", "{}", {{"Origin", own_origin}}).status, 403);
    EXPECT_EQ(client.Post("/api/v1/jobs/cache_cleanup/run", "", {{"Origin", own_origin}}).status,
              403);
    // ... while a command-line client on the loopback interface keeps its exemption.
    EXPECT_EQ(client.Post("/api/v1/jobs/cache_cleanup/run", "").status, 202);
    server_.Stop(SIGTERM);
  }
  ASSERT_EQ(StartServer({.args = {"--console-write"}}), "");
  HttpClient client(server_.port());
  HttpResult r = client.Get("/console/api/session");
  Json session(r.body);
  EXPECT_TRUE(session["can_act"].get_bool().value_unsafe());
  const std::string set_cookie = r.Header("set-cookie");
  ASSERT_NE(set_cookie, "");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  std::string_view csrf;
  ASSERT_EQ(session["csrf_token"].get(csrf), simdjson::SUCCESS);
  EXPECT_EQ(client.Post("/api/v1/jobs/cache_cleanup/run", "", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(client
                .Post("/api/v1/jobs/cache_cleanup/run", "",
                      {{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf)}})
                .status,
            202);
}

TEST_F(ConsoleServer, RollbackAndPromoteChangeWhatHealthReports) {
  ASSERT_EQ(StartServer({.env = {{"RECO_SERVER_API_KEY", std::string(kToken)}}}), "");
  HttpClient client(server_.port());
  const Headers key = {{"X-API-Key", std::string(kToken)}};
  Json registry(client.Get("/api/v1/models", key).body);
  std::string production, previous;
  simdjson::dom::array versions;
  ASSERT_EQ(registry["versions"].get(versions), simdjson::SUCCESS);
  for (simdjson::dom::element v : versions) {
    simdjson::dom::array aliases;
    ASSERT_EQ(v["aliases"].get(aliases), simdjson::SUCCESS);
    for (simdjson::dom::element alias : aliases) {
      if (alias.get_string().value_unsafe() == "production") production = StringField(v, "run_id");
      if (alias.get_string().value_unsafe() == "previous") previous = StringField(v, "run_id");
    }
  }
  ASSERT_FALSE(production.empty());
  ASSERT_FALSE(previous.empty());
  ASSERT_NE(production, previous);
  auto primary_run = [&] {
    return StringField(Json(client.Get("/health").body)["primary"], "run_id");
  };
  EXPECT_EQ(primary_run(), production);

  HttpResult back = client.Post("/api/v1/models/rollback", "{}", key);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(primary_run(), previous);

  HttpResult canary = client.Post(
      "/api/v1/models/promote",
      "{\"run_id\": \"" + production + "\", \"alias\": \"canary\", \"rollout\": 0.5}", key);
  ASSERT_EQ(canary.status, 200) << canary.body;
  EXPECT_EQ(StringField(Json(client.Get("/health").body)["canary"], "run_id"), production);
  EXPECT_EQ(client.Post("/api/v1/models/withdraw", R"({"alias": "canary"})", key).status, 200);
  EXPECT_TRUE(Json(client.Get("/health").body)["canary"].is_null());

  HttpResult back_again = client.Post(
      "/api/v1/models/promote", "{\"run_id\": \"" + production + "\", \"alias\": \"production\"}",
      key);
  ASSERT_EQ(back_again.status, 200) << back_again.body;
  EXPECT_EQ(primary_run(), production);

  // Bad requests name the field; no credential: 401.
  EXPECT_EQ(ErrorField(client.Post("/api/v1/models/promote", R"({"run_id": "x"})", key).body),
            "alias");
  EXPECT_EQ(ErrorField(client.Post("/api/v1/models/promote",
                                   R"({"run_id": "x", "alias": "previous"})", key)
                           .body),
            "alias");
  EXPECT_EQ(ErrorField(client.Post("/api/v1/models/withdraw", R"({"alias": "production"})", key)
                           .body),
            "alias");
  EXPECT_EQ(client.Post("/api/v1/models/rollback", "{}").status, 401);
}

// `reco models rollback` in another process (or a second replica) changes the registry file;
// the running server follows it within registry.follow_seconds, without a reload call.
TEST_F(ConsoleServer, TheServerFollowsARollbackMadeByAnotherProcess) {
  ASSERT_EQ(StartServer({.env = {{"RECO_REGISTRY_FOLLOW_SECONDS", "0.2"}}}), "");
  HttpClient client(server_.port());
  auto primary_run = [&] {
    return StringField(Json(client.Get("/health").body)["primary"], "run_id");
  };
  auto wait_for_primary = [&](const std::string& run_id) {
    for (int i = 0; i < 100 && primary_run() != run_id; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return primary_run();
  };
  const std::string production = primary_run();
  ASSERT_FALSE(production.empty());
  const auto log = dir_->path() / "follow.log";
  ASSERT_TRUE(RunReco({"models", "rollback", "--data-dir", data_.string(), "--json"}, log).Ok())
      << ReadFile(log);
  Json registry(client.Get("/api/v1/models").body);
  std::string now_production;
  simdjson::dom::array versions;
  ASSERT_EQ(registry["versions"].get(versions), simdjson::SUCCESS);
  for (simdjson::dom::element v : versions) {
    simdjson::dom::array aliases;
    ASSERT_EQ(v["aliases"].get(aliases), simdjson::SUCCESS);
    for (simdjson::dom::element alias : aliases) {
      if (alias.get_string().value_unsafe() == "production") now_production = StringField(v, "run_id");
    }
  }
  ASSERT_NE(now_production, production);
  EXPECT_EQ(wait_for_primary(now_production), now_production);
  EXPECT_NE(server_.log().find("event=registry_changed"), std::string::npos);
  // And back: the data dir is shared with the other tests.
  ASSERT_TRUE(RunReco({"models", "rollback", "--data-dir", data_.string(), production}, log).Ok())
      << ReadFile(log);
  EXPECT_EQ(wait_for_primary(production), production);
}

TEST_F(ConsoleServer, ThePagesDataRoutesAnswerFromTheRunningServer) {
  ASSERT_EQ(StartServer({}), "");
  HttpClient client(server_.port());
  // Traffic for the history: recommendations and one feedback row.
  for (int i = 0; i < 20; ++i) client.Get("/api/recommend/u" + std::to_string(i) + "?n=5");
  ASSERT_EQ(client.Post("/api/feedback", "[" + FeedbackJson("star", "u1", "i2") + "]").status, 200);

  // The history fills within a few sampling intervals (0.2 s); bounded wait.
  Json history("");
  for (int attempt = 0; attempt < 100; ++attempt) {
    history = Json(client.Get("/api/v1/metrics/history?minutes=5").body);
    double served = 0;
    simdjson::dom::array points;
    ASSERT_EQ(history["points"].get(points), simdjson::SUCCESS);
    for (simdjson::dom::element p : points) {
      served += p["recommendations_per_second"].get_double().value_unsafe() *
                p["seconds"].get_double().value_unsafe();
    }
    if (served >= 19.5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double served = 0, feedback = 0, requests = 0;
  bool latency = false;
  simdjson::dom::array points;
  ASSERT_EQ(history["points"].get(points), simdjson::SUCCESS);
  ASSERT_GT(points.size(), 0u);
  for (simdjson::dom::element p : points) {
    const double seconds = p["seconds"].get_double().value_unsafe();
    served += p["recommendations_per_second"].get_double().value_unsafe() * seconds;
    feedback += p["feedback_per_second"].get_double().value_unsafe() * seconds;
    requests += p["requests_per_second"].get_double().value_unsafe() * seconds;
    latency = latency || !p["recommend_p99_seconds"].is_null();
  }
  EXPECT_NEAR(served, 20, 0.5);
  EXPECT_NEAR(feedback, 1, 0.05);
  EXPECT_GE(requests, 21);
  EXPECT_TRUE(latency);
  EXPECT_EQ(ErrorField(client.Get("/api/v1/metrics/history?minutes=0").body), "minutes");

  Json summary(client.Get("/api/v1/data/summary?recent=3").body);
  EXPECT_EQ(summary["users"].get_int64().value_unsafe(), 60);
  EXPECT_EQ(summary["items"].get_int64().value_unsafe(), 90);
  simdjson::dom::array recent;
  ASSERT_EQ(summary["recent_feedback"].get(recent), simdjson::SUCCESS);
  ASSERT_EQ(recent.size(), 3u);
  // The row written last comes first.
  EXPECT_EQ(StringField(recent.at(0).value_unsafe(), "ItemId"), "i2");

  Json preview(client.Get("/api/v1/preview/u1?n=5").body);
  EXPECT_TRUE(preview["known_user"].get_bool().value_unsafe());
  simdjson::dom::array items;
  ASSERT_EQ(preview["items"].get(items), simdjson::SUCCESS);
  ASSERT_EQ(items.size(), 5u);
  for (simdjson::dom::element item : items) {
    const std::string source = StringField(item, "source");
    EXPECT_TRUE(source == "precomputed" || source == "itemcf" || source == "category_popular" ||
                source == "popular" || source == "latest")
        << source;
    EXPECT_EQ(StringField(item["item"], "ItemId"), StringField(item, "id"));
  }
  simdjson::dom::array history_rows;
  ASSERT_EQ(preview["history"].get(history_rows), simdjson::SUCCESS);
  EXPECT_GE(history_rows.size(), 1u);
  // A user nobody knows: the fallback, named.
  Json cold(client.Get("/api/v1/preview/nobody-at-all?n=3").body);
  EXPECT_FALSE(cold["known_user"].get_bool().value_unsafe());
  EXPECT_EQ(StringField(cold["items"].at(0), "source"), "popular");
  // The preview is not traffic: the served and degraded counters do not move.
  const std::string before = client.Get("/metrics").body;
  const double served_before = CounterSum(before, "recommendations_served_total");
  ASSERT_GE(served_before, 20);
  ASSERT_EQ(client.Get("/api/v1/preview/nobody-else?n=5").status, 200);
  const std::string after = client.Get("/metrics").body;
  EXPECT_EQ(CounterSum(after, "recommendations_served_total"), served_before);
  EXPECT_EQ(CounterSum(after, "recommendation_degraded_total"),
            CounterSum(before, "recommendation_degraded_total"));

  Json evaluation(client.Get("/api/v1/evaluation").body);
  EXPECT_TRUE(evaluation.ok());
  EXPECT_TRUE(evaluation["reconciliations"].is_array());
  EXPECT_EQ(client.Get("/api/v1/evaluation/reconciliation/2026-01-01").status, 404);
  EXPECT_EQ(ErrorField(client.Get("/api/v1/evaluation/reconciliation/yesterday").body), "date");
}

}  // namespace
}  // namespace reco::itest
