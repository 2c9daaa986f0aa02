#include "service/pipeline_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/time.h"
#include "data/testing/temp_dir.h"
#include "pipeline/launcher.h"

namespace reco::service {
namespace {

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

class PipelineServiceTest : public ::testing::Test {
 protected:
  PipelineServiceTest()
      : launcher_(pipeline::PipelineEnv{.data_dir = dir_.path(), .clock = &clock_}, 0),
        service_([this](pipeline::RunRequest request) { return launcher_.Start(std::move(request)); },
                 dir_.path(), clock_) {}

  // A finished run record, as the runner writes it.
  void WriteRun(const std::string& id, TimestampUs started) {
    pipeline::PipelineRun run;
    run.run_id = id;
    run.state = pipeline::TaskState::kSucceeded;
    run.started = started;
    run.finished = started + kMicrosPerSecond;
    WriteRunFile(id, pipeline::PipelineRunToJson(run));
  }
  void WriteRunFile(const std::string& id, const std::string& text) {
    auto dir = dir_.path() / std::string(pipeline::kPipelineRunsDir) / id;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "run.json") << text;
  }

  reco::testing::TempDir dir_{"pipeline_service"};
  FakeClock clock_{kT0};
  pipeline::PipelineLauncher launcher_;
  PipelineService service_;
};

TEST_F(PipelineServiceTest, ListsTheNewestRunsFirstAndReportsUnreadableOnes) {
  WriteRun("run_a", kT0 - 3 * kMicrosPerSecond);
  WriteRun("run_b", kT0 - 2 * kMicrosPerSecond);
  WriteRun("run_c", kT0 - 1 * kMicrosPerSecond);
  WriteRunFile("run_broken", "{not json");

  auto two = service_.List({.n = 2});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->runs.size(), 2u);
  EXPECT_EQ(two->runs[0].run_id, "run_c");
  EXPECT_EQ(two->runs[1].run_id, "run_b");
  ASSERT_EQ(two->problems.size(), 1u);
  EXPECT_NE(two->problems[0].find("run_broken"), std::string::npos) << two->problems[0];

  auto all = service_.List({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->runs.size(), 3u);

  auto b = service_.Get("run_b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->state, pipeline::TaskState::kSucceeded);
  EXPECT_EQ(service_.Get("run_none").status().code(), StatusCode::kNotFound);
}

TEST_F(PipelineServiceTest, ADryRunIsRefusedWithoutStarting) {
  auto started = service_.Start({.dry_run = true, .trigger = "api"});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(started.status().field(), "dry_run");
  auto runs = service_.List({});
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->runs.empty());
}

}  // namespace
}  // namespace reco::service
