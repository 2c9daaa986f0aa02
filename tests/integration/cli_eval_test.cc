// `reco eval` end to end through the binary: a fixed split in LightGCN files, the JSON report's
// metric names and values, and the errors a user can cause.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

// Items 0 and 1 are liked together by users 0-3; item 2 is liked by everyone else. User 4 liked
// item 0 in training and item 1 in test: item-CF must rank item 1 first for that user.
void WriteSplit(const std::filesystem::path& dir) {
  std::ofstream train(dir / "train.txt");
  train << "0 0 1\n1 0 1\n2 0 1\n3 0 1\n4 0\n5 2\n6 2\n7 2 3\n";
  std::ofstream test(dir / "test.txt");
  test << "4 1\n7 4\n";
}

TEST(CliEval, FixedSplitWritesTheReportWithPaperMetricNames) {
  TempDataDir dir("cli_eval");
  WriteSplit(dir.path());
  auto report = dir.path() / "report.json";
  ExitStatus st =
      RunReco({"eval", "--train", (dir.path() / "train.txt").string(), "--test",
               (dir.path() / "test.txt").string(), "--format", "lightgcn", "--algo", "itemcf",
               "--set", "itemcf.shrinkage=0", "--k", "1,5", "--json", report.string()},
              dir.path() / "eval.log");
  ASSERT_TRUE(st.Ok()) << st.ToString() << "\n" << ReadFile(dir.path() / "eval.log");
  Json json(ReadFile(report));
  ASSERT_TRUE(json.ok()) << json.error();
  double recall1 = -1, ndcg5 = -1, minnorm1 = -1;
  ASSERT_FALSE(json["metrics"]["recall@1"].get(recall1));
  ASSERT_FALSE(json["metrics"]["ndcg@5"].get(ndcg5));
  ASSERT_FALSE(json["metrics"]["recall_minnorm@1"].get(minnorm1));
  // User 4 gets item 1 first (a hit); user 7's test item 4 is unknown to training and cannot be
  // ranked: recall@1 = (1 + 0) / 2.
  EXPECT_DOUBLE_EQ(recall1, 0.5);
  EXPECT_DOUBLE_EQ(minnorm1, 0.5);
  EXPECT_GT(ndcg5, 0.0);
  EXPECT_LE(ndcg5, 1.0);
  EXPECT_EQ(StringField(json.root(), "model"), "itemcf");
}

TEST(CliEval, UnknownAlgorithmAndMissingFileAreClearErrors) {
  TempDataDir dir("cli_eval_errors");
  WriteSplit(dir.path());
  ExitStatus st = RunReco(
      {"eval", "--train", (dir.path() / "train.txt").string(), "--test",
       (dir.path() / "test.txt").string(), "--format", "lightgcn", "--algo", "nope", "--k", "20"},
      dir.path() / "algo.log");
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(dir.path() / "algo.log").find("nope"), std::string::npos);
  st = RunReco({"eval", "--train", (dir.path() / "missing.txt").string(), "--test",
                (dir.path() / "test.txt").string(), "--format", "lightgcn", "--algo", "popular",
                "--k", "20"},
               dir.path() / "missing.log");
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(dir.path() / "missing.log").find("missing.txt"), std::string::npos);
  // A time cut in Unix seconds beyond year 9999 is an error, not an overflowed cut.
  for (const char* cut : {"1e300", "-9.5e12"}) {
    st = RunReco({"eval", "--data", (dir.path() / "train.txt").string(), "--format", "lightgcn",
                  "--protocol", "temporal", "--time-cut", cut, "--algo", "popular", "--k", "20"},
                 dir.path() / "cut.log");
    EXPECT_FALSE(st.Ok()) << cut;
    EXPECT_NE(ReadFile(dir.path() / "cut.log")
                  .find(std::string("--time-cut ") + cut + " is out of range"),
              std::string::npos)
        << ReadFile(dir.path() / "cut.log");
  }
}

// 48 users in 4 groups; group g likes items 10g..10g+9: user u has 5 of them in train and one
// more in test. A tiny budget and trial limit keep `reco tune` fast.
void WriteGroupedSplit(const std::filesystem::path& dir) {
  std::ofstream train(dir / "train.txt");
  std::ofstream test(dir / "test.txt");
  for (int u = 0; u < 48; ++u) {
    const int g = u % 4;
    train << u;
    for (int i = 0; i < 5; ++i) train << ' ' << 10 * g + (u + i) % 10;
    train << '\n';
    test << u << ' ' << 10 * g + (u + 5) % 10 << '\n';
  }
}

TEST(CliTune, TuneWritesAConfigThatEvalAccepts) {
  TempDataDir dir("cli_tune");
  WriteGroupedSplit(dir.path());
  const auto config = dir.path() / "model.toml";
  ExitStatus st =
      RunReco({"tune", "--train", (dir.path() / "train.txt").string(), "--format", "lightgcn",
               "--budget-seconds", "60", "--max-trials", "4", "--algorithms", "popular,rp3beta",
               "--metric", "recall@5", "--out", config.string()},
              dir.path() / "tune.log");
  ASSERT_TRUE(st.Ok()) << st.ToString() << "\n" << ReadFile(dir.path() / "tune.log");
  const std::string toml = ReadFile(config);
  EXPECT_NE(toml.find("[algorithm]"), std::string::npos) << toml;
  EXPECT_NE(toml.find("metric = \"recall@5\""), std::string::npos) << toml;
  Json trials(ReadFile(dir.path() / "model.toml.trials.json"));
  ASSERT_TRUE(trials.ok()) << trials.error();

  const auto report = dir.path() / "report.json";
  st = RunReco({"eval", "--train", (dir.path() / "train.txt").string(), "--test",
                (dir.path() / "test.txt").string(), "--format", "lightgcn", "--config",
                config.string(), "--k", "5", "--json", report.string()},
               dir.path() / "eval.log");
  ASSERT_TRUE(st.Ok()) << st.ToString() << "\n" << ReadFile(dir.path() / "eval.log");
  Json json(ReadFile(report));
  ASSERT_TRUE(json.ok()) << json.error();
  double recall5 = -1;
  ASSERT_FALSE(json["metrics"]["recall@5"].get(recall5));
  // Popularity cannot find the group items; the tuned model does for most users.
  EXPECT_GT(recall5, 0.5);
  EXPECT_NE(StringField(json.root(), "model"), "popular");
}

TEST(CliTune, ConfigExcludesAlgoAndSet) {
  TempDataDir dir("cli_tune_errors");
  WriteSplit(dir.path());
  const auto config = dir.path() / "model.toml";
  std::ofstream(config) << "[algorithm]\nname = \"popular\"\n";
  const std::vector<std::string> base = {"eval",
                                         "--train",
                                         (dir.path() / "train.txt").string(),
                                         "--test",
                                         (dir.path() / "test.txt").string(),
                                         "--format",
                                         "lightgcn",
                                         "--k",
                                         "5"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ExitStatus st = RunReco(with({"--config", config.string()}), dir.path() / "ok.log");
  EXPECT_TRUE(st.Ok()) << ReadFile(dir.path() / "ok.log");
  st = RunReco(with({"--config", config.string(), "--algo", "itemcf"}), dir.path() / "a.log");
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(dir.path() / "a.log").find("either --algo"), std::string::npos);
  st = RunReco(with({"--config", config.string(), "--set", "itemcf.neighbors=3"}),
               dir.path() / "s.log");
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(dir.path() / "s.log").find("--set cannot be combined"), std::string::npos);
  st = RunReco(with({"--config", (dir.path() / "nope.toml").string()}), dir.path() / "n.log");
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(dir.path() / "n.log").find("nope.toml"), std::string::npos);
}

}  // namespace
}  // namespace reco::itest
