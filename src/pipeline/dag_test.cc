#include "pipeline/dag.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"

namespace reco::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr TimestampUs kStart = 1'795'000'000LL * kMicrosPerSecond;  // 2026-11-18T...

// Three fake tasks a, b, c that record their calls; `fail[name]` failures are returned first.
class DagTest : public ::testing::Test {
 protected:
  std::vector<PipelineTask> Tasks() {
    std::vector<PipelineTask> tasks;
    for (std::string name : {"a", "b", "c"}) {
      tasks.push_back({name, [this, name](TaskContext& ctx) -> Status {
                         calls_.push_back(name);
                         clock_.Advance(kMicrosPerSecond);
                         ctx.Log("running " + name);
                         if (name == "a") ctx.SetOutput("a.out", "42");
                         if (name == "b") seen_a_out_ = ctx.Output("a.out").value_or("");
                         if (name == "a" && skip_c_) ctx.SkipLater("c", "nothing to do");
                         if (fail_[name] > 0) {
                           --fail_[name];
                           return codes_.contains(name) ? Status(codes_[name], "boom " + name)
                                                        : Unavailable("boom " + name);
                         }
                         ctx.SetSummary(name + " done");
                         return Status::Ok();
                       }});
    }
    return tasks;
  }
  PipelineRunner Runner(int retries = 1) {
    return PipelineRunner(dir_.path(), Tasks(), clock_, {.task_retries = retries, .seed = 7});
  }

  testing::TempDir dir_;
  FakeClock clock_{kStart};
  std::vector<std::string> calls_;
  std::map<std::string, int> fail_;
  std::map<std::string, StatusCode> codes_;
  std::string seen_a_out_;
  bool skip_c_ = false;
};

TEST_F(DagTest, RunsTasksInOrderAndRecordsTheRun) {
  PipelineRunner runner = Runner();
  Result<PipelineRun> run = runner.Run({.date = "2026-11-20"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(calls_, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(run->state, TaskState::kSucceeded);
  EXPECT_EQ(run->started, kStart);
  EXPECT_EQ(run->finished, kStart + 3 * kMicrosPerSecond);
  EXPECT_EQ(seen_a_out_, "42");
  ASSERT_EQ(run->tasks.size(), 3u);
  EXPECT_EQ(run->tasks[1].state, TaskState::kSucceeded);
  EXPECT_EQ(run->tasks[1].attempts, 1);
  EXPECT_EQ(run->tasks[1].started, kStart + kMicrosPerSecond);
  EXPECT_EQ(run->tasks[1].message, "b done");
  // run.json round-trips, and each task has its log.
  Result<PipelineRun> stored = runner.Get(run->run_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(PipelineRunToJson(*stored), PipelineRunToJson(*run));
  EXPECT_EQ(stored->request.date, "2026-11-20");
  EXPECT_EQ(stored->outputs.at("a.out"), "42");
  Result<std::string> log = ReadFile(dir_.path() / run->tasks[1].log_file);
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("running b"), std::string::npos);
  EXPECT_EQ(run->tasks[1].log_file, "pipeline/runs/" + run->run_id + "/b.log");
}

TEST_F(DagTest, ATaskCanSkipALaterOneWithAReason) {
  skip_c_ = true;
  PipelineRunner runner = Runner();
  Result<PipelineRun> run = runner.Run({});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(calls_, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(run->state, TaskState::kSucceeded);
  EXPECT_EQ(run->tasks[2].state, TaskState::kSkipped);
  EXPECT_EQ(run->tasks[2].message, "nothing to do");
  Result<PipelineRun> stored = runner.Get(run->run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->tasks[2].state, TaskState::kSkipped);
  EXPECT_EQ(stored->tasks[2].message, "nothing to do");
}

TEST_F(DagTest, DefaultDateIsTodayByTheClock) {
  clock_.Set(*ParseTimestamp("2026-11-24T03:00:00Z"));
  Result<PipelineRun> run = Runner().Run({});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->request.date, "2026-11-24");
  EXPECT_EQ(run->run_id.substr(0, 16), "20261124T030000Z");
}

TEST_F(DagTest, RetriesAFailedTaskThenSucceeds) {
  fail_["b"] = 1;
  Result<PipelineRun> run = Runner(/*retries=*/1).Run({});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"a", "b", "b", "c"}));
  EXPECT_EQ(run->state, TaskState::kSucceeded);
  EXPECT_EQ(run->tasks[1].attempts, 2);
}

TEST_F(DagTest, FailedRunStopsAndLeavesLaterTasksPending) {
  fail_["b"] = 5;
  Result<PipelineRun> run = Runner(/*retries=*/2).Run({});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"a", "b", "b", "b"}));
  EXPECT_EQ(run->state, TaskState::kFailed);
  EXPECT_EQ(run->reason, "b: boom b");
  EXPECT_EQ(run->tasks[1].state, TaskState::kFailed);
  EXPECT_EQ(run->tasks[1].attempts, 3);
  EXPECT_EQ(run->tasks[2].state, TaskState::kPending);
}

TEST_F(DagTest, ErrorsARetryCannotFixAreNotRetried) {
  fail_["a"] = 5;
  codes_["a"] = StatusCode::kFailedPrecondition;
  Result<PipelineRun> run = Runner(/*retries=*/3).Run({});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"a"}));
  EXPECT_EQ(run->tasks[0].attempts, 1);
}

TEST_F(DagTest, ResumeContinuesFromTheFailedTaskWithEarlierOutputs) {
  fail_["b"] = 2;
  PipelineRunner runner = Runner(/*retries=*/1);
  Result<PipelineRun> first = runner.Run({});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->state, TaskState::kFailed);
  calls_.clear();
  seen_a_out_.clear();
  Result<PipelineRun> resumed = runner.Run({.resume = first->run_id});
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(calls_, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(seen_a_out_, "42");
  EXPECT_EQ(resumed->run_id, first->run_id);
  EXPECT_EQ(resumed->state, TaskState::kSucceeded);
  EXPECT_EQ(resumed->resumes, 1);
  EXPECT_EQ(resumed->tasks[1].attempts, 3);
  // A succeeded run cannot be resumed.
  Result<PipelineRun> again = runner.Run({.resume = first->run_id});
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DagTest, FromSkipsEarlierTasksAndReusesTheirOutputs) {
  PipelineRunner runner = Runner();
  ASSERT_TRUE(runner.Run({}).ok());
  calls_.clear();
  seen_a_out_.clear();
  Result<PipelineRun> run = runner.Run({.from = "b"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(seen_a_out_, "42");
  EXPECT_EQ(run->tasks[0].state, TaskState::kSkipped);
  EXPECT_EQ(run->tasks[0].message, "before --from b");
}

TEST_F(DagTest, OnlyRunsOneTask) {
  Result<PipelineRun> run = Runner().Run({.only = "c"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"c"}));
  EXPECT_EQ(run->tasks[0].state, TaskState::kSkipped);
  EXPECT_EQ(run->tasks[2].state, TaskState::kSucceeded);
}

TEST_F(DagTest, RejectsUnknownTasksAndBadDates) {
  PipelineRunner runner = Runner();
  EXPECT_EQ(runner.Run({.only = "x"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runner.Run({.date = "2026-13-45"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runner.Run({.date = "yesterday"}).status().field(), "date");
  EXPECT_EQ(runner.Run({.mode = "canary"}).status().field(), "rollout");
  EXPECT_EQ(runner.Run({.resume = "20261124T030000Z-abcdef"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(DagTest, DryRunWritesNothingAndReportsEveryTask) {
  fail_["a"] = 5;
  std::vector<std::string> lines;
  PipelineRunner runner(dir_.path(), Tasks(), clock_,
                        {.log_sink = [&](std::string_view task, std::string_view line) {
                          lines.push_back(std::string(task) + ": " + std::string(line));
                        }});
  Result<PipelineRun> run = runner.Run({.dry_run = true});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(calls_, (std::vector<std::string>{"a", "a", "b", "c"}));
  EXPECT_EQ(run->state, TaskState::kFailed);
  EXPECT_TRUE(fs::is_empty(dir_.path()));
  EXPECT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "a: running a");
}

TEST_F(DagTest, SecondRunWhileOneHoldsTheLockIsRefusedNamingIt) {
  std::string first_id;
  Result<PipelineRun> second = Status(StatusCode::kInternal, "not run");
  std::vector<PipelineTask> tasks = {{"a", [&](TaskContext& ctx) -> Status {
                                        first_id = ctx.run().run_id;
                                        second = Runner().Run({});
                                        return Status::Ok();
                                      }}};
  PipelineRunner outer(dir_.path(), tasks, clock_, {.seed = 3});
  ASSERT_TRUE(outer.Run({}).ok());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("pipeline run " + first_id + " is already running"),
            std::string::npos)
      << second.status().message();
  // Released at the end: the next run goes ahead.
  EXPECT_TRUE(Runner().Run({}).ok());
}

TEST_F(DagTest, RunLeftRunningByADeadProcessIsMarkedInterrupted) {
  PipelineRunner runner = Runner();
  Result<PipelineRun> run = runner.Run({});
  ASSERT_TRUE(run.ok());
  // Simulate a crash: the record says running, the lock file names it, nobody holds the lock.
  PipelineRun crashed = *run;
  crashed.state = TaskState::kRunning;
  crashed.tasks[2].state = TaskState::kRunning;
  ASSERT_TRUE(
      WriteFileAtomic(runner.RunDir(run->run_id) / "run.json", PipelineRunToJson(crashed)).ok());
  ASSERT_TRUE(runner.Run({}).ok());
  Result<PipelineRun> after = runner.Get(run->run_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, TaskState::kFailed);
  EXPECT_EQ(after->tasks[2].state, TaskState::kFailed);
  Result<std::vector<PipelineRun>> all = runner.List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

}  // namespace
}  // namespace reco::pipeline
