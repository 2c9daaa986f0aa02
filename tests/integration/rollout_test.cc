// Safe rollout on a real `reco serve`: two registered versions, the second reloaded as a 50%
// canary (users split exactly by the hash of their id, /health shows both), feedback that only
// clicks the primary's lists withdraws the canary automatically after the minimum exposures,
// a shadow is scored but never served, reloads by run_id move production, bad reload bodies are
// 400 naming the field, and every exposure_log.jsonl line parses with the contract's fields.
#include "serving/rollout.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>

#include "registry/model_registry.h"
#include "tests/integration/registry_fixtures.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

using registry::ModelRegistry;

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z
constexpr int kUsers = 120;
const Headers kAuth = {{"Authorization", "Bearer tok"}};

std::string VariantRunId(const Json& health, std::string_view variant) {
  return StringField(health[variant], "run_id");
}

std::string ReloadBody(std::string_view run_id, std::string_view mode, double rollout) {
  return "{\"run_id\":\"" + std::string(run_id) + "\",\"mode\":\"" + std::string(mode) +
         "\",\"rollout\":" + std::to_string(rollout) + "}";
}

TEST(Rollout, CanaryIsSplitByUserHashAndWithdrawnByTheGuardrails) {
  TempDataDir dir("rollout");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = kUsers, .items = 150, .seed = 4}), "");
  auto train_log = dir.path() / "train2.log";
  ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, train_log).Ok())
      << ReadFile(train_log);
  auto outputs = TrainingOutputs(data);
  ASSERT_EQ(outputs.size(), 2u);
  FakeClock clock(kT0);
  const std::string run_a = RecordRun(data, outputs[0], clock);
  const std::string run_b = RecordRun(data, outputs[1], clock);
  ASSERT_TRUE(ModelRegistry(data, clock).Promote(run_a, "production").ok());

  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"MODEL_RELOAD_TOKEN", "tok"},
                                        {"RECO_REGISTRY_CANARY_MIN_EXPOSURES", "10"},
                                        {"RECO_REGISTRY_CANARY_MIN_CTR_RATIO", "0.8"}}}),
            "");
  HttpClient c(server.port());
  {
    Json health(c.Get("/health").body);
    EXPECT_EQ(VariantRunId(health, "primary"), run_a) << "production is served, not newest";
    EXPECT_TRUE(health["canary"].is_null());
  }

  // Bad bodies: 400 naming the field; nothing changes.
  struct Bad {
    std::string body, field;
  };
  for (const Bad& bad :
       {Bad{"{\"mode\":\"blue\"}", "mode"}, Bad{ReloadBody(run_b, "canary", 1.5), "rollout"},
        Bad{"{\"run_id\":7}", "run_id"}, Bad{"{\"colour\":1}", "colour"}, Bad{"[1]", "body"},
        Bad{"{", "body"}}) {
    HttpResult r = c.Post("/models/reload", bad.body, kAuth);
    EXPECT_EQ(r.status, 400) << bad.body << " " << r.body;
    EXPECT_EQ(ErrorField(r.body), bad.field) << bad.body;
  }
  EXPECT_EQ(c.Post("/models/reload", ReloadBody("no-such-run", "canary", 0.5), kAuth).status, 404);
  EXPECT_EQ(c.Post("/models/reload", ReloadBody(run_b, "canary", 0.5)).status, 401);

  HttpResult reload = c.Post("/models/reload", ReloadBody(run_b, "canary", 0.5), kAuth);
  ASSERT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(StringField(Json(reload.body).root(), "mode"), "canary");
  {
    Json health(c.Get("/health").body);
    EXPECT_EQ(VariantRunId(health, "primary"), run_a);
    EXPECT_EQ(VariantRunId(health, "canary"), run_b);
    double rollout = 0;
    EXPECT_EQ(health["canary"]["rollout"].get_double().get(rollout), simdjson::SUCCESS);
    EXPECT_EQ(rollout, 0.5);
  }

  // Every user asks once: exactly the users hashed under 0.5 get the canary.
  std::map<std::string, std::string> first_item;  // primary-served user -> first item
  int canary_lists = 0, expected_canary = 0;
  for (int u = 0; u < kUsers; ++u) {
    std::string user = "u";  // built by append (GCC 12 warns falsely on "literal" + string)
    user += std::to_string(u);
    HttpResult r = c.Get("/api/recommend/" + user + "?n=5");
    ASSERT_EQ(r.status, 200) << r.body;
    const bool canary = InRollout(user, 0.5);
    expected_canary += canary ? 1 : 0;
    EXPECT_EQ(r.Header("x-reco-variant"), canary ? "canary" : "primary") << user;
    EXPECT_EQ(r.Header("x-reco-model-version"), canary ? run_b : run_a) << user;
    std::vector<std::string> items = StringArray(r.body);
    if (canary) {
      canary_lists += items.empty() ? 0 : 1;
    } else if (!items.empty()) {
      first_item[user] = items[0];
    }
  }
  EXPECT_GE(canary_lists, 10);
  EXPECT_GT(expected_canary, kUsers / 3);
  EXPECT_LT(expected_canary, 2 * kUsers / 3);
  ASSERT_FALSE(c.Get("/health").body.empty());
  EXPECT_EQ(VariantRunId(Json(c.Get("/health").body), "canary"), run_b) << "no clicks yet";

  // Primary users click their first item; canary users never click.
  std::string feedback = "[";
  for (const auto& [user, item] : first_item) {
    if (feedback.size() > 1) feedback += ",";
    feedback += FeedbackJson("click", user, item);
  }
  feedback += "]";
  ASSERT_EQ(c.Post("/api/feedback", feedback).status, 200);
  {
    Json health(c.Get("/health").body);
    EXPECT_TRUE(health["canary"].is_null()) << "canary withdrawn";
    EXPECT_EQ(VariantRunId(health, "primary"), run_a);
  }
  std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("canary_rollbacks_total{reason=\"ctr\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("model_clicks_total{run_id=\"" + run_a + "\",variant=\"primary\"} " +
                         std::to_string(first_item.size())),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("reco_model_version_info{run_id=\"" + run_a + "\",variant=\"primary\"} 1"),
            std::string::npos);
  EXPECT_FALSE(ModelRegistry(data, clock).Resolve("canary").ok()) << "registry alias cleared";
  EXPECT_EQ(c.Get("/api/recommend/u1?n=5").Header("x-reco-variant"), "primary");

  // A shadow is scored on every request (rollout 1) and logged, never served.
  ASSERT_EQ(c.Post("/models/reload", ReloadBody(run_b, "shadow", 1.0), kAuth).status, 200);
  EXPECT_EQ(VariantRunId(Json(c.Get("/health").body), "shadow"), run_b);
  EXPECT_EQ(c.Get("/api/recommend/u2?n=5").Header("x-reco-variant"), "primary");

  // Reload primary by run id, then roll back to the first version by run id.
  ASSERT_EQ(
      c.Post("/models/reload", "{\"run_id\":\"" + run_b + "\",\"mode\":\"primary\"}", kAuth).status,
      200);
  {
    Json health(c.Get("/health").body);
    EXPECT_EQ(VariantRunId(health, "primary"), run_b);
    EXPECT_TRUE(health["shadow"].is_null()) << "a version promoted to primary stops shadowing";
  }
  EXPECT_EQ(ModelRegistry(data, clock).Resolve("production")->run_id, run_b);
  ASSERT_EQ(c.Post("/models/reload", "{\"run_id\":\"" + run_a + "\"}", kAuth).status, 200);
  EXPECT_EQ(VariantRunId(Json(c.Get("/health").body), "primary"), run_a);
  EXPECT_EQ(ModelRegistry(data, clock).Resolve("previous")->run_id, run_b);
  EXPECT_EQ(c.Get("/api/recommend/u3?n=5").Header("x-reco-model-version"), run_a);

  // Stopping the server writes the queued exposures; every line parses.
  ASSERT_TRUE(server.Stop(SIGTERM).Ok());
  std::ifstream log(data / "evaluation" / "exposure_log.jsonl");
  std::map<std::string, int> by_variant;
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    Json doc(line);
    ASSERT_TRUE(doc.ok()) << line;
    for (const char* key : {"ts", "request_id", "user_id", "scenario", "model_version"}) {
      EXPECT_FALSE(StringField(doc.root(), key).empty()) << key << " in " << line;
    }
    simdjson::dom::array items;
    ASSERT_EQ(doc["items"].get_array().get(items), simdjson::SUCCESS) << line;
    EXPECT_GT(items.size(), 0u);
    std::string variant = StringField(doc.root(), "variant");
    ++by_variant[variant];
    if (variant == "canary" || variant == "shadow") {
      EXPECT_EQ(StringField(doc.root(), "model_version"), run_b) << line;
    }
  }
  EXPECT_EQ(by_variant["canary"], canary_lists);
  EXPECT_EQ(by_variant["shadow"], 1);
  EXPECT_EQ(by_variant["primary"], static_cast<int>(first_item.size()) + 3);
  EXPECT_EQ(lines, by_variant["canary"] + by_variant["shadow"] + by_variant["primary"]);
}

}  // namespace
}  // namespace reco::itest
