// `reco pipeline` and `reco release` end to end on a real data dir and a real `reco serve`:
// import demo data → pipeline run (publishes the first model) → summary.json and registry
// written → a worse configuration is held back by the gate (run succeeded, published false;
// release exits 1) → over REST: POST /api/v1/pipeline/runs and GET its record, `reco release
// --server` publishing a model that passes the gate (exit 0).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

// On the demo data the popularity model ranks better than item-CF with the built-in settings,
// so item-CF is the "worse" configuration the gate must hold back.
// The default data quality threshold applies: demo data ends when it is generated, so it is fresh.
void WriteConfigs(const fs::path& data) {
  std::ofstream(data / "popular.toml") << "[algorithm]\nname = \"popular\"\n";
  std::ofstream(data / "popular-reco.toml") << "[recommend]\nmodel_config = \"popular.toml\"\n";
}

std::string Field(const std::string& json, const std::string& key) {
  std::string marker = "\"" + key + "\":";
  size_t at = json.find(marker);
  if (at == std::string::npos) return "";
  size_t start = at + marker.size();
  if (json[start] == '"') return json.substr(start + 1, json.find('"', start + 1) - start - 1);
  return json.substr(start, json.find_first_of(",}", start) - start);
}

std::string LatestRun(const fs::path& data, const fs::path& log) {
  fs::path out = data.parent_path() / "runs.json";
  ExitStatus st =
      RunReco({"pipeline", "runs", "--data-dir", data.string(), "--json", "-n", "1"}, out);
  EXPECT_TRUE(st.Ok()) << ReadFile(out) << ReadFile(log);
  std::string text = ReadFile(out);
  fs::remove(out);
  return text;
}

TEST(PipelineIntegration, PublishesGatesAndReleases) {
  TempDataDir dir("pipeline_it");
  fs::path data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 200, .items = 300, .seed = 3, .train = false}), "");
  WriteConfigs(data);
  fs::path log = dir.path() / "cli.log";
  const std::string d = data.string();

  // 1. First run: popularity, published as the first production model.
  ExitStatus first = RunReco({"pipeline", "run", "--data-dir", d, "--config",
                              (data / "popular-reco.toml").string(), "--threads", "1"},
                             log);
  ASSERT_TRUE(first.Ok()) << ReadFile(log);
  std::string run1 = LatestRun(data, log);
  EXPECT_EQ(Field(run1, "status"), "succeeded") << run1;
  EXPECT_EQ(Field(run1, "published"), "true") << run1;
  std::string model1 = Field(run1, "train_models.run_id");
  ASSERT_FALSE(model1.empty()) << run1;
  std::string summary = ReadFile(data / "evaluation" / "summary.json");
  EXPECT_EQ(Field(summary, "candidate_run_id"), model1) << summary;
  std::string registry = ReadFile(data / "models" / "model_registry.json");
  EXPECT_NE(registry.find("\"run_id\":\"" + model1 + "\""), std::string::npos) << registry;
  EXPECT_NE(registry.find("\"production\""), std::string::npos) << registry;
  EXPECT_TRUE(fs::exists(data / "features" / "snapshot.json"));
  EXPECT_TRUE(fs::exists(data / "evaluation" / "exposure_metrics.json"));
  EXPECT_TRUE(fs::exists(data / "data_quality_metrics.prom"));

  // 1b. Nothing new, the same settings: the run (and a dry run) succeeds, training skipped, and
  //     `reco pipeline show` says so.
  const std::string popular_config = (data / "popular-reco.toml").string();
  ExitStatus dry =
      RunReco({"pipeline", "run", "--data-dir", d, "--config", popular_config, "--dry-run"}, log);
  EXPECT_TRUE(dry.Ok()) << ReadFile(log);
  ExitStatus quiet = RunReco(
      {"pipeline", "run", "--data-dir", d, "--config", popular_config, "--threads", "1"}, log);
  ASSERT_TRUE(quiet.Ok()) << ReadFile(log);
  std::string quiet_run = LatestRun(data, log);
  EXPECT_EQ(Field(quiet_run, "status"), "succeeded") << quiet_run;
  EXPECT_EQ(Field(quiet_run, "published"), "false") << quiet_run;
  fs::path show_path = dir.path() / "quiet_show.txt";
  ASSERT_TRUE(
      RunReco({"pipeline", "show", "--data-dir", d, Field(quiet_run, "run_id")}, show_path).Ok());
  const std::string show = ReadFile(show_path);
  EXPECT_NE(show.find("train_models      skipped"), std::string::npos) << show;
  EXPECT_NE(show.find("training run " + model1 +
                      " covers the same data and settings: training "
                      "skipped"),
            std::string::npos)
      << show;

  // 2. The built-in item-CF is worse on this data: held back, production unchanged.
  ExitStatus second = RunReco({"pipeline", "run", "--data-dir", d, "--threads", "1"}, log);
  ASSERT_TRUE(second.Ok()) << ReadFile(log);
  std::string run2 = LatestRun(data, log);
  EXPECT_EQ(Field(run2, "published"), "false") << run2;
  EXPECT_EQ(Field(run2, "reason").rfind("gate: ndcg@10 ", 0), 0u) << run2;
  EXPECT_EQ(Field(run2, "evaluate.production_run_id"), model1);
  std::string show_out_path = (dir.path() / "show.txt").string();
  ASSERT_TRUE(RunReco({"pipeline", "logs", "--data-dir", d, Field(run2, "run_id"), "publish"},
                      show_out_path)
                  .Ok());
  EXPECT_NE(ReadFile(show_out_path).find("not published: gate"), std::string::npos);

  // 3. `reco release` here: the same worse model, exit 1.
  ExitStatus release_local =
      RunReco({"release", "--data-dir", d, "--threads", "1"}, dir.path() / "release1.log");
  EXPECT_TRUE(release_local.exited && release_local.code == 1)
      << release_local.ToString() << ReadFile(dir.path() / "release1.log");
  EXPECT_NE(ReadFile(dir.path() / "release1.log").find("published      no"), std::string::npos);

  // 4. On a server: REST runs, then a release with the popularity configuration passes the gate
  //    (equal to production) and is published; the server reloads it.
  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"RECO_RECOMMEND_MODEL_CONFIG", "popular.toml"}}}), "");
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/api/v1/pipeline/runs/20990101T000000Z-000000").status, 404);
  HttpResult bad = client.Post("/api/v1/pipeline/runs", R"({"only":"nope"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  HttpResult listed = client.Get("/api/v1/pipeline/runs?n=2");
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find(Field(run2, "run_id")), std::string::npos) << listed.body;

  ExitStatus release =
      RunReco({"release", "--server", server.url(), "--poll", "0.2", "--timeout", "60"},
              dir.path() / "release2.log");
  EXPECT_TRUE(release.Ok()) << ReadFile(dir.path() / "release2.log") << server.log();
  std::string run3 = LatestRun(data, log);
  EXPECT_EQ(Field(run3, "published"), "true") << run3;
  EXPECT_EQ(Field(run3, "trigger"), "api") << run3;
  std::string model3 = Field(run3, "train_models.run_id");
  HttpResult one = client.Get("/api/v1/pipeline/runs/" + Field(run3, "run_id"));
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(Field(one.body, "status"), "succeeded");
  registry = ReadFile(data / "models" / "model_registry.json");
  size_t at = registry.find("\"run_id\":\"" + model3 + "\"");
  ASSERT_NE(at, std::string::npos) << registry;
  EXPECT_NE(registry.find("\"production\"", at), std::string::npos) << registry;
  HttpResult metrics = client.Get("/metrics");
  EXPECT_NE(metrics.body.find("data_quality_score "), std::string::npos);
  server.Stop(SIGTERM);
}

}  // namespace
}  // namespace reco::itest
