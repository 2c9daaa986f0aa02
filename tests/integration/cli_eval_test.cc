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
}

}  // namespace
}  // namespace reco::itest
