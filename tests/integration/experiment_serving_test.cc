// A/B experiments served on a real `reco serve`: a running 50/50 experiment over two scenarios
// serves each user its variant's scenario on requests for either (always the same), names it in
// X-Reco-Experiments and in the exposure log, and its results count exactly the lists served and
// the clicks posted; a model-version experiment over two registered versions serves each
// variant's version (X-Reco-Model-Version, over the plain and the scenario route) even to users
// of a canary, and logs it; a version that cannot be loaded degrades to the usual split; a
// stopped experiment no longer applies.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "registry/model_registry.h"
#include "tests/integration/registry_fixtures.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

constexpr const char* kKey = "experiment-serving-key";
const Headers kAdmin = {{"X-API-Key", kKey}};
constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

std::string Experiment(std::string_view id, std::string_view layer, std::string_view kind,
                       std::string_view target_a, std::string_view target_b) {
  auto variant = [&](std::string_view name, std::string_view target) {
    return R"({"name":")" + std::string(name) + R"(","weight":1,"target_kind":")" +
           std::string(kind) + R"(","target":")" + std::string(target) + R"("})";
  };
  return R"({"id":")" + std::string(id) + R"(","name":"serving test","layer":")" +
         std::string(layer) + R"(","traffic":1,"variants":[)" + variant("A", target_a) + "," +
         variant("B", target_b) + R"(],"click_types":["click"],"conversion_types":["purchase"]})";
}

// Per variant of an experiment's results: {users, exposures, clicks}.
std::map<std::string, std::vector<int64_t>> VariantCounts(const std::string& body) {
  std::map<std::string, std::vector<int64_t>> out;
  Json doc(body);
  simdjson::dom::array variants;
  if (doc["variants"].get_array().get(variants) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element v : variants) {
    out[StringField(v, "name")] = {JsonInt(v["users"]), JsonInt(v["exposures"]), JsonInt(v["clicks"])};
  }
  return out;
}

class ExperimentServing : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(PrepareDemoData(data_, {.users = 60, .items = 80, .seed = 5, .train = true}), "");
    const auto log = dir_.path() / "train2.log";
    ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log).Ok()) << ReadFile(log);
    auto outputs = TrainingOutputs(data_);
    ASSERT_EQ(outputs.size(), 2u);
    FakeClock clock(kT0);
    run_a_ = RecordRun(data_, outputs[0], clock);
    run_b_ = RecordRun(data_, outputs[1], clock);
    ASSERT_TRUE(registry::ModelRegistry(data_, clock).Promote(run_a_, "production").ok());
    ASSERT_EQ(server_.Start(
                  data_, {.env = {{"RECO_SERVER_API_KEY", kKey}, {"MODEL_RELOAD_TOKEN", "tok"}}}),
              "");
    client_ = std::make_unique<HttpClient>(server_.port());
    for (const char* body : {R"({"name":"feed_a","recall":[{"source":"popular","quota":10}]})",
                             R"({"name":"feed_b","recall":[{"source":"latest","quota":10}]})"}) {
      HttpResult r = c().Post("/api/v1/scenarios", body, kAdmin);
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  void TearDown() override {
    client_.reset();
    server_.Stop(SIGTERM);
  }

  HttpClient& c() { return *client_; }
  HttpResult Recommend(const std::string& user, std::string_view query = "") {
    return c().Get("/api/recommend/" + user + std::string(query), kAdmin);
  }
  void Create(const std::string& body) {
    HttpResult r = c().Post("/api/v1/experiments", body, kAdmin);
    ASSERT_EQ(r.status, 201) << r.body;
    r = c().Post("/api/v1/experiments/" + StringField(Json(r.body).root(), "id") + "/start", "",
                 kAdmin);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string VariantOf(const std::string& user) {
    Json body(c().Get("/api/v1/experiments/assignment/" + user, kAdmin).body);
    simdjson::dom::array list;
    if (body["assignments"].get_array().get(list) != simdjson::SUCCESS || list.size() != 1) {
      return "";
    }
    return StringField(list.at(0), "variant");
  }
  // The exposure lines holding `needle`, once there are `at_least` of them (the log is written
  // every 100 ms) or after 5 s.
  std::vector<std::string> ExposureLines(std::string_view needle, size_t at_least) {
    std::vector<std::string> lines;
    for (int attempt = 0; attempt < 50; ++attempt) {
      lines.clear();
      std::istringstream in(ReadFile(data_ / "evaluation" / "exposure_log.jsonl"));
      for (std::string line; std::getline(in, line);) {
        if (line.find(needle) != std::string::npos) lines.push_back(line);
      }
      if (lines.size() >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return lines;
  }

  TempDataDir dir_{"experiment-serving"};
  std::filesystem::path data_;
  std::string run_a_, run_b_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ExperimentServing, ScenarioVariantsAreServedStickilyLoggedAndCounted) {
  Create(Experiment("feeds", "home", "scenario", "feed_a", "feed_b"));
  // Every user asks for both scenarios twice; each is served its variant's scenario.
  std::map<std::string, int64_t> lists, users;                          // per variant
  std::map<std::string, std::vector<std::vector<std::string>>> served;  // per user
  std::map<std::string, std::string> variant_of;
  for (int i = 0; i < 40; ++i) {
    const std::string user = "visitor" + std::to_string(i);
    const std::string variant = VariantOf(user);
    ASSERT_TRUE(variant == "A" || variant == "B") << user;
    variant_of[user] = variant;
    ++users[variant];
    for (const char* asked : {"feed_a", "feed_b", "feed_b", "feed_a"}) {
      HttpResult r = Recommend(user, std::string("?scenario=") + asked);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.Header("x-reco-scenario"), variant == "A" ? "feed_a" : "feed_b") << user;
      EXPECT_EQ(r.Header("x-reco-experiments"), "feeds=" + variant) << user;
      EXPECT_EQ(r.Header("x-reco-model-version"), run_a_) << "no model-version experiment";
      const std::vector<std::string> items = StringArray(r.body);
      ASSERT_FALSE(items.empty()) << user << " " << asked;
      served[user].push_back(items);
      ++lists[variant];
    }
    // The plain route is outside a scenario experiment's scope.
    HttpResult plain = Recommend(user);
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.Header("x-reco-experiments"), "");
    EXPECT_EQ(plain.Header("x-reco-scenario"), "");
  }
  EXPECT_GE(users["A"], 8);
  EXPECT_GE(users["B"], 8);

  // Every second user clicks the first item it was shown; each of its lists holding that item
  // within a day counts one clicked list.
  std::map<std::string, int64_t> clicks;
  std::string feedback = "[";
  int n = 0;
  for (const auto& [user, user_lists] : served) {
    if (n++ % 2 == 1) continue;
    const std::string& item = user_lists[0][0];
    for (const auto& list : user_lists) {
      clicks[variant_of[user]] += std::count(list.begin(), list.end(), item) > 0 ? 1 : 0;
    }
    if (feedback.size() > 1) feedback += ",";
    feedback += FeedbackJson("click", user, item, TimeText(1));
  }
  feedback += "]";
  ASSERT_EQ(c().Post("/api/feedback", feedback, kAdmin).status, 200);

  // The exposure lines name the experiment; the results count what was served.
  const std::vector<std::string> lines = ExposureLines("\"experiments\":{\"feeds\":", 160);
  const size_t named = lines.size();
  for (const std::string& line : lines) {
    Json doc(line);
    const std::string user = StringField(doc.root(), "user_id");
    EXPECT_EQ(StringField(doc["experiments"], "feeds"), variant_of[user]) << line;
    EXPECT_EQ(StringField(doc.root(), "scenario"), variant_of[user] == "A" ? "feed_a" : "feed_b");
  }
  EXPECT_EQ(named, 160u) << "four lists per user, plain requests not named";
  std::map<std::string, std::vector<int64_t>> counts;
  for (int attempt = 0; attempt < 40; ++attempt) {  // the clicks are dated a second ahead
    HttpResult r = c().Get("/api/v1/experiments/feeds/results", kAdmin);
    ASSERT_EQ(r.status, 200) << r.body;
    counts = VariantCounts(r.body);
    if (counts["A"].size() == 3 && counts["A"][2] == clicks["A"] && counts["B"][2] == clicks["B"]) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  for (const char* v : {"A", "B"}) {
    ASSERT_EQ(counts[v].size(), 3u) << v;
    EXPECT_EQ(counts[v][0], users[v]) << v;
    EXPECT_EQ(counts[v][1], lists[v]) << v;
    EXPECT_EQ(counts[v][2], clicks[v]) << v;
  }
  EXPECT_GT(clicks["A"] + clicks["B"], 0);

  // Stopped: requests are served as asked and name no experiment.
  ASSERT_EQ(c().Post("/api/v1/experiments/feeds/stop", "", kAdmin).status, 200);
  for (const auto& [user, variant] : variant_of) {
    HttpResult r = Recommend(user, "?scenario=feed_a");
    EXPECT_EQ(r.Header("x-reco-scenario"), "feed_a");
    EXPECT_EQ(r.Header("x-reco-experiments"), "");
  }
}

TEST_F(ExperimentServing, ModelVersionVariantsServeTheirVersionOverTheCanarySplit) {
  // run_b is a canary for every user: the experiment takes precedence over it.
  HttpResult reload =
      c().Post("/models/reload", R"({"run_id":")" + run_b_ + R"(","mode":"canary","rollout":1})",
               {{"Authorization", "Bearer tok"}});
  ASSERT_EQ(reload.status, 200) << reload.body;
  ASSERT_EQ(Recommend("visitor0").Header("x-reco-variant"), "canary");
  Create(Experiment("models", "ranking", "model_version", run_a_, run_b_));
  std::map<std::string, std::string> version_of;
  for (int i = 0; i < 30; ++i) {
    const std::string user = "visitor" + std::to_string(i);
    const std::string variant = VariantOf(user);
    ASSERT_FALSE(variant.empty()) << user;
    version_of[user] = variant == "A" ? run_a_ : run_b_;
    for (std::string_view query : {"", "?scenario=feed_a"}) {
      HttpResult r = Recommend(user, query);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.Header("x-reco-model-version"), version_of[user]) << user << query;
      EXPECT_EQ(r.Header("x-reco-variant"), "experiment");
      EXPECT_EQ(r.Header("x-reco-experiments"), "models=" + variant);
      EXPECT_EQ(r.Header("x-reco-degraded").find("experiment_"), std::string::npos);
    }
  }
  std::set<std::string> versions;
  for (const auto& [user, version] : version_of) versions.insert(version);
  EXPECT_EQ(versions.size(), 2u) << "both variants served";
  const std::vector<std::string> lines = ExposureLines("\"experiments\":{\"models\":", 60);
  for (const std::string& line : lines) {
    Json doc(line);
    EXPECT_EQ(StringField(doc.root(), "model_version"),
              version_of[StringField(doc.root(), "user_id")])
        << line;
    EXPECT_EQ(StringField(doc.root(), "variant"), "experiment");
  }
  EXPECT_EQ(lines.size(), 60u);

  // A version that cannot be loaded: its users get the usual split (here the canary),
  // degraded and counted.
  ASSERT_EQ(c().Post("/api/v1/experiments/models/stop", "", kAdmin).status, 200);
  Create(Experiment("broken", "ranking", "model_version", "no-such-run", "no-such-run"));
  HttpResult r = Recommend("visitor1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-model-version"), run_b_);
  EXPECT_EQ(r.Header("x-reco-variant"), "canary");
  EXPECT_EQ(r.Header("x-reco-experiments"), "broken=" + VariantOf("visitor1"));
  EXPECT_NE(r.Header("x-reco-degraded").find("experiment_model_version_unavailable"),
            std::string::npos)
      << r.Header("x-reco-degraded");
  EXPECT_NE(c().Get("/metrics")
                .body.find("experiment_model_version_unavailable_total{run_id=\"no-such-run\"} 1"),
            std::string::npos);

  // Stopped: the canary split again, no experiment named.
  ASSERT_EQ(c().Post("/api/v1/experiments/broken/stop", "", kAdmin).status, 200);
  for (const auto& [user, version] : version_of) {
    HttpResult plain = Recommend(user);
    EXPECT_EQ(plain.Header("x-reco-model-version"), run_b_);
    EXPECT_EQ(plain.Header("x-reco-variant"), "canary");
    EXPECT_EQ(plain.Header("x-reco-experiments"), "");
  }
}

}  // namespace
}  // namespace reco::itest
