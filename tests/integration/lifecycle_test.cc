// The whole model lifecycle on ONE real `reco serve`, driven over HTTP only: import demo data →
// a pipeline run over REST publishes the first version, which the server then serves → a worse
// configuration is held back by the gate while the server keeps serving the first version → an
// acceptable version published as a 50% canary is withdrawn by the CTR guardrail when only the
// primary's lists are clicked → a forced promotion and a rollback by run_id move production and
// the served version. The configuration file that `recommend.model_config` names is rewritten
// between runs; the pipeline reads it at the start of every training.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

constexpr int kUsers = 200;
constexpr double kRollout = 0.5;
const Headers kAuth = {{"Authorization", "Bearer tok"}};

// On the demo data (seed 3) popularity ranks better than item-CF with the built-in settings, so
// item-CF is the configuration the gate must hold back (as in pipeline_test.cc).
constexpr std::string_view kPopular = "[algorithm]\nname = \"popular\"\n";
constexpr std::string_view kItemCf = "[algorithm]\nname = \"itemcf\"\n";

// A pipeline run as GET /api/v1/pipeline/runs/{id} returns it, once it has ended.
struct FinishedRun {
  std::string body;
  std::string status;
  bool published = false;
  std::string reason;
  std::string model_run_id;       // outputs["train_models.run_id"]: the registered version
  std::string production_run_id;  // outputs["evaluate.production_run_id"]
};

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest() : dir_("lifecycle"), data_(dir_.path() / "data") {}

  void SetUp() override {
    ASSERT_EQ(PrepareDemoData(data_, {.users = kUsers, .items = 300, .seed = 3, .train = false}),
              "");
    // The demo data ends long before today (freshness alone would stop every run); no scheduled
    // job may take the pipeline lock during the test; a canary is judged after 10 exposures.
    std::ofstream(data_ / "reco.toml") << "[pipeline]\nmin_data_quality = 0.0\n"
                                       << "[recommend]\nmodel_config = \"model.toml\"\n"
                                       << "[worker]\nin_serve = false\n"
                                       << "[registry]\ncanary_min_exposures = 10\n"
                                       << "canary_min_ctr_ratio = 0.8\n";
    SetModelConfig(kPopular);
    ASSERT_EQ(server_.Start(data_, {.env = {{"MODEL_RELOAD_TOKEN", "tok"}}}), "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }

  void SetModelConfig(std::string_view text) { std::ofstream(data_ / "model.toml") << text; }

  // POST /api/v1/pipeline/runs with `body`, then GET the run until it is no longer running
  // (bounded by a deadline; the short pause between polls only spaces the requests).
  void RunPipeline(std::string_view body, FinishedRun* out) {
    // The reload token is the server's only credential: it guards pipeline runs too.
    HttpResult started = client_->Post("/api/v1/pipeline/runs", body, kAuth);
    ASSERT_EQ(started.status, 202) << started.body << server_.log();
    Json start(started.body);
    EXPECT_EQ(StringField(start.root(), "status"), "running");
    const std::string id = StringField(start.root(), "run_id");
    ASSERT_FALSE(id.empty()) << started.body;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (true) {
      HttpResult r = client_->Get("/api/v1/pipeline/runs/" + id);
      ASSERT_EQ(r.status, 200) << r.body;
      Json run(r.body);
      out->status = StringField(run.root(), "status");
      if (out->status != "running") {
        out->body = r.body;
        EXPECT_EQ(StringField(run.root(), "run_id"), id);
        ASSERT_EQ(run["published"].get_bool().get(out->published), simdjson::SUCCESS) << r.body;
        out->reason = StringField(run.root(), "reason");
        out->model_run_id = StringField(run["outputs"], "train_models.run_id");
        out->production_run_id = StringField(run["outputs"], "evaluate.production_run_id");
        return;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "run " << id << " still running";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Aliases of every registered version, by run id, from GET /api/v1/models.
  std::map<std::string, std::vector<std::string>> Aliases() {
    std::map<std::string, std::vector<std::string>> out;
    HttpResult r = client_->Get("/api/v1/models");
    EXPECT_EQ(r.status, 200) << r.body;
    Json doc(r.body);
    simdjson::dom::array versions;
    EXPECT_EQ(doc["versions"].get_array().get(versions), simdjson::SUCCESS) << r.body;
    for (simdjson::dom::element v : versions) {
      std::vector<std::string>& aliases = out[StringField(v, "run_id")];
      simdjson::dom::array list;
      if (v["aliases"].get_array().get(list) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element a : list) aliases.emplace_back(a.get_string().value());
    }
    return out;
  }

  std::string HealthRunId(std::string_view variant) {
    return StringField(Json(client_->Get("/health").body)[variant], "run_id");
  }

  // GET /api/recommend/{user}; "variant model_version" of the answer.
  std::string ServedBy(const std::string& user) {
    HttpResult r = client_->Get("/api/recommend/" + user + "?n=5");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Header("x-reco-variant") + " " + r.Header("x-reco-model-version");
  }

  std::string Reload(const std::string& run_id) {
    HttpResult r = client_->Post("/models/reload",
                                 "{\"run_id\":\"" + run_id + "\",\"mode\":\"primary\"}", kAuth);
    EXPECT_EQ(r.status, 200) << r.body;
    return StringField(Json(r.body).root(), "run_id");
  }

  TempDataDir dir_;
  fs::path data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

std::string User(int u) {
  std::string user = "u";  // built by append (GCC 12 warns falsely on "literal" + string)
  user += std::to_string(u);
  return user;
}

using AliasList = std::vector<std::string>;

TEST_F(LifecycleTest, PublishGateCanaryAutoRollbackAndRollbackByRunId) {
  // 1. Demo data imported (SetUp), no model trained yet: the registry is empty.
  EXPECT_TRUE(Aliases().empty());

  // 2. The first run publishes popularity as production and the server reloads it.
  FinishedRun first;
  ASSERT_NO_FATAL_FAILURE(RunPipeline("", &first));
  ASSERT_EQ(first.status, "succeeded") << first.body << server_.log();
  EXPECT_TRUE(first.published) << first.body;
  EXPECT_EQ(first.reason.rfind("published as production", 0), 0u) << first.reason;
  EXPECT_EQ(first.production_run_id, "") << "no production model before the first run";
  const std::string v1 = first.model_run_id;
  ASSERT_FALSE(v1.empty()) << first.body;
  EXPECT_EQ(Aliases(), (std::map<std::string, AliasList>{{v1, {"production"}}}));
  EXPECT_EQ(HealthRunId("primary"), v1);
  EXPECT_EQ(ServedBy("u1"), "primary " + v1);
  Json summary(ReadFile(data_ / "evaluation" / "summary.json"));
  EXPECT_EQ(StringField(summary.root(), "candidate_run_id"), v1);
  EXPECT_EQ(StringField(summary.root(), "production_run_id"), "");

  // 3. Item-CF with the built-in settings is worse: the run succeeds, nothing is published,
  //    production and the served version stay the first run's.
  SetModelConfig(kItemCf);
  FinishedRun worse;
  ASSERT_NO_FATAL_FAILURE(RunPipeline("{}", &worse));
  ASSERT_EQ(worse.status, "succeeded") << worse.body;
  EXPECT_FALSE(worse.published);
  EXPECT_EQ(worse.reason.rfind("gate: ndcg@10 ", 0), 0u) << worse.reason;
  EXPECT_NE(worse.reason.find(" < 0.98"), std::string::npos) << worse.reason;
  EXPECT_EQ(worse.production_run_id, v1);
  const std::string v2 = worse.model_run_id;
  ASSERT_FALSE(v2.empty());
  EXPECT_EQ(Aliases(), (std::map<std::string, AliasList>{{v1, {"production"}}, {v2, {}}}));
  EXPECT_EQ(HealthRunId("primary"), v1);
  EXPECT_EQ(ServedBy("u1"), "primary " + v1);

  // 4. Popularity again passes the gate (equal to production) and is published as a canary.
  SetModelConfig(kPopular);
  FinishedRun canary_run;
  ASSERT_NO_FATAL_FAILURE(RunPipeline(R"({"mode":"canary","rollout":0.5})", &canary_run));
  ASSERT_EQ(canary_run.status, "succeeded") << canary_run.body << server_.log();
  EXPECT_TRUE(canary_run.published) << canary_run.body;
  EXPECT_EQ(canary_run.reason.rfind("published as canary", 0), 0u) << canary_run.reason;
  EXPECT_EQ(canary_run.production_run_id, v1);
  const std::string v3 = canary_run.model_run_id;
  ASSERT_FALSE(v3.empty());
  EXPECT_EQ(Aliases(),
            (std::map<std::string, AliasList>{{v1, {"production"}}, {v2, {}}, {v3, {"canary"}}}));
  {
    Json health(client_->Get("/health").body);
    EXPECT_EQ(StringField(health["primary"], "run_id"), v1);
    EXPECT_EQ(StringField(health["canary"], "run_id"), v3);
    double rollout = 0;
    EXPECT_EQ(health["canary"]["rollout"].get_double().get(rollout), simdjson::SUCCESS);
    EXPECT_EQ(rollout, kRollout);
  }

  // Every user asks once: the answer comes from the canary or from the primary, never mixed.
  std::map<std::string, std::string> primary_first_item;
  std::vector<std::string> canary_users;
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = User(u);
    HttpResult r = client_->Get("/api/recommend/" + user + "?n=5");
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<std::string> items = StringArray(r.body);
    ASSERT_FALSE(items.empty()) << user;
    if (r.Header("x-reco-variant") == "canary") {
      EXPECT_EQ(r.Header("x-reco-model-version"), v3) << user;
      canary_users.push_back(user);
    } else {
      EXPECT_EQ(r.Header("x-reco-variant"), "primary") << user;
      EXPECT_EQ(r.Header("x-reco-model-version"), v1) << user;
      primary_first_item[user] = items[0];
    }
  }
  EXPECT_GT(canary_users.size(), static_cast<size_t>(kUsers / 4));
  EXPECT_LT(canary_users.size(), static_cast<size_t>(3 * kUsers / 4));
  ASSERT_GE(canary_users.size(), 10u) << "enough canary exposures for a decision";
  // The split is by user: the same user gets the same variant again.
  EXPECT_EQ(ServedBy(canary_users.front()), "canary " + v3);
  EXPECT_EQ(HealthRunId("canary"), v3) << "no clicks yet: no decision";
  EXPECT_NE(client_->Get("/metrics")
                .body.find("reco_model_version_info{run_id=\"" + v3 + "\",variant=\"canary\"} 1"),
            std::string::npos);

  // Users of the primary click their first item, canary users never click: CTR 0 < 0.8 x the
  // primary's, so the canary is withdrawn and its alias cleared.
  std::string feedback = "[";
  for (const auto& [user, item] : primary_first_item) {
    if (feedback.size() > 1) feedback += ",";
    feedback += FeedbackJson("click", user, item);
  }
  feedback += "]";
  HttpResult posted = client_->Post("/api/feedback", feedback);
  ASSERT_EQ(posted.status, 200) << posted.body;
  {
    Json health(client_->Get("/health").body);
    EXPECT_TRUE(health["canary"].is_null()) << "canary withdrawn";
    EXPECT_EQ(StringField(health["primary"], "run_id"), v1);
  }
  std::string metrics = client_->Get("/metrics").body;
  EXPECT_NE(metrics.find("canary_rollbacks_total{reason=\"ctr\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("model_clicks_total{run_id=\"" + v1 + "\",variant=\"primary\"} " +
                         std::to_string(primary_first_item.size())),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("reco_model_version_info{run_id=\"" + v3 + "\",variant=\"canary\"} 0"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(Aliases(),
            (std::map<std::string, AliasList>{{v1, {"production"}}, {v2, {}}, {v3, {}}}));
  EXPECT_EQ(ServedBy(canary_users.front()), "primary " + v1);
  EXPECT_NE(server_.log().find("event=canary_rollback run_id=" + v3 + " reason=ctr"),
            std::string::npos);

  // 5. Forcing the withdrawn version to primary, then rolling back to the first run by run_id.
  EXPECT_EQ(Reload(v3), v3);
  EXPECT_EQ(HealthRunId("primary"), v3);
  EXPECT_EQ(Aliases(),
            (std::map<std::string, AliasList>{{v1, {"previous"}}, {v2, {}}, {v3, {"production"}}}));
  EXPECT_EQ(ServedBy("u1"), "primary " + v3);
  EXPECT_EQ(Reload(v1), v1);
  EXPECT_EQ(HealthRunId("primary"), v1);
  EXPECT_EQ(Aliases(),
            (std::map<std::string, AliasList>{{v1, {"production"}}, {v2, {}}, {v3, {"previous"}}}));
  EXPECT_EQ(ServedBy("u1"), "primary " + v1);
  EXPECT_EQ(ServedBy(canary_users.front()), "primary " + v1);

  // The exposure log holds exactly the canary's lists under its version.
  ASSERT_TRUE(server_.Stop(SIGTERM).Ok()) << server_.log();
  std::ifstream log(data_ / "evaluation" / "exposure_log.jsonl");
  size_t canary_lines = 0;
  for (std::string line; std::getline(log, line);) {
    Json doc(line);
    ASSERT_TRUE(doc.ok()) << line;
    if (StringField(doc.root(), "variant") != "canary") continue;
    ++canary_lines;
    EXPECT_EQ(StringField(doc.root(), "model_version"), v3) << line;
  }
  EXPECT_EQ(canary_lines, canary_users.size() + 1);
}

}  // namespace
}  // namespace reco::itest
