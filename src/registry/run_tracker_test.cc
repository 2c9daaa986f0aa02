#include "registry/run_tracker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"

namespace reco::registry {
namespace {

// 2026-11-24T03:00:00Z
constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;

TEST(RunId, SortsByStartTimeAndCarriesSixHexDigits) {
  EXPECT_EQ(MakeRunId(kT0, 0x1a2b3c), "20261124T030000Z-1a2b3c");
  EXPECT_EQ(MakeRunId(kT0 + 59 * kMicrosPerSecond + 999'999, 0xff), "20261124T030059Z-0000ff");
  EXPECT_LT(MakeRunId(kT0, 0xffffff), MakeRunId(kT0 + kMicrosPerSecond, 0));
}

TEST(RunId, RejectsNamesThatCouldEscapeTheRunsDirectory) {
  EXPECT_TRUE(ValidateRunId("20261124T030000Z-1a2b3c").ok());
  EXPECT_TRUE(ValidateRunId("manual_run.1").ok());
  for (std::string_view bad : {"", "../x", "a/b", ".hidden", "a b", "x\\y"}) {
    Status st = ValidateRunId(bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "run_id");
  }
  EXPECT_FALSE(ValidateRunId(std::string(129, 'a')).ok());
}

RunRecord SampleRun() {
  RunRecord run;
  run.run_id = "20261124T030000Z-abcdef";
  run.status = RunStatus::kSucceeded;
  run.started = kT0;
  run.finished = kT0 + 2'500'000;
  run.duration_seconds = 2.5;
  run.algorithm = "itemcf";
  run.params = {{"itemcf_neighbors", "100"}, {"itemcf_shrinkage", "10"}};
  run.metrics = {{"ndcg@10", 0.125}, {"itemcf.items", 300}};
  run.data.snapshot_id = "snap-1";
  run.data.watermarks = {{"json_dir", "2026-11-23T00:00:00Z"}};
  run.data.row_counts = {{"users", 200}, {"positives", 4000}};
  run.code_version = "abc1234";
  run.artifacts = {{"models/itemcf-1.rmdl", "itemcf", 42, std::string(64, 'a')}};
  return run;
}

TEST(RunJson, RoundTripsEveryField) {
  RunRecord run = SampleRun();
  Result<RunRecord> back = RunFromJson(RunToJson(run), "r.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->run_id, run.run_id);
  EXPECT_EQ(back->status, RunStatus::kSucceeded);
  EXPECT_EQ(back->started, kT0);
  EXPECT_EQ(back->finished, kT0 + 2'500'000);
  EXPECT_DOUBLE_EQ(back->duration_seconds, 2.5);
  EXPECT_EQ(back->params, run.params);
  EXPECT_EQ(back->metrics, run.metrics);
  EXPECT_EQ(back->data.snapshot_id, "snap-1");
  EXPECT_EQ(back->data.watermarks, run.data.watermarks);
  EXPECT_EQ(back->data.row_counts, run.data.row_counts);
  EXPECT_EQ(back->code_version, "abc1234");
  ASSERT_EQ(back->artifacts.size(), 1u);
  EXPECT_EQ(back->artifacts[0].path, "models/itemcf-1.rmdl");
  EXPECT_EQ(back->artifacts[0].bytes, 42u);
  EXPECT_EQ(back->artifacts[0].sha256, std::string(64, 'a'));
}

TEST(RunJson, ErrorsNameTheFileAndTheField) {
  Result<RunRecord> bad =
      RunFromJson(R"({"run_id":"x","status":"done","started":"2026-01-01"})", "runs/x.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("runs/x.json: field 'status'"), std::string::npos)
      << bad.status().message();
  Result<RunRecord> metric = RunFromJson(
      R"({"run_id":"x","status":"failed","started":"2026-01-01","metrics":{"auc":"high"}})",
      "runs/x.json");
  ASSERT_FALSE(metric.ok());
  EXPECT_NE(metric.status().message().find("field 'metrics.auc' is not a number"),
            std::string::npos)
      << metric.status().message();
  EXPECT_FALSE(RunFromJson("{not json", "runs/y.json").ok());
}

TEST(Sha256File, MatchesKnownDigestAndCountsBytes) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "abc", "abc").ok());
  uint64_t bytes = 0;
  Result<std::string> sha = Sha256File(dir.path() / "abc", &bytes);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(bytes, 3u);
  EXPECT_EQ(Sha256File(dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

TEST(RunTracker, StartFinishGetAndList) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  RunTracker tracker(dir.path(), clock, {.seed = 7});
  Result<RunRecord> run = tracker.Start("itemcf", {{"k", "1"}});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->run_id.starts_with("20261124T030000Z-")) << run->run_id;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "runs" / (run->run_id + ".json")));

  Result<RunRecord> stored = tracker.Get(run->run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, RunStatus::kRunning);
  EXPECT_EQ(stored->finished, 0);

  clock.Advance(90 * kMicrosPerSecond);
  ASSERT_TRUE(tracker.Finish(*run, Status::Ok()).ok());
  stored = tracker.Get(run->run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, RunStatus::kSucceeded);
  EXPECT_DOUBLE_EQ(stored->duration_seconds, 90.0);
  EXPECT_EQ(stored->code_version, CodeVersion());

  clock.Advance(3600 * kMicrosPerSecond);
  Result<RunRecord> failed = tracker.Start("itemcf", {});
  ASSERT_TRUE(failed.ok());
  ASSERT_TRUE(tracker.Finish(*failed, Unavailable("store is down")).ok());
  Result<std::vector<RunRecord>> all = tracker.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].run_id, run->run_id);  // oldest first
  EXPECT_EQ((*all)[1].status, RunStatus::kFailed);
  EXPECT_EQ((*all)[1].error, "UNAVAILABLE: store is down");
}

TEST(RunTracker, RunsStartedInTheSameSecondGetDistinctIds) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  std::set<std::string> ids;
  // Two trackers with the same seed produce the same suffixes: the second must still get a
  // distinct id because the first id is already taken on disk.
  RunTracker a(dir.path(), clock, {.seed = 3});
  RunTracker b(dir.path(), clock, {.seed = 3});
  for (int i = 0; i < 5; ++i) {
    Result<RunRecord> ra = a.Start("x", {});
    Result<RunRecord> rb = b.Start("x", {});
    ASSERT_TRUE(ra.ok() && rb.ok());
    ids.insert(ra->run_id);
    ids.insert(rb->run_id);
  }
  EXPECT_EQ(ids.size(), 10u);
}

TEST(RunTracker, ListOrdersRunsOfOneSecondByStartTime) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  RunTracker tracker(dir.path(), clock, {.seed = 5});
  std::vector<std::string> started;
  for (int i = 0; i < 20; ++i) {  // all within one second: ids differ only by their suffix
    Result<RunRecord> run = tracker.Start("x", {});
    ASSERT_TRUE(run.ok());
    started.push_back(run->run_id);
    clock.Advance(1000);
  }
  Result<std::vector<RunRecord>> runs = tracker.List();
  ASSERT_TRUE(runs.ok());
  std::vector<std::string> listed;
  for (const RunRecord& r : *runs) listed.push_back(r.run_id);
  EXPECT_EQ(listed, started);
}

TEST(RunTracker, AddMetricsMergesIntoTheStoredRecord) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  RunTracker tracker(dir.path(), clock, {.seed = 1});
  Result<RunRecord> run = tracker.Start("x", {});
  ASSERT_TRUE(run.ok());
  run->metrics["fit_seconds"] = 3;
  ASSERT_TRUE(tracker.Finish(*run, Status::Ok()).ok());
  ASSERT_TRUE(tracker.AddMetrics(run->run_id, {{"ndcg@10", 0.25}}).ok());
  Result<RunRecord> stored = tracker.Get(run->run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->metrics,
            (std::map<std::string, double>{{"fit_seconds", 3}, {"ndcg@10", 0.25}}));
  EXPECT_EQ(tracker.AddMetrics("20991231T000000Z-000000", {}).code(), StatusCode::kNotFound);
}

TEST(RunTracker, GetNamesTheMissingRunAndListSkipsBrokenFiles) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  RunTracker tracker(dir.path(), clock, {.seed = 1});
  Status missing = tracker.Get("20261124T030000Z-000001").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("run 20261124T030000Z-000001 not found"), std::string::npos);
  EXPECT_EQ(tracker.Get("../etc/passwd").status().code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(tracker.Start("x", {}).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "runs" / "broken.json", "{\"run_id\":").ok());
  Result<RunRecord> broken = tracker.Get("broken");
  EXPECT_EQ(broken.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(broken.status().message().find("broken.json: not valid JSON"), std::string::npos)
      << broken.status().message();
  std::vector<std::string> problems;
  Result<std::vector<RunRecord>> all = tracker.List(&problems);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("broken.json"), std::string::npos);
}

}  // namespace
}  // namespace reco::registry
