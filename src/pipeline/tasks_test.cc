#include "pipeline/tasks.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "algo/tuned_config.h"
#include "core/file_util.h"
#include "data/testing/temp_dir.h"
#include "pipeline/evaluation.h"
#include "pipeline/launcher.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr TimestampUs kNow = 1'795'000'000LL * kMicrosPerSecond;
constexpr TimestampUs kMinute = 60LL * kMicrosPerSecond;

// ---- pure computations

TEST(ExposureLine, ParsesTextAndNumericTimes) {
  Result<Exposure> e = ParseExposureLine(
      R"({"ts":"2026-11-24T03:00:00Z","request_id":"r1","user_id":"u1","scenario":"home",)"
      R"("model_version":"v1","variant":"primary","items":["a",{"item_id":"b","score":1}]})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->ts, *ParseTimestamp("2026-11-24T03:00:00Z"));
  EXPECT_EQ(e->items, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e->model_version, "v1");
  // Seconds, milliseconds and microseconds give the same instant.
  for (const char* ts : {"1795000000", "1795000000000", "1795000000000000", "1795000000.0"}) {
    Result<Exposure> n =
        ParseExposureLine(std::string(R"({"ts":)") + ts + R"(,"user_id":"u","items":[]})");
    ASSERT_TRUE(n.ok()) << ts;
    EXPECT_EQ(n->ts, kNow) << ts;
  }
  // Out of years 0000..9999 in any unit: an error naming the field, never an overflow.
  for (const char* ts : {"1e300", "-1e300", "9.5e18", "-9.5e18", "1e19"}) {
    Result<Exposure> n =
        ParseExposureLine(std::string(R"({"ts":)") + ts + R"(,"user_id":"u","items":[]})");
    ASSERT_FALSE(n.ok()) << ts;
    EXPECT_EQ(n.status().field(), "ts") << ts;
  }
  EXPECT_EQ(ParseExposureLine(R"({"ts":1,"items":[]})").status().field(), "user_id");
  EXPECT_EQ(ParseExposureLine(R"({"ts":true,"user_id":"u","items":[]})").status().field(), "ts");
  EXPECT_FALSE(ParseExposureLine("not json").ok());
}

TEST(ExposureCounts, AListIsClickedOnlyByItsUserWithinTheWindow) {
  std::vector<Exposure> exposures = {
      {kNow, "u1", "home", "v1", {"a", "b"}},  // clicked: u1 likes b 1 minute later
      {kNow, "u2", "home", "v1", {"a"}},       // u2 liked a before the exposure: no click
      {kNow, "u3", "detail", "v1", {"c"}},     // u3 likes c after the window: no click
      {kNow, "u1", "home", "v2", {"b"}},       // clicked (the same like)
  };
  std::map<std::pair<std::string, std::string>, std::vector<TimestampUs>> positives = {
      {{"u1", "b"}, {kNow + kMinute}},
      {{"u2", "a"}, {kNow - kMinute}},
      {{"u3", "c"}, {kNow + 11 * kMinute}},
  };
  ExposureMetrics m;
  m.click_window_us = 10 * kMinute;
  CountExposures(exposures, positives, m);
  EXPECT_EQ(m.by_version["v1"].exposures, 3);
  EXPECT_EQ(m.by_version["v1"].items, 4);
  EXPECT_EQ(m.by_version["v1"].clicks, 1);
  EXPECT_DOUBLE_EQ(m.by_version["v1"].ctr(), 1.0 / 3);
  EXPECT_EQ(m.by_version["v2"].clicks, 1);
  EXPECT_EQ((m.by_version_scenario[{"v1", "home"}].exposures), 2);
  EXPECT_EQ((m.by_version_scenario[{"v1", "detail"}].clicks), 0);
}

TEST(Reconcile, FlagsVersionsWhoseOnlineAndOfflineRanksDisagree) {
  std::map<std::string, ExposureCounts> online = {
      {"v1", {.exposures = 100, .clicks = 30}},  // best CTR
      {"v2", {.exposures = 100, .clicks = 20}},
      {"v3", {.exposures = 100, .clicks = 10}},  // worst CTR
      {"v4", {.exposures = 10, .clicks = 1}},    // no offline value: not ranked
  };
  std::map<std::string, double> offline = {{"v1", 0.10}, {"v2", 0.20}, {"v3", 0.30}};
  std::vector<ReconcileRow> rows = Reconcile(online, offline, 0.5);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].online_rank, 1);
  EXPECT_EQ(rows[0].offline_rank, 3);
  EXPECT_DOUBLE_EQ(rows[0].rank_gap, 1.0);  // |1 - 3| / (3 - 1)
  EXPECT_TRUE(rows[0].divergent);
  EXPECT_EQ(rows[1].online_rank, 2);
  EXPECT_EQ(rows[1].offline_rank, 2);
  EXPECT_FALSE(rows[1].divergent);
  EXPECT_TRUE(rows[2].divergent);
  EXPECT_EQ(rows[3].online_rank, 0);
  EXPECT_FALSE(rows[3].offline.has_value());
  EXPECT_FALSE(rows[3].divergent);
}

TEST(Gate, PublishesTheFirstModelAndComparesWithProduction) {
  EXPECT_TRUE(DecideGate("ndcg@10", 0.1, std::nullopt, 0.98).publish);
  EXPECT_TRUE(DecideGate("ndcg@10", 0.098, 0.1, 0.98).publish);
  GateDecision blocked = DecideGate("ndcg@10", 0.05, 0.1, 0.98);
  EXPECT_FALSE(blocked.publish);
  EXPECT_EQ(blocked.reason, "ndcg@10 0.0500 / production 0.1000 = 0.500 < 0.98");
  EXPECT_TRUE(DecideGate("ndcg@10", 0.0, 0.0, 0.98).publish);
}

// ---- the tasks on a real store

// Two clusters of items: 25 users like items of cluster A (a0..a9), 15 users of cluster B. The
// popular items are all in A, so item-CF beats popularity on B users' held-out items.
class PipelineTasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    std::vector<Item> items;
    for (char c : {'a', 'b'}) {
      for (int i = 0; i < 10; ++i) {
        Item item;
        item.item_id = std::string(1, c) + std::to_string(i);
        item.timestamp = kNow - 100 * kMinute;
        items.push_back(item);
      }
    }
    ASSERT_TRUE(store_->InsertItems(items).ok());
    std::vector<Feedback> feedback;
    for (int u = 0; u < 40; ++u) {
      char cluster = u < 25 ? 'a' : 'b';
      for (int k = 0; k < 5; ++k) {
        std::string item = std::string(1, cluster) + std::to_string((u + 2 * k) % 10);
        feedback.push_back(
            {"like", "u" + std::to_string(u), item, 1.0, kNow - (60 - 10 * k) * kMinute, ""});
      }
    }
    ASSERT_TRUE(store_->InsertFeedback(feedback, {}).ok());
    config_.pipeline.min_data_quality = 0.5;
    env_.config = &config_;
    env_.store = store_.get();
    env_.data_dir = dir_.path();
    env_.clock = &clock_;
    env_.threads = 1;
    env_.post = [this](const std::string& url, const std::string& body,
                       const std::string& token) -> Result<int> {
      posts_.push_back(url + " " + token + " " + body);
      return 200;
    };
  }

  Result<PipelineRun> Run(RunRequest request = {}) {
    PipelineRunner runner(dir_.path(), MakePipelineTasks(env_), clock_, {.seed = ++seed_});
    clock_.Advance(kMinute);
    return runner.Run(request);
  }

  void AddFeedback(const std::string& user, const std::string& item) {
    ASSERT_TRUE(
        store_
            ->InsertFeedback(
                std::vector<Feedback>{{"like", user, item, 1.0, clock_.NowMicros(), ""}}, {})
            .ok());
  }

  std::string Read(std::string_view relative) {
    Result<std::string> text = ReadFile(dir_.path() / relative);
    return text.ok() ? *text : "";
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  RecoConfig config_;
  PipelineEnv env_;
  std::vector<std::string> posts_;
  uint64_t seed_ = 0;
};

TEST_F(PipelineTasksTest, FirstRunPublishesThenAWorseModelIsBlockedByTheGate) {
  env_.reload_url = "http://serve/models/reload";
  env_.reload_token = "t0k";
  Result<PipelineRun> first = Run();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->state, TaskState::kSucceeded) << first->reason;
  EXPECT_TRUE(first->published) << first->reason;
  std::string first_model = first->outputs.at(std::string(kOutTrainRunId));
  registry::ModelRegistry registry(dir_.path(), clock_);
  ASSERT_TRUE(registry.Resolve(registry::kProduction).ok());
  EXPECT_EQ(registry.Resolve(registry::kProduction)->run_id, first_model);
  EXPECT_GT(registry.Resolve(registry::kProduction)->metrics.at("ndcg@10"), 0.0);
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_EQ(posts_[0], "http://serve/models/reload t0k {\"run_id\":\"" + first_model +
                           "\",\"mode\":\"primary\",\"rollout\":1}");
  EXPECT_NE(Read(kSummaryFile).find("\"candidate_run_id\":\"" + first_model), std::string::npos);
  EXPECT_NE(Read(kSnapshotFile).find("\"leave_last\":1"), std::string::npos);
  EXPECT_NE(Read(kExposureMetricsFile).find("\"exposures\":0"), std::string::npos);
  EXPECT_TRUE(fs::exists(ReconciliationPath(dir_.path(), first->request.date)));

  // A worse configuration: popularity only.
  algo::TunedConfig popular;
  popular.algo = "popular";
  ASSERT_TRUE(algo::SaveTunedConfig(dir_.path() / "popular.toml", popular).ok());
  config_.recommend.model_config = "popular.toml";
  Result<PipelineRun> second = Run();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state, TaskState::kSucceeded) << second->reason;
  EXPECT_FALSE(second->published);
  EXPECT_EQ(second->reason.rfind("gate: ndcg@10 ", 0), 0u) << second->reason;
  EXPECT_EQ(registry.Resolve(registry::kProduction)->run_id, first_model);
  EXPECT_EQ(posts_.size(), 1u);
}

TEST_F(PipelineTasksTest, CanaryRunPromotesTheCanaryAlias) {
  ASSERT_TRUE(Run().ok());
  AddFeedback("u0", "a9");  // something new to train on
  env_.reload_url = "http://serve/models/reload";
  Result<PipelineRun> canary = Run({.mode = "canary", .rollout = 0.25});
  ASSERT_TRUE(canary.ok());
  ASSERT_TRUE(canary->published) << canary->reason;
  std::string model = canary->outputs.at(std::string(kOutTrainRunId));
  registry::ModelRegistry registry(dir_.path(), clock_);
  EXPECT_EQ(registry.Resolve(registry::kCanary)->run_id, model);
  EXPECT_NE(registry.Resolve(registry::kProduction)->run_id, model);
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_NE(posts_[0].find("\"mode\":\"canary\",\"rollout\":0.25"), std::string::npos);
}

// A quiet day: no new feedback since the last run, four days later (the newest feedback is then
// stale, the volume 0). The run succeeds; training and publishing are skipped and say why.
TEST_F(PipelineTasksTest, ASecondRunWithNoNewDataSucceedsWithTrainingSkipped) {
  config_.pipeline.min_data_quality = 0.7;  // the default
  env_.reload_url = "http://serve/models/reload";
  Result<PipelineRun> first = Run();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->published) << first->reason;
  const std::string model = first->outputs.at(std::string(kOutTrainRunId));

  clock_.Advance(4 * 24 * 60 * kMinute);
  Result<PipelineRun> quiet = Run();
  ASSERT_TRUE(quiet.ok()) << quiet.status().ToString();
  EXPECT_EQ(quiet->state, TaskState::kSucceeded) << quiet->reason;
  EXPECT_FALSE(quiet->published);
  EXPECT_NE(quiet->reason.find("no new data since the last run"), std::string::npos)
      << quiet->reason;
  EXPECT_NE(quiet->reason.find("training run " + model + " covers the same data and settings"),
            std::string::npos)
      << quiet->reason;
  EXPECT_EQ(quiet->Find(kTaskDataQuality)->state, TaskState::kSucceeded);
  for (std::string_view task :
       {kTaskBuildFeatures, kTaskTrainModels, kTaskEvaluate, kTaskPublish}) {
    EXPECT_EQ(quiet->Find(task)->state, TaskState::kSkipped) << task;
    EXPECT_NE(quiet->Find(task)->message.find("training skipped"), std::string::npos) << task;
  }
  EXPECT_EQ(quiet->Find(kTaskReconcileMetrics)->state, TaskState::kSucceeded);
  EXPECT_NE(Read(quiet->Find(kTaskDataQuality)->log_file).find("no new data since the last run"),
            std::string::npos);
  registry::RunTracker tracker(dir_.path(), clock_);
  EXPECT_EQ(tracker.List()->size(), 1u) << "nothing was trained";
  EXPECT_EQ(posts_.size(), 1u) << "nothing was reloaded";

  // The record on disk says the same (what `reco pipeline show` prints).
  PipelineRunner reader(dir_.path(), {}, clock_);
  Result<PipelineRun> stored = reader.Get(quiet->run_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->reason, quiet->reason);
  EXPECT_EQ(stored->Find(kTaskTrainModels)->state, TaskState::kSkipped);

  // New data the day after: trained again.
  AddFeedback("u30", "b9");
  Result<PipelineRun> next = Run();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->Find(kTaskTrainModels)->state, TaskState::kSucceeded) << next->reason;
}

TEST_F(PipelineTasksTest, DryRunOnAQuietDaySucceeds) {
  config_.pipeline.min_data_quality = 0.7;
  ASSERT_TRUE(Run().ok());
  clock_.Advance(4 * 24 * 60 * kMinute);
  PipelineRunner runner(dir_.path(), MakePipelineTasks(env_), clock_);
  Result<PipelineRun> run = runner.Run({.dry_run = true});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->state, TaskState::kSucceeded) << run->reason;
  EXPECT_EQ(run->Find(kTaskTrainModels)->state, TaskState::kSkipped);
}

TEST_F(PipelineTasksTest, AQuietRunStillTrainsWhatTheNewestModelDoesNotCover) {
  ASSERT_TRUE(Run().ok());
  // Settings changed since: the data is the same, the model would not be.
  config_.recommend.itemcf_neighbors = 7;
  Result<PipelineRun> changed = Run();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->Find(kTaskTrainModels)->state, TaskState::kSucceeded) << changed->reason;
  EXPECT_NE(Read(changed->Find(kTaskDataQuality)->log_file).find("no new data"), std::string::npos);
  // The same settings again, still no new data: now skipped.
  Result<PipelineRun> same = Run();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->Find(kTaskTrainModels)->state, TaskState::kSkipped) << same->reason;
}

TEST_F(PipelineTasksTest, LowDataQualityStopsTheRunBeforeAnythingIsPublished) {
  config_.pipeline.min_data_quality = 1.5;
  Result<PipelineRun> run = Run();
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->state, TaskState::kFailed);
  EXPECT_EQ(run->reason.rfind("data_quality: data quality ", 0), 0u) << run->reason;
  EXPECT_NE(run->reason.find("below threshold 1.5"), std::string::npos);
  EXPECT_EQ(run->Find(kTaskDataQuality)->attempts, 1);
  EXPECT_EQ(run->Find(kTaskTrainModels)->state, TaskState::kPending);
  EXPECT_FALSE(fs::exists(dir_.path() / "models" / "model_registry.json"));
}

TEST_F(PipelineTasksTest, ExposureLogGivesCtrPerVersionAndReconciliation) {
  ASSERT_TRUE(Run().ok());
  registry::ModelRegistry registry(dir_.path(), clock_);
  std::string v1 = registry.Resolve(registry::kProduction)->run_id;
  // u0 is shown a0 (liked 60 minutes before kNow) and a2 (liked 50 minutes before).
  std::ofstream log(dir_.path() / kExposureLogFile);
  log << R"({"ts":")" << FormatTimestamp(kNow - 55 * kMinute) << R"(","request_id":"r1",)"
      << R"("user_id":"u0","scenario":"home","model_version":")" << v1
      << R"(","variant":"primary","items":["a0","a2"]})"
      << "\n";
  log << R"({"ts":")" << FormatTimestamp(kNow - 55 * kMinute) << R"(","user_id":"u1",)"
      << R"("scenario":"home","model_version":"old","items":["b5"]})"
      << "\n";
  log << "garbage\n";
  log.close();
  Result<PipelineRun> run = Run({.date = "2026-11-19", .from = std::string(kTaskEvaluate)});
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->state, TaskState::kSucceeded) << run->reason;
  std::string metrics = Read(kExposureMetricsFile);
  EXPECT_NE(metrics.find("\"model_version\":\"" + v1 +
                         "\",\"exposures\":1,\"items\":2,\"clicks\":1,\"ctr\":1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\"bad_lines\":1"), std::string::npos);
  std::string reconciliation = Read("evaluation/reconciliation_2026-11-19.json");
  EXPECT_NE(reconciliation.find("\"model_version\":\"old\""), std::string::npos);
  EXPECT_NE(reconciliation.find("\"online_rank\":1,\"offline_rank\":1"), std::string::npos)
      << reconciliation;
}

TEST_F(PipelineTasksTest, DryRunValidatesWithoutWriting) {
  config_.recommend.model_config = "missing.toml";
  std::vector<std::string> lines;
  PipelineRunner runner(dir_.path(), MakePipelineTasks(env_), clock_,
                        {.log_sink = [&](std::string_view t, std::string_view l) {
                          lines.push_back(std::string(t) + ": " + std::string(l));
                        }});
  Result<PipelineRun> run = runner.Run({.dry_run = true});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->state, TaskState::kFailed);
  EXPECT_EQ(run->Find(kTaskTrainModels)->state, TaskState::kFailed);
  EXPECT_NE(run->Find(kTaskTrainModels)->message.find("recommend.model_config"), std::string::npos);
  EXPECT_EQ(run->Find(kTaskPublish)->state, TaskState::kSucceeded);
  for (std::string_view f : {"pipeline", "models", "evaluation", "features", "_metadata"}) {
    EXPECT_FALSE(fs::exists(dir_.path() / f)) << f;
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "data_quality_metrics.prom"));
}

TEST_F(PipelineTasksTest, LauncherRefusesWhileAnotherRunHoldsTheLockThenRunsInBackground) {
  // Another runner (as another process would) holds the data dir's lock until released.
  std::promise<void> release;
  std::promise<std::string> holding;
  std::vector<PipelineTask> blocking = {{"wait", [&](TaskContext& ctx) {
                                           holding.set_value(ctx.run().run_id);
                                           release.get_future().wait();
                                           return Status::Ok();
                                         }}};
  PipelineRunner other(dir_.path(), blocking, clock_, {.seed = 99});
  std::thread holder([&] { ASSERT_TRUE(other.Run({}).ok()); });
  std::string held = holding.get_future().get();

  std::promise<PipelineRun> finished;
  PipelineLauncher launcher(env_, 0, [&](const PipelineRun& run) { finished.set_value(run); });
  Result<std::string> refused = launcher.Start({});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("pipeline run " + held + " is already running"),
            std::string::npos)
      << refused.status().message();
  release.set_value();
  holder.join();

  Result<std::string> id = launcher.Start({.trigger = "api"});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  PipelineRun run = finished.get_future().get();
  EXPECT_EQ(run.run_id, *id);
  EXPECT_EQ(run.state, TaskState::kSucceeded) << run.reason;
  EXPECT_TRUE(run.published);
  Result<PipelineRun> stored = launcher.Get(*id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->request.trigger, "api");
  EXPECT_DOUBLE_EQ(LastDataQualityScore(dir_.path()),
                   std::stod(run.outputs.at("data_quality.score")));
}

// The runs of the launcher (REST) and of the scheduler's train job are counted in env.metrics.
TEST_F(PipelineTasksTest, LauncherAndTrainJobCountTheirRunsInTheMetrics) {
  MetricsRegistry metrics;
  PipelineEnv env = env_;
  env.metrics = std::make_shared<PipelineRunMetrics>(metrics);
  CounterFamily* runs = metrics.AddCounter(kPipelineRunsMetric, "", {"result"});
  CounterFamily* tasks = metrics.AddCounter(kPipelineTaskRunsMetric, "", {"task", "result"});
  {
    std::promise<PipelineRun> finished;
    PipelineLauncher launcher(env, 0, [&](const PipelineRun& run) { finished.set_value(run); });
    ASSERT_TRUE(launcher.Start({.trigger = "api"}).ok());
    PipelineRun run = finished.get_future().get();
    ASSERT_EQ(run.state, TaskState::kSucceeded) << run.reason;
  }
  EXPECT_EQ(runs->WithLabels({"succeeded"})->Value(), 1);
  EXPECT_EQ(tasks->WithLabels({"publish", "succeeded"})->Value(), 1);
  EXPECT_EQ(
      metrics.AddHistogram(kPipelineRunDurationMetric, "", {"result"}, PipelineDurationBuckets())
          ->WithLabels({"succeeded"})
          ->Snap()
          .count,
      1u);

  ASSERT_TRUE(RunPipelineJob(env, 0, "scheduler").ok());
  EXPECT_EQ(runs->WithLabels({"succeeded"})->Value(), 2);
  EXPECT_EQ(runs->WithLabels({"failed"})->Value(), 0);
  EXPECT_EQ(tasks->WithLabels({"extract", "succeeded"})->Value(), 2);
}

}  // namespace
}  // namespace reco::pipeline
