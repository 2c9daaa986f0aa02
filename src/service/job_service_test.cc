#include "service/job_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "data/testing/temp_dir.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::service {
namespace {

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

JobSpec Job(std::string name, std::string cron) {
  JobSpec spec;
  spec.name = std::move(name);
  spec.cron = std::move(cron);
  spec.body = [](const JobContext&) { return Status::Ok(); };
  return spec;
}

class JobServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    SchedulerOptions options;
    options.holder = "here";
    auto scheduler = Scheduler::Create({Job("nightly", "0 3 * * *"), Job("manual", "")}, *store_,
                                       clock_, options);
    ASSERT_TRUE(scheduler.ok()) << scheduler.status().ToString();
    scheduler_ = std::move(scheduler).value();
    jobs_ = std::make_unique<JobService>(*scheduler_, *store_);
  }

  reco::testing::TempDir dir_{"job_service"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{kT0};
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<JobService> jobs_;
};

TEST_F(JobServiceTest, ListsTheJobsAndWhoRunsThem) {
  auto list = jobs_->List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->jobs.size(), 2u);
  std::vector<std::string> names;
  for (const JobInfo& job : list->jobs) names.push_back(job.name);
  EXPECT_EQ(names, (std::vector<std::string>{"nightly", "manual"}));
  EXPECT_EQ(list->holder, "here");
  EXPECT_FALSE(list->is_leader);  // never ticked: no lease taken
  EXPECT_EQ(list->leader, "");
}

TEST_F(JobServiceTest, ManualRunsAreQueuedAndReadBack) {
  auto created = jobs_->Trigger("manual");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->run_id, 0);
  EXPECT_EQ(created->job, "manual");
  EXPECT_EQ(created->status, "queued");
  EXPECT_EQ(jobs_->Trigger("no_such_job").status().code(), StatusCode::kNotFound);

  JobRunFilter filter;
  filter.job = "manual";
  auto runs = jobs_->ListRuns(filter);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().id, created->run_id);
  EXPECT_EQ(runs->front().trigger, "manual");
  auto run = jobs_->GetRun(created->run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "queued");
  EXPECT_EQ(jobs_->GetRun(created->run_id + 100).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::service
