// Run tracking and the model registry end to end: two training runs recorded in a real data
// dir, `reco models promote|rollback|verify|list` and `reco runs list|show` through the binary,
// and GET /api/v1/models, /api/v1/runs, /api/v1/runs/{id} on a real `reco serve`.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "registry/model_registry.h"
#include "tests/integration/registry_fixtures.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

using registry::ModelRegistry;

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

struct CliResult {
  bool ok = false;
  std::string output;
};

CliResult Cli(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  static int counter = 0;
  auto log = dir / ("cli" + std::to_string(counter++) + ".log");
  ExitStatus st = RunReco(args, log);
  return {st.Ok(), ReadFile(log)};
}

// run id -> aliases, from the registry JSON.
std::map<std::string, std::vector<std::string>> Aliases(std::string_view registry_json) {
  std::map<std::string, std::vector<std::string>> out;
  Json doc(registry_json);
  simdjson::dom::array versions;
  if (doc["versions"].get_array().get(versions)) return out;
  for (simdjson::dom::element v : versions) {
    auto& aliases = out[StringField(v, "run_id")];
    simdjson::dom::array array;
    if (v["aliases"].get_array().get(array)) continue;
    for (simdjson::dom::element a : array) aliases.emplace_back(a.get_string().value());
  }
  return out;
}

class RegistryEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(PrepareDemoData(data_, {.users = 80, .items = 120, .seed = 5}), "");
    auto log = dir_.path() / "train2.log";
    ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log).Ok()) << ReadFile(log);
    // `reco train` registers its own runs; this fixture builds its registry from the two
    // trainings' files with a fake clock instead.
    std::filesystem::remove(data_ / "models" / "model_registry.json");
    std::filesystem::remove(data_ / "models" / "model_registry.json.bak");
    std::filesystem::remove_all(data_ / "runs");
    auto outputs = TrainingOutputs(data_);
    ASSERT_GE(outputs.size(), 2u);
    const std::map<std::string, std::string> params = {{"itemcf_neighbors", "100"}};
    run_a_ = RecordRun(data_, outputs[outputs.size() - 2], clock_,
                       {.params = params, .metrics = {{"ndcg@10", 0.10}}});
    clock_.Advance(3600 * kMicrosPerSecond);
    run_b_ = RecordRun(data_, outputs.back(), clock_,
                       {.params = params, .metrics = {{"ndcg@10", 0.12}}});
  }

  TempDataDir dir_{"registry_e2e"};
  std::filesystem::path data_;
  FakeClock clock_{kT0};
  std::string run_a_, run_b_;
};

TEST_F(RegistryEndToEnd, CliPromotesRollsBackAndVerifies) {
  std::string d = data_.string();
  CliResult r =
      Cli(dir_.path(), {"models", "promote", run_a_, "--alias", "production", "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  r = Cli(dir_.path(), {"models", "promote", run_b_, "--alias", "production", "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  r = Cli(dir_.path(), {"models", "list", "--json", "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  auto aliases = Aliases(r.output);
  EXPECT_EQ(aliases[run_a_], std::vector<std::string>{"previous"});
  EXPECT_EQ(aliases[run_b_], std::vector<std::string>{"production"});

  r = Cli(dir_.path(), {"models", "rollback", "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_NE(r.output.find("production is now " + run_a_), std::string::npos) << r.output;
  r = Cli(dir_.path(), {"models", "rollback", run_b_, "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  aliases = Aliases(ReadFile(data_ / "models" / "model_registry.json"));
  EXPECT_EQ(aliases[run_b_], std::vector<std::string>{"production"});

  r = Cli(dir_.path(), {"models", "list", "--data-dir", d});
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_NE(r.output.find("ndcg@10=0.12"), std::string::npos) << r.output;

  r = Cli(dir_.path(),
          {"models", "promote", "20990101T000000Z-000000", "--alias", "canary", "--data-dir", d});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("is not a registered model version"), std::string::npos) << r.output;
  r = Cli(dir_.path(), {"models", "promote", run_a_, "--alias", "beta", "--data-dir", d});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("unknown alias 'beta'"), std::string::npos) << r.output;

  r = Cli(dir_.path(), {"models", "verify", "--data-dir", d});
  EXPECT_TRUE(r.ok) << r.output;
  // Flip one byte of one of production's files.
  auto version = ModelRegistry(data_, clock_).Resolve("production").value();
  auto path = data_ / version.artifacts[0].path;
  std::string bytes = ReadFile(path);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  r = Cli(dir_.path(), {"models", "verify", "--data-dir", d});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("artifact " + version.artifacts[0].path + " of run " + run_b_ +
                          ": sha256 mismatch"),
            std::string::npos)
      << r.output;
}

TEST_F(RegistryEndToEnd, CliShowsRuns) {
  CliResult r = Cli(dir_.path(), {"runs", "list", "--data-dir", data_.string()});
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_LT(r.output.find(run_a_), r.output.find(run_b_)) << r.output;  // oldest first
  r = Cli(dir_.path(), {"runs", "show", run_b_, "--json", "--data-dir", data_.string()});
  ASSERT_TRUE(r.ok) << r.output;
  Json run(r.output);
  ASSERT_TRUE(run.ok()) << r.output;
  EXPECT_EQ(StringField(run.root(), "status"), "succeeded");
  EXPECT_EQ(StringField(run.root(), "started"), "2026-11-24T04:00:30Z");
  double duration = 0;
  ASSERT_FALSE(run["duration_seconds"].get(duration));
  EXPECT_DOUBLE_EQ(duration, 30.0);
  r = Cli(dir_.path(), {"runs", "show", "nope", "--data-dir", data_.string()});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("run nope not found"), std::string::npos) << r.output;
}

TEST_F(RegistryEndToEnd, RestServesTheRegistryAndRuns) {
  ASSERT_TRUE(ModelRegistry(data_, clock_).Promote(run_a_, "production").ok());
  ASSERT_TRUE(ModelRegistry(data_, clock_).Promote(run_b_, "canary").ok());
  TestServer server;
  ASSERT_EQ(server.Start(data_), "");
  HttpClient client(server.port());

  HttpResult models = client.Get("/api/v1/models");
  ASSERT_EQ(models.status, 200) << models.body;
  auto aliases = Aliases(models.body);
  ASSERT_EQ(aliases.size(), 2u) << models.body;
  EXPECT_EQ(aliases[run_a_], std::vector<std::string>{"production"});
  EXPECT_EQ(aliases[run_b_], std::vector<std::string>{"canary"});
  EXPECT_EQ(models.body, ReadFile(data_ / "models" / "model_registry.json"));

  HttpResult runs = client.Get("/api/v1/runs");
  ASSERT_EQ(runs.status, 200) << runs.body;
  Json list(runs.body);
  simdjson::dom::array array;
  ASSERT_FALSE(list["runs"].get_array().get(array)) << runs.body;
  ASSERT_EQ(array.size(), 2u);
  EXPECT_EQ(StringField(array.at(0), "run_id"), run_a_);
  HttpResult newest = client.Get("/api/v1/runs?limit=1");
  ASSERT_EQ(newest.status, 200);
  Json one(newest.body);
  ASSERT_FALSE(one["runs"].get_array().get(array));
  ASSERT_EQ(array.size(), 1u);
  EXPECT_EQ(StringField(array.at(0), "run_id"), run_b_);
  EXPECT_EQ(client.Get("/api/v1/runs?limit=0").status, 400);

  HttpResult run = client.Get("/api/v1/runs/" + run_b_);
  ASSERT_EQ(run.status, 200) << run.body;
  Json doc(run.body);
  EXPECT_EQ(StringField(doc.root(), "run_id"), run_b_);
  simdjson::dom::array artifacts;
  ASSERT_FALSE(doc["artifacts"].get_array().get(artifacts));
  EXPECT_GE(artifacts.size(), 3u);
  EXPECT_EQ(StringField(artifacts.at(0), "sha256").size(), 64u);

  HttpResult missing = client.Get("/api/v1/runs/20990101T000000Z-000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(ErrorMessage(missing.body).find("run 20990101T000000Z-000000 not found"),
            std::string::npos)
      << missing.body;
  HttpResult bad = client.Get("/api/v1/runs/..%2Fsecret");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(ErrorField(bad.body), "run_id");

  HttpResult openapi = client.Get("/api/v1/openapi.json");
  EXPECT_NE(openapi.body.find("\"/api/v1/runs/{run_id}\""), std::string::npos);
  EXPECT_NE(openapi.body.find("\"ModelRegistry\""), std::string::npos);

  // A corrupted registry is a 500 naming the file, never a crash or an empty list.
  std::ofstream(data_ / "models" / "model_registry.json", std::ios::trunc) << "{\"versions\": [";
  HttpResult broken = client.Get("/api/v1/models");
  EXPECT_EQ(broken.status, 500);
  EXPECT_NE(ErrorMessage(broken.body).find("model_registry.json: not valid JSON"),
            std::string::npos)
      << broken.body;
}

}  // namespace
}  // namespace reco::itest
