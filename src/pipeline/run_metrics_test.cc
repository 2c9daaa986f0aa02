// PipelineRunMetrics: runs and tasks are counted by result, durations observed, the last run of
// each result timed; every series exists at zero before the first run.
#include "pipeline/run_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace reco::pipeline {
namespace {

constexpr TimestampUs kStart = 1'700'000'000LL * kMicrosPerSecond;

TaskRecord Task(std::string_view name, TaskState state, int seconds) {
  TaskRecord task;
  task.name = std::string(name);
  task.state = state;
  if (state == TaskState::kSucceeded || state == TaskState::kFailed) {
    task.started = kStart;
    task.finished = kStart + seconds * kMicrosPerSecond;
  }
  return task;
}

TEST(PipelineRunMetrics, EverySeriesStartsAtZero) {
  MetricsRegistry metrics;
  PipelineRunMetrics run_metrics(metrics);
  const std::string text = metrics.RenderText();
  EXPECT_NE(text.find("pipeline_runs_total{result=\"failed\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("pipeline_task_runs_total{task=\"publish\",result=\"failed\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("pipeline_task_duration_seconds_count{task=\"extract\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("pipeline_last_run_timestamp_seconds{result=\"succeeded\"} 0"),
            std::string::npos);
}

TEST(PipelineRunMetrics, CountsAFailedRunAndItsTasks) {
  MetricsRegistry metrics;
  PipelineRunMetrics run_metrics(metrics);
  PipelineRun run;
  run.state = TaskState::kFailed;
  run.started = kStart;
  run.finished = kStart + 90 * kMicrosPerSecond;
  run.tasks = {Task(kTaskExtract, TaskState::kSkipped, 0),
               Task(kTaskDataQuality, TaskState::kSucceeded, 20),
               Task(kTaskBuildFeatures, TaskState::kFailed, 70),
               Task(kTaskTrainModels, TaskState::kPending, 0)};
  run_metrics.Record(run);

  auto counter = [&](std::string_view name, LabelValues labels) {
    std::vector<std::string> names = labels.size() == 1
                                         ? std::vector<std::string>{"result"}
                                         : std::vector<std::string>{"task", "result"};
    return metrics.AddCounter(name, "", names)->WithLabels(labels)->Value();
  };
  EXPECT_EQ(counter(kPipelineRunsMetric, {"failed"}), 1);
  EXPECT_EQ(counter(kPipelineRunsMetric, {"succeeded"}), 0);
  EXPECT_EQ(counter(kPipelineTaskRunsMetric, {"extract", "skipped"}), 1);
  EXPECT_EQ(counter(kPipelineTaskRunsMetric, {"data_quality", "succeeded"}), 1);
  EXPECT_EQ(counter(kPipelineTaskRunsMetric, {"build_features", "failed"}), 1);
  EXPECT_EQ(counter(kPipelineTaskRunsMetric, {"train_models", "failed"}), 0);
  EXPECT_EQ(counter(kPipelineTaskRunsMetric, {"train_models", "succeeded"}), 0);

  HistogramFamily* runs_seconds =
      metrics.AddHistogram(kPipelineRunDurationMetric, "", {"result"}, PipelineDurationBuckets());
  Histogram::Snapshot run_snap = runs_seconds->WithLabels({"failed"})->Snap();
  EXPECT_EQ(run_snap.count, 1u);
  EXPECT_DOUBLE_EQ(run_snap.sum, 90);
  HistogramFamily* task_seconds =
      metrics.AddHistogram(kPipelineTaskDurationMetric, "", {"task"}, PipelineDurationBuckets());
  EXPECT_EQ(task_seconds->WithLabels({"extract"})->Snap().count, 0u)
      << "a skipped task did not run";
  Histogram::Snapshot features = task_seconds->WithLabels({"build_features"})->Snap();
  EXPECT_EQ(features.count, 1u);
  EXPECT_DOUBLE_EQ(features.sum, 70);
  EXPECT_EQ(
      metrics.AddGauge(kPipelineLastRunMetric, "", {"result"})->WithLabels({"failed"})->Value(),
      static_cast<double>(run.finished) / kMicrosPerSecond);
}

TEST(PipelineRunMetrics, IgnoresARunStillRunning) {
  MetricsRegistry metrics;
  PipelineRunMetrics run_metrics(metrics);
  PipelineRun run;
  run.state = TaskState::kRunning;
  run.tasks = {Task(kTaskExtract, TaskState::kSucceeded, 5)};
  run_metrics.Record(run);
  CounterFamily* tasks = metrics.AddCounter(kPipelineTaskRunsMetric, "", {"task", "result"});
  EXPECT_EQ(tasks->WithLabels({"extract", "succeeded"})->Value(), 0);
  EXPECT_EQ(
      metrics.AddCounter(kPipelineRunsMetric, "", {"result"})->WithLabels({"succeeded"})->Value(),
      0);
}

}  // namespace
}  // namespace reco::pipeline
