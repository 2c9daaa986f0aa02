#include "training/training_run.h"

#include <gtest/gtest.h>

#include "data/testing/shop_store.h"
#include "data/testing/temp_dir.h"

namespace reco::training {
namespace {

using registry::ModelRegistry;
using registry::ModelVersion;
using registry::RunArtifact;
using registry::RunRecord;
using registry::RunStatus;
using registry::RunTracker;
using registry::Sha256File;

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

testing::FakeStore SmallStore() {
  return testing::ShopStore({.items = 4, .users = 5, .likes_cycle = 4});
}

TEST(TrainAndRegister, RecordsTheRunAndRegistersItsModelFiles) {
  testing::FakeStore store = SmallStore();
  testing::TempDir dir("training_run");
  FakeClock clock(kT0);
  RecoConfig config;
  config.recommend.itemcf_neighbors = 7;
  TrainOptions options;
  options.num_threads = 1;
  Result<TrainedVersion> trained =
      TrainAndRegister(store, config, dir.path(), clock, options,
                       {.watermarks = {{"store", "42"}}, .row_counts = {{"extracted_rows", 15}}});
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  const RunRecord& run = trained->run;
  EXPECT_TRUE(run.run_id.starts_with("20261124T030000Z-")) << run.run_id;
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
  EXPECT_EQ(run.algorithm.substr(0, 24), "popularity+latest+itemcf");
  EXPECT_EQ(run.params.at("itemcf_neighbors"), "7");
  EXPECT_EQ(run.data.watermarks.at("store"), "42");
  EXPECT_EQ(run.data.row_counts.at("users"), 5);
  EXPECT_EQ(run.data.row_counts.at("items"), 4);
  EXPECT_EQ(run.data.row_counts.at("extracted_rows"), 15);
  EXPECT_FALSE(run.data.snapshot_id.empty());
  EXPECT_DOUBLE_EQ(run.metrics.at("latest.entries"), 4);
  ASSERT_GE(run.artifacts.size(), 3u);
  EXPECT_EQ(run.artifacts[0].kind, "popularity");
  EXPECT_TRUE(run.artifacts[0].path.starts_with("models/popularity-")) << run.artifacts[0].path;
  for (const RunArtifact& a : run.artifacts) {
    uint64_t bytes = 0;
    EXPECT_EQ(Sha256File(dir.path() / a.path, &bytes).value(), a.sha256);
    EXPECT_EQ(bytes, a.bytes);
  }

  RunTracker tracker(dir.path(), clock);
  Result<RunRecord> stored = tracker.Get(run.run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->artifacts.size(), run.artifacts.size());
  ModelRegistry registry(dir.path(), clock);
  Result<ModelVersion> version = registry.Get(run.run_id);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->snapshot_id, run.data.snapshot_id);
  EXPECT_TRUE(registry.VerifyArtifacts(*version).ok());
}

TEST(TrainAndRegister, RetentionDeletesUnaliasedOldVersions) {
  testing::FakeStore store = SmallStore();
  testing::TempDir dir("training_run");
  FakeClock clock(kT0);
  RecoConfig config;
  config.registry.keep_versions = 1;
  Result<TrainedVersion> first = TrainAndRegister(store, config, dir.path(), clock);
  ASSERT_TRUE(first.ok());
  ModelRegistry registry(dir.path(), clock);
  ASSERT_TRUE(registry.Promote(first->run.run_id, "production").ok());
  clock.Advance(3600 * kMicrosPerSecond);
  Result<TrainedVersion> second = TrainAndRegister(store, config, dir.path(), clock);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->retention.removed_versions.empty());  // first is production
  clock.Advance(3600 * kMicrosPerSecond);
  Result<TrainedVersion> third = TrainAndRegister(store, config, dir.path(), clock);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->retention.removed_versions, std::vector<std::string>{second->run.run_id});
  for (const RunArtifact& a : second->run.artifacts) {
    EXPECT_FALSE(std::filesystem::exists(dir.path() / a.path)) << a.path;
  }
  for (const RunArtifact& a : first->run.artifacts) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() / a.path)) << a.path;
  }
  // The run record stays as history.
  EXPECT_TRUE(RunTracker(dir.path(), clock).Get(second->run.run_id).ok());
}

TEST(TrainAndRegister, AFailedTrainingIsRecordedAndNotRegistered) {
  testing::FakeStore store = SmallStore();
  store.fail_scans = true;
  testing::TempDir dir("training_run");
  FakeClock clock(kT0);
  Result<TrainedVersion> trained = TrainAndRegister(store, RecoConfig{}, dir.path(), clock);
  ASSERT_FALSE(trained.ok());
  EXPECT_NE(trained.status().message().find("training run 20261124T030000Z-"), std::string::npos)
      << trained.status().message();
  RunTracker tracker(dir.path(), clock);
  Result<std::vector<RunRecord>> runs = tracker.List();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, RunStatus::kFailed);
  EXPECT_NE((*runs)[0].error.find("fake store is down"), std::string::npos);
  EXPECT_TRUE(ModelRegistry(dir.path(), clock).Load()->versions.empty());
}

TEST(RecordTrainReport, RejectsAModelFileOutsideTheDataDir) {
  testing::TempDir dir("training_run");
  TrainReport report;
  report.models.push_back({.kind = "itemcf", .file = "/elsewhere/itemcf.rmdl"});
  RunRecord run;
  Status st = RecordTrainReport(report, dir.path(), run);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("outside the data dir"), std::string::npos);
}

}  // namespace
}  // namespace reco::training
