// Scheduler behaviour on a real sqlite store, driven by a FakeClock through Tick(): no sleeps.
// Bodies run on threads of their own; WaitIdle() (or a future) synchronises with them.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "cache/memory_cache.h"
#include "data/testing/temp_dir.h"
#include "scheduler/default_jobs.h"
#include "store/sqlite/sqlite_store.h"

namespace reco {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;

TimestampUs T(const char* text) { return ParseTimestamp(text).value(); }

std::unique_ptr<Store> OpenStore(const std::filesystem::path& dir) {
  SqliteStoreOptions options;
  options.path = dir / "reco.db";
  options.reader_connections = 2;
  auto store = OpenSqliteStore(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

JobSpec Job(std::string name, std::string cron, JobBody body) {
  JobSpec spec;
  spec.name = std::move(name);
  spec.cron = std::move(cron);
  spec.body = std::move(body);
  spec.max_retries = 3;
  spec.backoff_seconds = 10;
  spec.timeout_seconds = 60;
  return spec;
}

JobBody Counting(std::atomic<int>& count) {
  return [&count](const JobContext&) {
    ++count;
    return Status::Ok();
  };
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : store_(OpenStore(dir_.path())), clock_(T("2026-11-24T02:59:30Z")) {}

  std::unique_ptr<Scheduler> Make(std::vector<JobSpec> jobs, std::string holder = "a",
                                  Store* store = nullptr) {
    SchedulerOptions options;
    options.holder = std::move(holder);
    options.lease_seconds = 30;
    auto s = Scheduler::Create(std::move(jobs), store ? *store : *store_, clock_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
  JobRunRecord Run(int64_t id) { return store_->GetJobRun(id).value(); }
  void Tick(Scheduler& s) {
    ASSERT_TRUE(s.Tick().ok());
    s.WaitIdle();
  }

  testing::TempDir dir_{"reco_scheduler_test"};
  std::unique_ptr<Store> store_;
  FakeClock clock_;
};

TEST_F(SchedulerTest, ScheduledJobRunsOnceAtItsCronTime) {
  std::atomic<int> count{0};
  auto s = Make({Job("train", "0 3 * * *", Counting(count))});
  Tick(*s);
  EXPECT_EQ(count.load(), 0);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  Tick(*s);
  EXPECT_EQ(count.load(), 1);
  clock_.Set(T("2026-11-24T03:00:40Z"));
  Tick(*s);
  EXPECT_EQ(count.load(), 1);

  std::vector<JobRunRecord> runs = store_->ListJobRuns({}).value();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].job, "train");
  EXPECT_EQ(runs[0].trigger, kTriggerScheduled);
  EXPECT_EQ(runs[0].status, kRunSucceeded);
  EXPECT_EQ(runs[0].attempts, 1);
  EXPECT_EQ(runs[0].scheduled_for, T("2026-11-24T03:00:00Z"));
  EXPECT_EQ(runs[0].started, T("2026-11-24T03:00:00Z"));
  EXPECT_EQ(runs[0].finished, T("2026-11-24T03:00:00Z"));
  EXPECT_EQ(runs[0].holder, "a");

  auto jobs = s->ListJobs().value();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].next_run, T("2026-11-25T03:00:00Z"));
  ASSERT_TRUE(jobs[0].last_run.has_value());
  EXPECT_EQ(jobs[0].last_run->id, runs[0].id);
}

TEST_F(SchedulerTest, MissedCronTimesCoalesceIntoOneRun) {
  std::atomic<int> count{0};
  auto s = Make({Job("vectors", "0 * * * *", Counting(count))});
  Tick(*s);
  clock_.Set(T("2026-11-24T07:30:00Z"));  // 03:00 .. 07:00 missed
  Tick(*s);
  EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(store_->ListJobRuns({})->at(0).scheduled_for, T("2026-11-24T07:00:00Z"));
}

TEST_F(SchedulerTest, ManualTriggerQueuesARunThatTheNextTickStarts) {
  std::atomic<int> count{0};
  auto s = Make({Job("train", "", Counting(count))});
  int64_t id = s->Trigger("train").value();
  EXPECT_EQ(Run(id).status, kRunQueued);
  EXPECT_EQ(Run(id).trigger, kTriggerManual);
  Tick(*s);
  EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(Run(id).status, kRunSucceeded);
  EXPECT_EQ(s->GetRun(id)->holder, "a");
  EXPECT_EQ(s->Trigger("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s->GetRun(id + 100).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(s->ListJobs()->at(0).next_run.has_value());
}

TEST_F(SchedulerTest, FailedAttemptsAreRetriedAfterADoublingBackoff) {
  std::atomic<int> attempts{0};
  auto s = Make({Job("train", "", [&](const JobContext& ctx) -> Status {
    ++attempts;
    EXPECT_EQ(ctx.attempt(), attempts.load());
    if (ctx.attempt() < 3) return Internal("disk busy " + std::to_string(ctx.attempt()));
    return Status::Ok();
  })});
  const TimestampUs t0 = clock_.NowMicros();
  int64_t id = s->Trigger("train").value();
  Tick(*s);
  EXPECT_EQ(attempts.load(), 1);
  EXPECT_EQ(Run(id).status, kRunRunning);
  EXPECT_EQ(Run(id).error, "INTERNAL: disk busy 1");
  clock_.Set(t0 + 9 * kSecond);
  Tick(*s);
  EXPECT_EQ(attempts.load(), 1);
  clock_.Set(t0 + 10 * kSecond);  // backoff 10 s
  Tick(*s);
  EXPECT_EQ(attempts.load(), 2);
  clock_.Set(t0 + 29 * kSecond);
  Tick(*s);
  EXPECT_EQ(attempts.load(), 2);
  clock_.Set(t0 + 30 * kSecond);  // then 20 s
  Tick(*s);
  EXPECT_EQ(attempts.load(), 3);
  JobRunRecord run = Run(id);
  EXPECT_EQ(run.status, kRunSucceeded);
  EXPECT_EQ(run.attempts, 3);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.started, t0);
  EXPECT_EQ(run.finished, t0 + 30 * kSecond);
}

TEST_F(SchedulerTest, HugeBackoffWaitsInsteadOfOverflowingIntoAnImmediateRetry) {
  std::atomic<int> attempts{0};
  JobSpec spec = Job("train", "", [&](const JobContext&) -> Status {
    ++attempts;
    return Internal("disk busy");
  });
  spec.backoff_seconds = 1e13;  // 1e19 microseconds: beyond int64
  auto s = Make({std::move(spec)});
  ASSERT_TRUE(s->Trigger("train").ok());
  Tick(*s);
  ASSERT_EQ(attempts.load(), 1);
  clock_.Advance(3600 * kSecond);
  Tick(*s);
  EXPECT_EQ(attempts.load(), 1) << "the retry waits for the back-off";
}

TEST_F(SchedulerTest, RunFailsWhenRetriesAreExhausted) {
  JobSpec spec = Job("train", "", [](const JobContext& ctx) {
    return Internal("attempt " + std::to_string(ctx.attempt()));
  });
  spec.max_retries = 1;
  spec.backoff_seconds = 0;
  auto s = Make({spec});
  int64_t id = s->Trigger("train").value();
  Tick(*s);
  Tick(*s);
  Tick(*s);
  JobRunRecord run = Run(id);
  EXPECT_EQ(run.status, kRunFailed);
  EXPECT_EQ(run.attempts, 2);
  EXPECT_EQ(run.error, "INTERNAL: attempt 2");
}

TEST_F(SchedulerTest, ErrorsARetryCannotFixAreNotRetriedAndExceptionsAreInternal) {
  auto s = Make(
      {Job("profiles", "", [](const JobContext&) { return Unimplemented("no body"); }),
       Job("thrower", "", [](const JobContext&) -> Status { throw std::runtime_error("boom"); })});
  int64_t a = s->Trigger("profiles").value();
  int64_t b = s->Trigger("thrower").value();
  Tick(*s);
  EXPECT_EQ(Run(a).status, kRunFailed);
  EXPECT_EQ(Run(a).attempts, 1);
  EXPECT_EQ(Run(a).error, "UNIMPLEMENTED: no body");
  EXPECT_EQ(Run(b).status, kRunRunning);  // Internal: waiting for a retry
  EXPECT_EQ(Run(b).error, "INTERNAL: job threw an exception: boom");
}

TEST_F(SchedulerTest, OverrunningAttemptIsTimedOutCancelledAndNotOverlapped) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> saw_cancel{false};
  std::atomic<int> attempts{0};
  auto s = Make({Job("train", "", [&](const JobContext& ctx) {
    if (++attempts == 1) {
      released.wait();
      saw_cancel = ctx.cancelled();
    }
    return Status::Ok();
  })});
  const TimestampUs t0 = clock_.NowMicros();
  int64_t first = s->Trigger("train").value();
  ASSERT_TRUE(s->Tick().ok());
  clock_.Set(t0 + 59 * kSecond);
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(Run(first).status, kRunRunning);
  clock_.Set(t0 + 60 * kSecond);  // timeout 60 s
  ASSERT_TRUE(s->Tick().ok());
  JobRunRecord run = Run(first);
  EXPECT_EQ(run.status, kRunTimedOut);
  EXPECT_EQ(run.error, "timed out after 60 s (attempt 1)");
  EXPECT_EQ(run.finished, t0 + 60 * kSecond);
  // The body ignores the cancellation: the job does not start again until it returns.
  int64_t second = s->Trigger("train").value();
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(Run(second).status, kRunQueued);
  release.set_value();
  s->WaitIdle();
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_EQ(Run(first).status, kRunTimedOut);  // its late result is ignored
  Tick(*s);
  EXPECT_EQ(Run(second).status, kRunSucceeded);
  EXPECT_EQ(attempts.load(), 2);
}

TEST_F(SchedulerTest, ExactlyOneOfTwoSchedulersRunsEachDueJob) {
  std::unique_ptr<Store> other_store = OpenStore(dir_.path());  // a second process's handle
  std::atomic<int> count{0};
  auto a = Make({Job("vectors", "0 * * * *", Counting(count))}, "a");
  auto b = Make({Job("vectors", "0 * * * *", Counting(count))}, "b", other_store.get());
  Tick(*a);
  Tick(*b);
  EXPECT_TRUE(a->is_leader());
  EXPECT_FALSE(b->is_leader());
  clock_.Set(T("2026-11-24T02:59:45Z"));  // a renews every 10 s (lease 30 s / 3)
  Tick(*a);
  Tick(*b);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  Tick(*b);
  Tick(*a);
  Tick(*b);
  EXPECT_FALSE(b->is_leader());
  EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(store_->ListJobRuns({})->at(0).holder, "a");

  // a dies: it stops ticking (and never releases the lease). Its lease was renewed at 03:00:00
  // and lasts 30 s; b takes over only after that.
  clock_.Set(T("2026-11-24T03:00:29Z"));
  Tick(*b);
  EXPECT_FALSE(b->is_leader());
  // A standby checks the lease every 10 s too: it leads within lease + lease / 3.
  clock_.Set(T("2026-11-24T03:00:39Z"));
  Tick(*b);
  EXPECT_TRUE(b->is_leader());
  clock_.Set(T("2026-11-24T04:00:00Z"));
  Tick(*b);
  EXPECT_EQ(count.load(), 2);
  // A late tick of the old leader neither regains the lease nor runs the job again.
  Tick(*a);
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(count.load(), 2);
  std::vector<JobRunRecord> runs = store_->ListJobRuns({}).value();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].holder, "b");
  EXPECT_EQ(runs[0].scheduled_for, T("2026-11-24T04:00:00Z"));
}

// With a cache lock (Redis in production; the memory cache on the same fake clock here) the
// store's lease row is never used, and each new leader gets a greater fencing token.
TEST_F(SchedulerTest, CacheLockElectsOneLeaderWithAFencingToken) {
  MemoryCache cache(clock_);
  std::atomic<int> count{0};
  auto make = [&](const std::string& holder) {
    SchedulerOptions options;
    options.holder = holder;
    options.lease_seconds = 30;
    options.lock_cache = &cache;
    options.lock_name = "reco:default:lock:scheduler";
    auto s = Scheduler::Create({Job("vectors", "0 * * * *", Counting(count))}, *store_, clock_,
                               options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  };
  auto a = make("a");
  auto b = make("b");
  Tick(*a);
  Tick(*b);
  ASSERT_TRUE(a->is_leader());
  EXPECT_FALSE(b->is_leader());
  const std::optional<FencingToken> token_a = a->fencing_token();
  ASSERT_TRUE(token_a.has_value());
  EXPECT_FALSE(b->fencing_token().has_value());
  EXPECT_EQ(store_->GetLease("scheduler").status().code(), StatusCode::kNotFound);
  clock_.Set(T("2026-11-24T02:59:45Z"));  // a renews every 10 s (lease 30 s / 3)
  Tick(*a);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  Tick(*a);
  Tick(*b);
  EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(a->fencing_token(), token_a);  // renewals keep the token

  // a dies without releasing: b leads once the lock expired, with a greater token.
  clock_.Set(T("2026-11-24T03:00:39Z"));
  Tick(*b);
  ASSERT_TRUE(b->is_leader());
  ASSERT_TRUE(b->fencing_token().has_value());
  EXPECT_GT(*b->fencing_token(), *token_a);
  Tick(*a);  // a late tick of the old leader does not take the lock back
  EXPECT_FALSE(a->is_leader());
  // Stop releases the lock: a leads at its next check.
  b->Stop();
  clock_.Set(T("2026-11-24T03:00:50Z"));
  Tick(*a);
  EXPECT_TRUE(a->is_leader());
}

TEST_F(SchedulerTest, NewLeaderDoesNotRepeatARunThePreviousLeaderRecorded) {
  std::atomic<int> count{0};
  auto a = Make({Job("vectors", "0 * * * *", Counting(count))}, "a");
  auto b = Make({Job("vectors", "0 * * * *", Counting(count))}, "b");
  Tick(*a);
  Tick(*b);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  Tick(*a);  // a runs 03:00, then stops cleanly (releasing the lease)
  a->Stop();
  Tick(*b);  // b leads at once and sees 03:00 already run
  EXPECT_TRUE(b->is_leader());
  EXPECT_EQ(count.load(), 1);
}

TEST_F(SchedulerTest, NewLeaderFailsRunsAbandonedByADeadOne) {
  JobRunRecord orphan;
  orphan.job = "train";
  orphan.trigger = std::string(kTriggerManual);
  orphan.status = std::string(kRunRunning);
  orphan.holder = "dead";
  orphan.created = clock_.NowMicros();
  int64_t id = store_->InsertJobRun(orphan).value();
  std::atomic<int> count{0};
  auto s = Make({Job("train", "", Counting(count))});
  Tick(*s);
  EXPECT_EQ(Run(id).status, kRunFailed);
  EXPECT_EQ(Run(id).error, "abandoned: scheduler dead stopped leading before the run finished");
  EXPECT_EQ(count.load(), 0);
}

TEST_F(SchedulerTest, FormerLeaderDoesNotRetryARunAfterLosingTheLease) {
  std::atomic<int> attempts{0};
  auto flaky = [&](const JobContext&) {
    ++attempts;
    return Internal("flaky");
  };
  auto a = Make({Job("train", "", flaky)}, "a");
  auto b = Make({Job("train", "", flaky)}, "b");
  int64_t id = a->Trigger("train").value();
  Tick(*a);  // attempt 1 fails; retry in 10 s
  Tick(*b);
  EXPECT_EQ(attempts.load(), 1);
  clock_.Advance(45 * kSecond);  // a stalled past its lease
  Tick(*b);
  EXPECT_TRUE(b->is_leader());
  EXPECT_EQ(Run(id).error, "abandoned: scheduler a stopped leading before the run finished");
  Tick(*a);
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(attempts.load(), 1);
  // a's own record of the dropped retry is refused (b's term fenced it out): b's stands.
  JobRunRecord run = Run(id);
  EXPECT_EQ(run.status, kRunFailed);
  EXPECT_EQ(run.error, "abandoned: scheduler a stopped leading before the run finished");
  EXPECT_EQ(run.fencing_token, *b->term_token());
}

// A leader that stalls past its lease while a body runs is replaced; when the body returns, the
// store refuses the deposed leader's record (its fencing token is older than the new term's),
// the run keeps the new leader's verdict, and the deposed scheduler steps down.
TEST_F(SchedulerTest, ADeposedLeaderCannotRecordARunAfterItsSuccessorTookOver) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> count{0};
  auto slow = [&, released](const JobContext&) {
    if (++count == 1) started.set_value();
    released.wait();
    return Status::Ok();
  };
  auto a = Make({Job("train", "0 3 * * *", slow)}, "a");
  auto b = Make({Job("train", "0 3 * * *", slow)}, "b");
  Tick(*a);
  Tick(*b);
  ASSERT_TRUE(a->is_leader());
  ASSERT_FALSE(b->is_leader());
  const int64_t term_a = *a->term_token();
  clock_.Set(T("2026-11-24T02:59:45Z"));  // a renews (every 10 s)
  Tick(*a);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  ASSERT_TRUE(a->Tick().ok());  // starts the 03:00 run, which blocks
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  ASSERT_EQ(*a->term_token(), term_a);
  std::vector<JobRunRecord> runs = store_->ListJobRuns({}).value();
  ASSERT_EQ(runs.size(), 1u);
  const int64_t id = runs[0].id;
  EXPECT_EQ(runs[0].fencing_token, term_a);

  clock_.Set(T("2026-11-24T03:00:45Z"));  // a stalled past its lease: b takes over
  Tick(*b);
  ASSERT_TRUE(b->is_leader());
  EXPECT_GT(*b->term_token(), term_a);
  EXPECT_EQ(Run(id).status, kRunFailed);  // abandoned, in b's term
  EXPECT_EQ(count.load(), 1);             // b does not run 03:00 again

  release.set_value();  // a's body returns; a tries to record success under its old term
  a->WaitIdle();
  JobRunRecord run = Run(id);
  EXPECT_EQ(run.status, kRunFailed);
  EXPECT_EQ(run.error, "abandoned: scheduler a stopped leading before the run finished");
  EXPECT_EQ(run.fencing_token, *b->term_token());
  EXPECT_FALSE(a->is_leader());
  ASSERT_TRUE(a->Tick().ok());
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(store_->ListJobRuns({})->size(), 1u);
}

TEST_F(SchedulerTest, StopReleasesTheLeaseAndFailsRunsWaitingForARetry) {
  auto s = Make({Job("train", "", [](const JobContext&) { return Internal("flaky"); })});
  int64_t id = s->Trigger("train").value();
  Tick(*s);
  EXPECT_EQ(store_->GetLease("scheduler")->holder, "a");
  s->Stop();
  EXPECT_EQ(store_->GetLease("scheduler").status().code(), StatusCode::kNotFound);
  JobRunRecord run = Run(id);
  EXPECT_EQ(run.status, kRunFailed);
  EXPECT_EQ(run.error, "INTERNAL: flaky; scheduler stopped before the next attempt");
  EXPECT_FALSE(s->Tick().ok());
}

TEST_F(SchedulerTest, BackgroundLoopStartsTriggeredRunsWithoutWaitingForATick) {
  std::promise<int64_t> ran;
  auto s = Make({Job("train", "", [&](const JobContext& ctx) {
    ran.set_value(ctx.run_id());
    return Status::Ok();
  })});
  std::future<int64_t> ran_id = ran.get_future();
  s->Start();
  int64_t id = s->Trigger("train").value();
  ASSERT_EQ(ran_id.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(ran_id.get(), id);
  s->Stop();
  EXPECT_EQ(Run(id).status, kRunSucceeded);
}

TEST_F(SchedulerTest, CreateRejectsBadJobs) {
  auto body = [](const JobContext&) { return Status::Ok(); };
  struct Case {
    JobSpec spec;
    const char* message;
  };
  JobSpec bad_cron = Job("train", "0 25 * * *", body);
  JobSpec bad_name = Job("Train!", "", body);
  JobSpec no_body = Job("train", "", nullptr);
  JobSpec bad_timeout = Job("train", "", body);
  bad_timeout.timeout_seconds = 0;
  for (const Case& c :
       {Case{bad_cron, "job \"train\": cron \"0 25 * * *\": hour: 25"},
        Case{bad_name, "job name \"Train!\" must be"}, Case{no_body, "job \"train\": has no body"},
        Case{bad_timeout, "job \"train\": timeout_seconds must be > 0"}}) {
    auto s = Scheduler::Create({c.spec}, *store_, clock_);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.message), std::string::npos) << s.status().message();
  }
  auto dup = Scheduler::Create({Job("a", "", body), Job("a", "", body)}, *store_, clock_);
  EXPECT_NE(dup.status().message().find("job \"a\" is defined twice"), std::string::npos);
}

TEST_F(SchedulerTest, DefaultJobsFollowTheWorkerConfig) {
  WorkerConfig worker;
  worker.train_cron = "15 2 * * *";
  worker.max_retries = 5;
  worker.retry_backoff_seconds = 7;
  worker.job_timeout_seconds = 99;
  JobCatalog catalog;
  catalog["train"] = [](const JobContext&) { return Status::Ok(); };
  std::vector<JobSpec> specs = DefaultJobSpecs(worker, catalog);
  ASSERT_EQ(specs.size(), 6u);
  EXPECT_EQ(specs[0].name, "train");
  EXPECT_EQ(specs[0].cron, "15 2 * * *");
  EXPECT_EQ(specs[0].max_retries, 5);
  EXPECT_EQ(specs[0].backoff_seconds, 7);
  EXPECT_EQ(specs[0].timeout_seconds, 99);
  EXPECT_EQ(specs[1].name, "item_vectors");
  EXPECT_EQ(specs[1].cron, "0 * * * *");
  EXPECT_EQ(specs[2].name, "user_profiles");
  EXPECT_EQ(specs[2].cron, "0 */2 * * *");
  EXPECT_EQ(specs[3].name, "precompute");
  EXPECT_EQ(specs[3].cron, "0 */4 * * *");
  EXPECT_EQ(specs[4].name, "cache_cleanup");
  EXPECT_EQ(specs[4].cron, "0 4 * * *");
  EXPECT_EQ(specs[5].name, "item_images");
  EXPECT_EQ(specs[5].cron, "");  // on request only
  JobContext context(1, "user_profiles", 1, 0, std::make_shared<std::atomic<bool>>(false));
  Status st = specs[2].body(context);
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_EQ(st.message(), "job user_profiles has no body in this version of reco");
  EXPECT_TRUE(specs[0].body(context).ok());
}

// The scheduler_* metrics: every series exists from the start; ended runs are counted by job and
// result; a success records its time and clears the failure streak; leadership is a gauge.
TEST_F(SchedulerTest, MetricsCountEndedRunsByJobAndResult) {
  MetricsRegistry metrics;
  SchedulerOptions options;
  options.holder = "a";
  options.metrics = &metrics;
  JobSpec broken = Job("broken", "", [](const JobContext&) { return InvalidArgument("bad"); });
  auto created =
      Scheduler::Create({Job("train", "0 3 * * *", [](const JobContext&) { return Status::Ok(); }),
                         std::move(broken)},
                        *store_, clock_, options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Scheduler& s = **created;
  CounterFamily* runs = metrics.AddCounter(kJobRunsMetric, "", {"job_name", "result"});
  auto value = [&](std::string_view name, const std::string& job) {
    return metrics.AddGauge(name, "", {"job_name"})->WithLabels({job})->Value();
  };
  Gauge* leader = metrics.GetGauge(kSchedulerLeaderMetric, "");
  const std::string text = metrics.RenderText();
  EXPECT_NE(text.find("scheduler_job_runs_total{job_name=\"broken\",result=\"failed\"} 0"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("scheduler_job_next_run_timestamp_seconds{job_name=\"broken\"}"),
            std::string::npos)
      << "a manual-only job has no next cron time";
  EXPECT_EQ(value(kJobNextRunMetric, "train"), T("2026-11-24T03:00:00Z") / 1e6);
  EXPECT_EQ(leader->Value(), 0);

  Tick(s);
  EXPECT_EQ(leader->Value(), 1);
  clock_.Set(T("2026-11-24T03:00:00Z"));
  Tick(s);
  EXPECT_EQ(runs->WithLabels({"train", "succeeded"})->Value(), 1);
  EXPECT_EQ(value(kJobLastSuccessMetric, "train"), T("2026-11-24T03:00:00Z") / 1e6);
  EXPECT_EQ(value(kJobNextRunMetric, "train"), T("2026-11-25T03:00:00Z") / 1e6);

  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(s.Trigger("broken").ok());
    Tick(s);
    EXPECT_EQ(runs->WithLabels({"broken", "failed"})->Value(), i);
    EXPECT_EQ(value(kJobConsecutiveFailuresMetric, "broken"), i);
  }
  EXPECT_EQ(runs->WithLabels({"broken", "succeeded"})->Value(), 0);
  EXPECT_EQ(value(kJobLastSuccessMetric, "broken"), 0);
  EXPECT_EQ(value(kJobConsecutiveFailuresMetric, "train"), 0);
  s.Stop();
  EXPECT_EQ(leader->Value(), 0);
}

// A run that overruns its timeout is counted as timed_out, and extends the failure streak.
TEST_F(SchedulerTest, MetricsCountTimedOutRuns) {
  MetricsRegistry metrics;
  SchedulerOptions options;
  options.holder = "a";
  options.metrics = &metrics;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  JobSpec slow = Job("slow", "", [released](const JobContext&) {
    released.wait();
    return Status::Ok();
  });
  slow.timeout_seconds = 5;
  auto created = Scheduler::Create({std::move(slow)}, *store_, clock_, options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Scheduler& s = **created;
  ASSERT_TRUE(s.Trigger("slow").ok());
  ASSERT_TRUE(s.Tick().ok());
  clock_.Set(clock_.NowMicros() + 6 * kSecond);
  ASSERT_TRUE(s.Tick().ok());
  release.set_value();
  s.WaitIdle();
  CounterFamily* runs = metrics.AddCounter(kJobRunsMetric, "", {"job_name", "result"});
  EXPECT_EQ(runs->WithLabels({"slow", "timed_out"})->Value(), 1);
  EXPECT_EQ(runs->WithLabels({"slow", "succeeded"})->Value(), 0);
  EXPECT_EQ(metrics.AddGauge(kJobConsecutiveFailuresMetric, "", {"job_name"})
                ->WithLabels({"slow"})
                ->Value(),
            1);
}

}  // namespace
}  // namespace reco
