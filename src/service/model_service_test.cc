#include "service/model_service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "models/model_files.h"
#include "registry/testing/record_run.h"
#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

class ModelServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(PutItems(4));
    model_ =
        std::make_unique<ModelService>(*models_, rollout_.get(), metrics_, dir_.path(), clock_);
  }

  // Popularity + latest files created now (the clock then moves on by a second).
  std::vector<ModelFile> WriteFiles() {
    Dataset dataset = reco::testing::LikesDataset(3, 4, {{0, 1}, {1, 1}, {2, 2}});
    const TimestampUs created = clock_.NowMicros();
    clock_.Advance(kMicrosPerSecond);
    auto pop = PopularityModel::Fit(dataset, {});
    auto latest = LatestModel::Fit(dataset, {});
    EXPECT_TRUE(pop.ok() && latest.ok());
    std::vector<ModelFile> files;
    for (std::string kind : {"popularity", "latest"}) {
      auto path = dir_.path() / "models" / ModelFileName(kind, created);
      std::filesystem::create_directories(path.parent_path());
      Status st = kind == "popularity" ? pop->Save(path, created) : latest->Save(path, created);
      EXPECT_TRUE(st.ok()) << st.ToString();
      files.push_back({kind, created, path});
    }
    return files;
  }

  double Reloads(const std::string& result) {
    return metrics_.AddCounter("model_reloads_total", "", {"result"})
        ->WithLabels({result})
        ->Value();
  }

  std::unique_ptr<ModelService> model_;
};

TEST_F(ModelServiceTest, ReloadsCountTheirResultAndShowWhatServes) {
  auto none = model_->Reload({});
  ASSERT_FALSE(none.ok());  // no model files yet
  EXPECT_EQ(Reloads("failed"), 1);
  EXPECT_EQ(model_->Serving().primary.bundle, nullptr);

  WriteFiles();
  auto report = model_->Reload({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->selected_by, "newest_files");
  EXPECT_EQ(Reloads("ok"), 1);
  ServingVersions serving = model_->Serving();
  ASSERT_NE(serving.primary.bundle, nullptr);
  EXPECT_EQ(serving.primary.bundle, models_->bundles().Get());
  EXPECT_EQ(serving.primary.rollout, 1.0);
  EXPECT_EQ(serving.canary.bundle, nullptr);
  EXPECT_EQ(serving.canary.rollout, 0.0);

  // A canary needs a registry: NotFound, counted as failed; the primary keeps serving.
  auto canary = model_->Reload({.mode = ServingVariant::kCanary, .rollout = 0.5});
  EXPECT_FALSE(canary.ok());
  EXPECT_EQ(Reloads("failed"), 2);
  EXPECT_EQ(model_->Serving().primary.bundle, serving.primary.bundle);

  model_->CountUnreadableReload();
  EXPECT_EQ(Reloads("failed"), 3);
  EXPECT_EQ(Reloads("rejected"), 0);
}

TEST_F(ModelServiceTest, RegistryAndRunsAreReadFromTheDataDir) {
  std::string first = reco::testing::RecordRun(dir_.path(), WriteFiles(), clock_);
  std::string second = reco::testing::RecordRun(dir_.path(), WriteFiles(), clock_);
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());

  auto registry = model_->Registry();
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  ASSERT_EQ(registry->versions.size(), 2u);
  EXPECT_EQ(registry->versions[0].run_id, first);

  auto newest = model_->ListRuns({.limit = 1});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->runs.size(), 1u);
  EXPECT_EQ(newest->runs[0].run_id, second);
  EXPECT_TRUE(newest->problems.empty());
  auto all = model_->ListRuns({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->runs.size(), 2u);
  EXPECT_EQ(all->runs[0].run_id, first);

  auto run = model_->GetRun(first);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->run_id, first);
  EXPECT_EQ(model_->GetRun("no_such_run").status().code(), StatusCode::kNotFound);
}

TEST_F(ModelServiceTest, WithoutADataDirRegistryReadsAreUnavailable) {
  ModelService without(*models_, nullptr, metrics_, {}, clock_);
  EXPECT_EQ(without.Registry().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(without.ListRuns({}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(without.GetRun("any").status().code(), StatusCode::kUnavailable);
  without.SyncVersionInfo();  // no rollout: nothing to do
}

}  // namespace
}  // namespace reco::service
