// Tenants end to end on a real `reco serve` (docs/tenants.md): the isolation table over every
// route of the server's route table, keys bound to their tenant, the tenant administration over
// REST and the CLI, per-tenant configuration, quotas, and deletion that touches nothing else.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAdminKey = "admin-key-for-tenant-tests";

// The last non-empty line of `text` (the key `reco tenant create` prints last).
std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// Runs `reco ARGS...` expecting success; returns its output.
std::string RunOk(const std::vector<std::string>& args, const fs::path& log) {
  fs::remove(log);
  ExitStatus st = RunReco(args, log);
  std::string out = ReadFile(log);
  EXPECT_TRUE(st.Ok()) << st.ToString() << "\n" << out;
  return out;
}

Headers Key(std::string_view key) { return {{"X-API-Key", std::string(key)}}; }

std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // SQLite's journal files come and go with the connection; everything else must stay.
    if (name.ends_with("-wal") || name.ends_with("-shm")) continue;
    out.insert(fs::relative(it->path(), dir).string());
  }
  return out;
}

// One tenant's state as its administrator sees it: what no request of another tenant may change.
struct TenantSnapshot {
  std::map<std::string, std::string> bodies;  // route -> body
  std::set<std::string> model_files;

  bool operator==(const TenantSnapshot&) const = default;
};

// The isolation table: one row per route of the route table. `path` is the route with its
// parameters filled in, naming the other tenant's objects where the route names one; "{A_RUN}"
// and "{A_PIPE}" stand for tenant A's model run and pipeline run.
struct Row {
  std::string method;
  std::string pattern;
  std::string path;
  std::string body;
  bool default_only = false;  // tenant administration and the console: no tenant has them
};

std::string FeedbackBody(std::string_view user, std::string_view item) {
  return "[" + FeedbackJson("like", user, item) + "]";
}

std::vector<Row> IsolationTable() {
  const std::string fb = FeedbackBody("a_secret_user", "a_secret_item");
  const std::string u = "/api/user/a_secret_user";
  const std::string i = "/api/item/a_secret_item";
  const std::string pipe = "/api/v1/pipeline/runs/{A_PIPE}";
  return {
      {"POST", "/api/feedback", "/api/feedback", fb},
      {"PUT", "/api/feedback", "/api/feedback", fb},
      {"GET", "/api/feedback", "/api/feedback"},
      {"GET", "/api/feedback/{feedback_type}", "/api/feedback/like"},
      {"GET", "/api/feedback/{feedback_type}/{user_id}/{item_id}",
       "/api/feedback/like/a_secret_user/a_secret_item"},
      {"DELETE", "/api/feedback/{feedback_type}/{user_id}/{item_id}",
       "/api/feedback/like/a_secret_user/a_secret_item"},
      {"GET", "/api/feedback/{user_id}/{item_id}", "/api/feedback/a_secret_user/a_secret_item"},
      {"DELETE", "/api/feedback/{user_id}/{item_id}", "/api/feedback/a_secret_user/a_secret_item"},
      {"GET", "/api/health/live", "/api/health/live"},
      {"GET", "/api/health/ready", "/api/health/ready"},
      {"POST", "/api/item", "/api/item", R"({"ItemId":"b_new_item","Categories":["b_cat"]})"},
      {"GET", "/api/item/{item_id}", i},
      {"PATCH", "/api/item/{item_id}", i, R"({"IsHidden":true})"},
      {"DELETE", "/api/item/{item_id}", i},
      {"PUT", "/api/item/{item_id}/category/{category}", i + "/category/b_cat"},
      {"DELETE", "/api/item/{item_id}/category/{category}", i + "/category/a_secret_cat"},
      {"GET", "/api/item/{item_id}/feedback", i + "/feedback"},
      {"GET", "/api/item/{item_id}/feedback/{feedback_type}", i + "/feedback/like"},
      {"GET", "/api/item/{item_id}/neighbors", i + "/neighbors"},
      {"GET", "/api/item/{item_id}/neighbors/{category}", i + "/neighbors/a_secret_cat"},
      {"PUT", "/api/item/{item_id}/vector", i + "/vector", R"({"Vector":[0.5,0.25]})"},
      {"PUT", "/api/items/vectors", "/api/items/vectors",
       R"([{"ItemId":"a_secret_item","Vector":[0.5,0.25]}])"},
      {"POST", "/api/items", "/api/items", R"([{"ItemId":"b_new_item2"}])"},
      {"GET", "/api/items", "/api/items?n=1000"},
      {"GET", "/api/latest", "/api/latest?n=1000"},
      {"GET", "/api/latest/{category}", "/api/latest/a_secret_cat"},
      {"GET", "/api/popular", "/api/popular?n=1000"},
      {"GET", "/api/popular/{category}", "/api/popular/a_secret_cat"},
      {"GET", "/api/recommend/{user_id}", "/api/recommend/a_secret_user?n=100"},
      {"GET", "/api/recommend/{user_id}/{category}", "/api/recommend/a_secret_user/a_secret_cat"},
      {"POST", "/api/session/recommend", "/api/session/recommend", fb},
      {"POST", "/api/session/recommend/{category}", "/api/session/recommend/a_secret_cat", fb},
      {"POST", "/api/user", "/api/user", R"({"UserId":"b_new_user"})"},
      {"GET", "/api/user/{user_id}", u},
      {"PATCH", "/api/user/{user_id}", u, R"({"Comment":"changed by b"})"},
      {"DELETE", "/api/user/{user_id}", u},
      {"GET", "/api/user/{user_id}/feedback", u + "/feedback"},
      {"GET", "/api/user/{user_id}/feedback/{feedback_type}", u + "/feedback/like"},
      {"GET", "/api/user/{user_id}/neighbors", u + "/neighbors"},
      {"POST", "/api/users", "/api/users", R"([{"UserId":"b_new_user2"}])"},
      {"GET", "/api/users", "/api/users?n=1000"},
      {"GET", "/api/v1/data/summary", "/api/v1/data/summary?recent=1000"},
      {"GET", "/api/v1/dataset/export", "/api/v1/dataset/export?n=10000"},
      {"POST", "/api/v1/dataset/import", "/api/v1/dataset/import",
       R"({"User": {"UserId": "b_imported_user"}})"},
      {"GET", "/api/v1/analytics/summary",
       "/api/v1/analytics/summary?group_by=scenario,model_version,variant,experiment,day"},
      {"GET", "/api/v1/analytics/top-items", "/api/v1/analytics/top-items?n=1000"},
      {"GET", "/api/v1/analytics/coverage", "/api/v1/analytics/coverage"},
      {"GET", "/api/v1/analytics/realtime", "/api/v1/analytics/realtime?by=item&n=10000"},
      {"GET", "/api/non-personalized/{name}", "/api/non-personalized/hot?n=1000"},
      {"GET", "/api/v1/experiments", "/api/v1/experiments"},
      {"POST", "/api/v1/experiments", "/api/v1/experiments", R"({"id":"b_exp"})"},
      {"GET", "/api/v1/experiments/{id}", "/api/v1/experiments/a_exp"},
      {"PUT", "/api/v1/experiments/{id}", "/api/v1/experiments/a_exp", R"({"name":"b"})"},
      {"DELETE", "/api/v1/experiments/{id}", "/api/v1/experiments/a_exp"},
      {"POST", "/api/v1/experiments/{id}/start", "/api/v1/experiments/a_exp/start"},
      {"POST", "/api/v1/experiments/{id}/stop", "/api/v1/experiments/a_exp/stop"},
      {"GET", "/api/v1/experiments/{id}/results", "/api/v1/experiments/a_exp/results"},
      {"GET", "/api/v1/experiments/assignment/{user_id}",
       "/api/v1/experiments/assignment/a_secret_user"},
      {"GET", "/api/v1/scenarios", "/api/v1/scenarios"},
      {"POST", "/api/v1/scenarios", "/api/v1/scenarios", R"({"name":"b_scn"})"},
      {"GET", "/api/v1/scenarios/{name}", "/api/v1/scenarios/a_scn"},
      {"PUT", "/api/v1/scenarios/{name}", "/api/v1/scenarios/a_scn", R"({"recall":[]})"},
      {"DELETE", "/api/v1/scenarios/{name}", "/api/v1/scenarios/a_scn"},
      {"GET", "/api/v1/templates", "/api/v1/templates"},
      {"GET", "/api/v1/templates/{name}", "/api/v1/templates/content_detail"},
      {"GET", "/api/v1/evaluation", "/api/v1/evaluation"},
      {"GET", "/api/v1/evaluation/reconciliation/{date}",
       "/api/v1/evaluation/reconciliation/2026-12-03"},
      {"GET", "/api/v1/jobs", "/api/v1/jobs"},
      {"GET", "/api/v1/jobs/runs", "/api/v1/jobs/runs"},
      {"GET", "/api/v1/jobs/runs/{id}", "/api/v1/jobs/runs/1"},
      {"POST", "/api/v1/jobs/{name}/run", "/api/v1/jobs/user_profiles/run"},
      {"GET", "/api/v1/metrics/history", "/api/v1/metrics/history"},
      {"GET", "/api/v1/models", "/api/v1/models"},
      {"POST", "/api/v1/models/promote", "/api/v1/models/promote",
       R"({"run_id":"{A_RUN}","alias":"production"})"},
      {"POST", "/api/v1/models/rollback", "/api/v1/models/rollback", R"({"run_id":"{A_RUN}"})"},
      {"POST", "/api/v1/models/withdraw", "/api/v1/models/withdraw", R"({"alias":"canary"})"},
      {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json"},
      {"POST", "/api/v1/pipeline/runs", "/api/v1/pipeline/runs", R"({"resume":"{A_PIPE}"})"},
      {"GET", "/api/v1/pipeline/runs", "/api/v1/pipeline/runs"},
      {"GET", "/api/v1/pipeline/runs/{id}", pipe},
      {"GET", "/api/v1/pipeline/runs/{id}/tasks/{task}/log", pipe + "/tasks/extract/log"},
      {"GET", "/api/v1/preview/{user_id}", "/api/v1/preview/a_secret_user"},
      {"GET", "/api/v1/runs", "/api/v1/runs"},
      {"GET", "/api/v1/runs/{run_id}", "/api/v1/runs/{A_RUN}"},
      {"GET", "/api/v1/tenants", "/api/v1/tenants", "", true},
      {"POST", "/api/v1/tenants", "/api/v1/tenants", R"({"name":"made_by_b"})", true},
      {"GET", "/api/v1/tenants/{name}", "/api/v1/tenants/a", "", true},
      {"DELETE", "/api/v1/tenants/{name}", "/api/v1/tenants/a", "", true},
      {"POST", "/api/v1/tenants/{name}/keys", "/api/v1/tenants/a/keys", R"({"revoke_others":true})",
       true},
      {"DELETE", "/api/v1/tenants/{name}/keys/{key_id}", "/api/v1/tenants/a/keys/{A_KEY_ID}", "",
       true},
      {"PUT", "/api/v1/tenants/{name}/quotas", "/api/v1/tenants/a/quotas",
       R"({"requests_per_second":0.001})", true},
      {"GET", "/console", "/console", "", true},
      {"GET", "/console/api/session", "/console/api/session", "", true},
      {"GET", "/console/assets/{name}", "/console/assets/app.js", "", true},
      {"POST", "/console/login", "/console/login", R"({"token":"guess"})", true},
      {"POST", "/console/logout", "/console/logout", "", true},
      {"GET", "/health", "/health"},
      {"GET", "/metrics", "/metrics"},
      {"POST", "/models/reload", "/models/reload", R"({"run_id":"{A_RUN}"})"},
      {"GET", "/recommend/detail/{item_id}",
       "/recommend/detail/a_secret_item?user_id=a_secret_user"},
      {"GET", "/similar/{item_id}", "/similar/a_secret_item"},
  };
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Tenants `a` and `b` beside a default tenant, each with data and a trained model, served by one
// `reco serve` with an admin key. Built once for the suite (demo data and training take a while).
class TenantTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDataDir("tenants");
    root_ = dir_->path() / "data";
    const fs::path log = dir_->path() / "setup.log";
    ASSERT_EQ(PrepareDemoData(root_, {.users = 40, .items = 60, .seed = 3}), "");
    key_a_ = LastLine(RunOk({"tenant", "create", "a", "--data-dir", root_.string()}, log));
    key_b_ = LastLine(RunOk(
        {"tenant", "create", "b", "--data-dir", root_.string(), "--max-items", "100000"}, log));
    ASSERT_TRUE(key_a_.starts_with("rt_")) << key_a_;
    ASSERT_TRUE(key_b_.starts_with("rt_")) << key_b_;
    // a: through --tenant; b: through its directory, a complete data directory of its own.
    const fs::path src = dir_->path() / "a_src";
    RunOk({"demo-data", "--out", src.string(), "--users", "30", "--items", "50", "--seed", "4"},
          log);
    RunOk({"import", "--data-dir", root_.string(), "--tenant", "a", src.string()}, log);
    RunOk({"train", "--data-dir", root_.string(), "--tenant", "a"}, log);
    RunReco({"pipeline", "run", "--data-dir", root_.string(), "--tenant", "a", "--only", "extract",
             "--quiet"},
            log);
    ASSERT_EQ(PrepareDemoData(root_ / "tenants" / "b", {.users = 30, .items = 50, .seed = 5}), "");
    // b's own configuration: unknown items on feedback are refused there, not elsewhere.
    std::ofstream(root_ / "tenants" / "b" / "reco.toml")
        << "[database]\nauto_insert_item = false\n";
    server_ = new TestServer();
    ASSERT_EQ(server_->Start(root_, {.env = {{"RECO_SERVER_API_KEY", std::string(kAdminKey)},
                                             {"RECO_WORKER_IN_SERVE", "false"},
                                             {"RECO_REALTIME_LEADERBOARDS", "hot=1h"}}}),
              "");
  }

  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }

  HttpClient& c() {
    if (!client_) client_ = std::make_unique<HttpClient>(server_->port());
    return *client_;
  }
  HttpResult Admin(std::string_view method, const std::string& target, std::string_view body = {}) {
    return c().Request(method, target, body, Key(kAdminKey));
  }

  // Objects only tenant `prefix` holds; their "hidden" values are never named by a request of
  // another tenant, so that they can appear in its answers only by a leak.
  void AddSecrets(const std::string& tenant_path, const std::string& p) {
    auto ok = [](const HttpResult& r) { EXPECT_EQ(r.status, 200) << r.body; };
    ok(Admin(
        "POST", tenant_path + "/api/user",
        R"({"UserId":")" + p + R"(_secret_user","Labels":{"k":")" + p + R"(_hidden_label"}})"));
    ok(Admin("POST", tenant_path + "/api/user", R"({"UserId":")" + p + R"(_hidden_user2"})"));
    ok(Admin("POST", tenant_path + "/api/item",
             R"({"ItemId":")" + p + R"(_secret_item","Categories":[")" + p +
                 R"(_secret_cat"],"Labels":{"k":")" + p + R"(_hidden_ilabel"}})"));
    ok(Admin("POST", tenant_path + "/api/item",
             R"({"ItemId":")" + p + R"(_hidden_item2","Categories":[")" + p + R"(_secret_cat"]})"));
    ok(Admin("POST", tenant_path + "/api/feedback",
             "[" + FeedbackJson("like", p + "_secret_user", p + "_secret_item") + "," +
                 FeedbackJson("like", p + "_hidden_user2", p + "_hidden_item2") + "]"));
  }

  TenantSnapshot Snapshot(const std::string& tenant_path, const fs::path& dir) {
    TenantSnapshot s;
    for (std::string route :
         {"/api/v1/data/summary?recent=1000", "/api/user/a_secret_user", "/api/user/d_secret_user",
          "/api/item/a_secret_item", "/api/item/d_secret_item", "/api/users?n=1000",
          "/api/items?n=1000", "/api/feedback?n=1000", "/api/v1/models", "/api/v1/runs",
          "/api/v1/jobs/runs", "/api/v1/pipeline/runs", "/api/v1/tenants/a"}) {
      HttpResult r = Admin("GET", tenant_path + route);
      s.bodies[route] = std::to_string(r.status) + " " + r.body;
    }
    s.model_files = FilesUnder(dir / "models");
    return s;
  }

  static TempDataDir* dir_;
  static fs::path root_;
  static std::string key_a_, key_b_;
  static TestServer* server_;
  std::unique_ptr<HttpClient> client_;
};

TempDataDir* TenantTest::dir_ = nullptr;
fs::path TenantTest::root_;
std::string TenantTest::key_a_;
std::string TenantTest::key_b_;
TestServer* TenantTest::server_ = nullptr;

std::string FirstRunId(const HttpResult& r, std::string_view array, std::string_view key) {
  Json doc(r.body);
  simdjson::dom::array runs;
  if (doc[array].get_array().get(runs) != simdjson::SUCCESS || runs.size() == 0) return "none";
  return StringField(runs.at(0).value(), key);
}

TEST_F(TenantTest, TenantBCanNeverSeeOrChangeTenantAOrDefaultOnAnyRoute) {
  AddSecrets("/t/a", "a");
  AddSecrets("", "d");
  const std::string a_run = FirstRunId(Admin("GET", "/t/a/api/v1/models"), "versions", "run_id");
  const std::string d_run = FirstRunId(Admin("GET", "/api/v1/models"), "versions", "run_id");
  const std::string a_pipe =
      FirstRunId(Admin("GET", "/t/a/api/v1/pipeline/runs"), "runs", "run_id");
  ASSERT_NE(a_run, "none");
  ASSERT_NE(a_run, d_run);
  const std::string a_key_id =
      StringField(Json(Admin("GET", "/api/v1/tenants/a").body)["keys"].at(0), "id");
  ASSERT_FALSE(a_key_id.empty());
  const TenantSnapshot a_before = Snapshot("/t/a", root_ / "tenants" / "a");
  const TenantSnapshot d_before = Snapshot("", root_);
  const std::set<std::string> a_files_before = FilesUnder(root_ / "tenants" / "a");

  // The route table as the server has it: a route without a row fails here.
  HttpResult openapi = c().Get("/api/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  Json doc(openapi.body);
  simdjson::dom::object paths;
  ASSERT_EQ(doc["paths"].get_object().get(paths), simdjson::SUCCESS);
  std::map<std::string, Row> table;
  for (Row& row : IsolationTable()) table[row.method + " " + row.pattern] = row;
  std::vector<Row> rows;
  for (auto [pattern, methods] : paths) {
    simdjson::dom::object by_method;
    ASSERT_EQ(methods.get_object().get(by_method), simdjson::SUCCESS);
    for (auto [method, unused] : by_method) {
      std::string m(method);
      for (char& ch : m) ch = static_cast<char>(std::toupper(ch));
      auto it = table.find(m + " " + std::string(pattern));
      if (it == table.end()) {
        ADD_FAILURE() << m << " " << pattern << " has no row in the tenant isolation table";
        continue;
      }
      rows.push_back(it->second);
    }
  }
  ASSERT_EQ(rows.size(), table.size()) << "rows of routes the server no longer has";
  ASSERT_GE(rows.size(), 70u);

  const Headers b_key = Key(key_b_);
  Headers b_key_on_a = b_key;
  b_key_on_a.emplace_back("X-Tenant-Id", "a");
  for (const Row& row : rows) {
    const std::string path = Replace(
        Replace(Replace(row.path, "{A_RUN}", a_run), "{A_PIPE}", a_pipe), "{A_KEY_ID}", a_key_id);
    const std::string body = Replace(Replace(row.body, "{A_RUN}", a_run), "{A_PIPE}", a_pipe);
    const std::string what = row.method + " " + row.pattern;
    std::vector<std::string> secrets = {"a_hidden", "d_hidden"};
    if (path.find(a_run) == std::string::npos && body.find(a_run) == std::string::npos) {
      secrets.push_back(a_run);
      secrets.push_back(d_run);
    }
    auto no_secret = [&](const HttpResult& r, std::string_view how) {
      for (const std::string& secret : secrets) {
        EXPECT_EQ(r.body.find(secret), std::string::npos)
            << what << " " << how << " answered another tenant's " << secret << ": " << r.body;
      }
    };
    // b's key on a's paths, on a through the header, and on default: refused.
    HttpResult on_a = c().Request(row.method, "/t/a" + path, body, b_key);
    EXPECT_EQ(on_a.status, row.default_only ? 404 : 403) << what << " /t/a: " << on_a.body;
    no_secret(on_a, "on /t/a");
    HttpResult by_header = c().Request(row.method, path, body, b_key_on_a);
    EXPECT_EQ(by_header.status, row.default_only ? 404 : 403)
        << what << " header: " << by_header.body;
    no_secret(by_header, "with X-Tenant-Id: a");
    HttpResult on_default = c().Request(row.method, path, body, b_key);
    EXPECT_EQ(on_default.status, 403) << what << " on default: " << on_default.body;
    no_secret(on_default, "on default");
    // b's key on b's own paths: b's answer, holding nothing of a or default.
    HttpResult own = c().Request(row.method, "/t/b" + path, body, b_key);
    if (row.default_only) {
      EXPECT_EQ(own.status, 404) << what << ": " << own.body;
    } else {
      EXPECT_TRUE(own.status < 500 || own.status == 503) << what << ": " << own.status << own.body;
    }
    no_secret(own, "on /t/b");
  }

  EXPECT_TRUE(Snapshot("/t/a", root_ / "tenants" / "a") == a_before) << "tenant a changed";
  EXPECT_TRUE(Snapshot("", root_) == d_before) << "tenant default changed";
  EXPECT_EQ(FilesUnder(root_ / "tenants" / "a"), a_files_before);
  // b's requests were b's: its own metrics count them, a's metrics are not b's to read.
  HttpResult b_metrics = c().Get("/t/b/metrics", b_key);
  ASSERT_EQ(b_metrics.status, 200);
  EXPECT_NE(b_metrics.body.find("http_requests_total{route=\"/api/users\""), std::string::npos);
  EXPECT_EQ(b_metrics.body.find("tenant"), std::string::npos) << "no tenant labels";
  EXPECT_EQ(c().Get("/t/a/metrics", b_key).status, 403);
  HttpResult a_metrics = c().Get("/t/a/metrics", Key(key_a_));
  ASSERT_EQ(a_metrics.status, 200);
  EXPECT_EQ(a_metrics.body.find("route=\"/api/v1/jobs/{name}/run\",method=\"POST\",status=\"202\""),
            std::string::npos)
      << "b's job triggers are not counted in a's metrics";
}

// Lists served on one tenant count in its analytics only (docs/analytics.md).
TEST_F(TenantTest, AnalyticsCountTheTenantsOwnListsOnly) {
  auto exposures = [&](const std::string& tenant_path, const std::string& key) {
    HttpResult r = c().Get(tenant_path + "/api/v1/analytics/summary", Key(key));
    EXPECT_EQ(r.status, 200) << r.body;
    int64_t n = -1;
    if (Json(r.body)["totals"]["exposures"].get_int64().get(n) != simdjson::SUCCESS)
      return int64_t{-1};
    return n;
  };
  const int64_t a_before = exposures("/t/a", key_a_);
  const int64_t b_before = exposures("/t/b", key_b_);
  const int64_t d_before = exposures("", std::string(kAdminKey));
  ASSERT_GE(a_before, 0);
  ASSERT_EQ(c().Get("/t/a/api/recommend/a_analytics_user?n=3", Key(key_a_)).status, 200);
  ASSERT_EQ(c().Get("/t/a/api/recommend/a_analytics_user?n=3", Key(key_a_)).status, 200);
  EXPECT_EQ(exposures("/t/a", key_a_), a_before + 2);
  EXPECT_EQ(exposures("/t/b", key_b_), b_before) << "a's lists are not b's";
  EXPECT_EQ(exposures("", std::string(kAdminKey)), d_before) << "nor default's";
  EXPECT_EQ(c().Get("/t/a/api/v1/analytics/summary", Key(key_b_)).status, 403);
}

TEST_F(TenantTest, KeysAreBoundToTheirTenantAndErrorsNameTheField) {
  EXPECT_EQ(c().Get("/t/a/api/users", Key(key_a_)).status, 200);
  EXPECT_EQ(c().Get("/api/users", {{"X-API-Key", key_a_}, {"X-Tenant-Id", "a"}}).status, 200);
  EXPECT_EQ(c().Get("/t/a/api/users", {{"Authorization", "Bearer " + key_a_}}).status, 200);
  EXPECT_EQ(c().Get("/t/a/api/users", Key(kAdminKey)).status, 200) << "the admin acts on all";
  HttpResult none = c().Get("/t/a/api/users");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorField(none.body), "X-API-Key");
  EXPECT_EQ(c().Get("/t/a/api/users", Key("rt_not_a_key")).status, 401);
  HttpResult unknown = c().Get("/t/nosuch/api/users", Key(kAdminKey));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(ErrorMessage(unknown.body).find("nosuch"), std::string::npos) << unknown.body;
  HttpResult bad = c().Get("/t/Bad!/api/users", Key(kAdminKey));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorField(bad.body), "tenant");
  HttpResult conflict = c().Get("/t/a/api/users", {{"X-API-Key", key_a_}, {"X-Tenant-Id", "b"}});
  EXPECT_EQ(conflict.status, 400);
  EXPECT_EQ(ErrorField(conflict.body), "X-Tenant-Id");
  HttpResult admin_route = c().Get("/api/v1/tenants", Key(key_a_));
  EXPECT_EQ(admin_route.status, 403) << "a tenant key on tenant administration";
  EXPECT_EQ(c().Get("/api/v1/tenants", Key(kAdminKey)).status, 200);
  HttpResult bad_name = Admin("POST", "/api/v1/tenants", R"({"name":"No Way"})");
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(ErrorField(bad_name.body), "name");
  EXPECT_EQ(ErrorField(Admin("POST", "/api/v1/tenants", R"({"name":"default"})").body), "name");
  HttpResult bad_quota = Admin("POST", "/api/v1/tenants", R"({"name":"q1","max_users":-1})");
  EXPECT_EQ(bad_quota.status, 400);
  EXPECT_EQ(ErrorField(bad_quota.body), "max_users");
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "q1")) << "nothing half-written";
}

TEST_F(TenantTest, PerTenantConfigurationAndModelsAreTheTenantsOwn) {
  // b's reco.toml refuses unknown items on feedback; default still inserts them.
  HttpResult b = c().Post("/t/b/api/feedback", FeedbackBody("b_u", "b_unknown_item"), Key(key_b_));
  EXPECT_EQ(b.status, 400) << b.body;
  HttpResult d = Admin("POST", "/api/feedback", FeedbackBody("d_u", "d_unknown_item"));
  EXPECT_EQ(d.status, 200) << d.body;
  // Each tenant reloads its own models; a's reload leaves b's version alone.
  const std::string b_version =
      StringField(Json(c().Get("/t/b/health", Key(key_b_)).body).root(), "model_version");
  ASSERT_FALSE(b_version.empty());
  HttpResult reload = c().Post("/t/a/models/reload", "", Key(key_a_));
  EXPECT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(StringField(Json(c().Get("/t/b/health", Key(key_b_)).body).root(), "model_version"),
            b_version);
}

TEST_F(TenantTest, AnExperimentIsServedOnlyOnItsTenantsRecommendations) {
  // A model-version experiment of tenant a over every user (its version does not exist: a's
  // users are served the primary, degraded, but the experiment is named).
  const std::string body =
      R"({"id":"serve_exp","name":"n","layer":"serve","traffic":1,"variants":[)"
      R"({"name":"A","weight":1,"target_kind":"model_version","target":"no-such-run"},)"
      R"({"name":"B","weight":1,"target_kind":"model_version","target":"no-such-run"}],)"
      R"("click_types":["click"]})";
  ASSERT_EQ(Admin("POST", "/t/a/api/v1/experiments", body).status, 201);
  ASSERT_EQ(Admin("POST", "/t/a/api/v1/experiments/serve_exp/start").status, 200);
  for (const char* user : {"u1", "u2", "u3"}) {
    HttpResult a = c().Get(std::string("/t/a/api/recommend/") + user, Key(key_a_));
    EXPECT_TRUE(a.Header("x-reco-experiments").starts_with("serve_exp="))
        << a.Header("x-reco-experiments");
    EXPECT_NE(a.Header("x-reco-degraded").find("experiment_model_version_unavailable"),
              std::string::npos);
    for (const std::string& other :
         {std::string("/api/recommend/"), std::string("/t/b/api/recommend/")}) {
      HttpResult r = Admin("GET", other + user);
      EXPECT_EQ(r.status, 200) << other << " " << r.body;
      EXPECT_EQ(r.Header("x-reco-experiments"), "") << other;
    }
  }
  EXPECT_EQ(Admin("POST", "/t/a/api/v1/experiments/serve_exp/stop").status, 200);
  EXPECT_EQ(c().Get("/t/a/api/recommend/u1", Key(key_a_)).Header("x-reco-experiments"), "");
}

TEST_F(TenantTest, QuotasRefuseUsersItemsAndRequestsBeyondThem) {
  HttpResult created =
      Admin("POST", "/api/v1/tenants", R"({"name":"small","max_users":2,"max_items":1})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string key = StringField(Json(created.body).root(), "key");
  HttpResult three = c().Post("/t/small/api/users",
                              R"([{"UserId":"u1"},{"UserId":"u2"},{"UserId":"u3"}])", Key(key));
  EXPECT_EQ(three.status, 403) << three.body;
  EXPECT_EQ(ErrorField(three.body), "max_users");
  EXPECT_EQ(c().Post("/t/small/api/users", R"([{"UserId":"u1"},{"UserId":"u2"}])", Key(key)).status,
            200);
  HttpResult more = c().Post("/t/small/api/user", R"({"UserId":"u3"})", Key(key));
  EXPECT_EQ(more.status, 403);
  EXPECT_EQ(ErrorField(more.body), "max_users");
  EXPECT_EQ(c().Post("/t/small/api/item", R"({"ItemId":"i1"})", Key(key)).status, 200);
  EXPECT_EQ(ErrorField(c().Post("/t/small/api/item", R"({"ItemId":"i2"})", Key(key)).body),
            "max_items");
  // At the quota, feedback no longer inserts unknown users.
  EXPECT_EQ(c().Post("/t/small/api/feedback", FeedbackBody("u1", "i1"), Key(key)).status, 200);
  EXPECT_EQ(c().Post("/t/small/api/feedback", FeedbackBody("u9", "i1"), Key(key)).status, 400);
  HttpResult summary = c().Get("/t/small/api/v1/data/summary", Key(key));
  EXPECT_NE(summary.body.find("\"users\":2"), std::string::npos) << summary.body;

  // Requests per second: a bucket of one token refilled every 1000 s.
  ASSERT_EQ(Admin("PUT", "/api/v1/tenants/small/quotas", R"({"requests_per_second":0.001})").status,
            200);
  EXPECT_EQ(c().Get("/t/small/api/users", Key(key)).status, 200);
  HttpResult limited = c().Get("/t/small/api/users", Key(key));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_GT(std::stoi(limited.Header("retry-after")), 0);
  EXPECT_EQ(c().Get("/t/a/api/users", Key(key_a_)).status, 200) << "other tenants are not limited";
}

TEST_F(TenantTest, DeletingATenantRemovesItsDataAndNothingElse) {
  HttpResult created = Admin("POST", "/api/v1/tenants", R"({"name":"gone"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string key = StringField(Json(created.body).root(), "key");
  ASSERT_EQ(c().Post("/t/gone/api/user", R"({"UserId":"g1"})", Key(key)).status, 200);
  HttpResult second = Admin("POST", "/api/v1/tenants/gone/keys");
  ASSERT_EQ(second.status, 201);
  const std::string key2 = StringField(Json(second.body).root(), "key");
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key2)).status, 200) << "both keys act";
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key)).status, 200);
  // Rotation: a third key, the two earlier ones revoked at once; then one key revoked by id.
  HttpResult rotated = Admin("POST", "/api/v1/tenants/gone/keys", R"({"revoke_others":true})");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  const std::string key3 = StringField(Json(rotated.body).root(), "key");
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key)).status, 401);
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key2)).status, 401);
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key3)).status, 200);
  EXPECT_EQ(ErrorField(Admin("POST", "/api/v1/tenants/gone/keys", R"({"revoke":1})").body),
            "revoke");
  HttpResult revoked = Admin(
      "DELETE", "/api/v1/tenants/gone/keys/" + StringField(Json(rotated.body).root(), "key_id"));
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(c().Get("/t/gone/api/user/g1", Key(key3)).status, 401);
  EXPECT_EQ(Admin("DELETE", "/api/v1/tenants/gone/keys/k00000000").status, 404);
  ASSERT_TRUE(fs::exists(root_ / "tenants" / "gone" / "reco.db"));
  const std::string d_users = Admin("GET", "/api/users?n=1000").body;
  const std::string a_users = Admin("GET", "/t/a/api/users?n=1000").body;
  const std::set<std::string> root_files = FilesUnder(root_ / "models");
  const std::set<std::string> a_files = FilesUnder(root_ / "tenants" / "a");

  HttpResult deleted = Admin("DELETE", "/api/v1/tenants/gone");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "gone"));
  EXPECT_EQ(c().Get("/t/gone/api/users", Key(key)).status, 404);
  EXPECT_EQ(Admin("GET", "/api/v1/tenants/gone").status, 404);
  EXPECT_EQ(Admin("GET", "/api/users?n=1000").body, d_users);
  EXPECT_EQ(Admin("GET", "/t/a/api/users?n=1000").body, a_users);
  EXPECT_EQ(FilesUnder(root_ / "models"), root_files);
  EXPECT_EQ(FilesUnder(root_ / "tenants" / "a"), a_files);
  EXPECT_TRUE(fs::exists(root_ / "reco.db"));
  HttpResult keep_default = Admin("DELETE", "/api/v1/tenants/default");
  EXPECT_EQ(keep_default.status, 400) << keep_default.body;
  EXPECT_TRUE(fs::exists(root_ / "reco.db"));
}

// The status of job run `id` once it left queued/running (bounded wait), else the last one seen.
std::string JobRunEnd(HttpClient& c, const std::string& tenant_path, int64_t id,
                      const Headers& headers) {
  std::string status;
  for (int i = 0; i < 600; ++i) {
    HttpResult r = c.Get(tenant_path + "/api/v1/jobs/runs/" + std::to_string(id), headers);
    status = StringField(Json(r.body).root(), "status");
    if (status != "queued" && status != "running") return status;
    ::usleep(100'000);
  }
  return status;
}

int64_t QueueJob(HttpClient& c, const std::string& tenant_path, const Headers& headers) {
  HttpResult r = c.Post(tenant_path + "/api/v1/jobs/cache_cleanup/run", "", headers);
  EXPECT_EQ(r.status, 202) << r.body;
  int64_t id = -1;
  Json doc(r.body);
  if (doc["run_id"].get_int64().get(id) != simdjson::SUCCESS) return -1;
  return id;
}

TEST_F(TenantTest, OneWorkerRunsTheQueuedJobsOfEveryTenant) {
  // The server runs no scheduler (worker.in_serve = false): the runs wait for a worker.
  const int64_t on_default = QueueJob(c(), "", Key(kAdminKey));
  const int64_t on_a = QueueJob(c(), "/t/a", Key(key_a_));
  ASSERT_GT(on_default, 0);
  ASSERT_GT(on_a, 0);
  HttpResult queued = c().Get("/t/a/api/v1/jobs/runs/" + std::to_string(on_a), Key(key_a_));
  EXPECT_EQ(StringField(Json(queued.body).root(), "status"), "queued") << "nothing runs it yet";
  const fs::path log = dir_->path() / "worker.log";
  pid_t worker =
      SpawnReco({"worker", "--data-dir", root_.string(), "--all-tenants", "--holder", "w1"}, log);
  ASSERT_GT(worker, 0);
  EXPECT_EQ(JobRunEnd(c(), "", on_default, Key(kAdminKey)), "succeeded") << ReadFile(log);
  EXPECT_EQ(JobRunEnd(c(), "/t/a", on_a, Key(key_a_)), "succeeded") << ReadFile(log);
  HttpResult run = c().Get("/t/a/api/v1/jobs/runs/" + std::to_string(on_a), Key(key_a_));
  EXPECT_EQ(StringField(Json(run.body).root(), "holder"), "w1/a");
  ::kill(worker, SIGTERM);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(worker, &wstatus, 0), worker);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << ReadFile(log);
}

TEST_F(TenantTest, CliListsShowsIssuesKeysAndDeletes) {
  const fs::path log = dir_->path() / "cli.log";
  const std::string root = root_.string();
  std::string created = RunOk({"tenant", "create", "clitenant", "--data-dir", root}, log);
  const std::string key = LastLine(created);
  EXPECT_TRUE(key.starts_with("rt_")) << created;
  EXPECT_NE(RunOk({"tenant", "list", "--data-dir", root}, log).find("clitenant"),
            std::string::npos);
  EXPECT_NE(RunOk({"tenant", "show", "clitenant", "--data-dir", root}, log).find("keys=1"),
            std::string::npos);
  const std::string key2 =
      LastLine(RunOk({"tenant", "keys", "clitenant", "--new", "--data-dir", root}, log));
  EXPECT_TRUE(key2.starts_with("rt_"));
  EXPECT_NE(key2, key);
  // The running server sees the tenant and its keys without a restart.
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key2)).status, 200);
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key)).status, 200);
  const std::string key3 =
      LastLine(RunOk({"tenant", "keys", "clitenant", "--rotate", "--data-dir", root}, log));
  EXPECT_TRUE(key3.starts_with("rt_"));
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key2)).status, 401) << "rotated away";
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key3)).status, 200);
  const std::string key4 =
      LastLine(RunOk({"tenant", "keys", "clitenant", "--new", "--data-dir", root}, log));
  const std::string key_ids = RunOk({"tenant", "keys", "clitenant", "--data-dir", root}, log);
  const std::string first_id = key_ids.substr(0, key_ids.find(' '));
  ASSERT_TRUE(first_id.starts_with("k")) << key_ids;
  RunOk({"tenant", "keys", "clitenant", "--revoke", first_id, "--data-dir", root}, log);
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key3)).status, 401) << "revoked by id";
  EXPECT_EQ(c().Get("/t/clitenant/api/users", Key(key4)).status, 200);
  const std::string ids = RunOk({"tenant", "keys", "clitenant", "--data-dir", root}, log);
  EXPECT_EQ(ids.find("rt_"), std::string::npos) << "listings show key ids, never keys";
  EXPECT_FALSE(RunReco({"tenant", "create", "Bad", "--data-dir", root}, log).Ok());
  EXPECT_FALSE(RunReco({"train", "--data-dir", root, "--tenant", "nosuch"}, log).Ok());
  EXPECT_NE(ReadFile(log).find("nosuch"), std::string::npos);
  ASSERT_EQ(Admin("DELETE", "/api/v1/tenants/clitenant").status, 200);
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "clitenant"));
  EXPECT_EQ(RunOk({"tenant", "list", "--data-dir", root}, log).find("clitenant"),
            std::string::npos);
}

}  // namespace
}  // namespace reco::itest
