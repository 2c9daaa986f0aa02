#include "pipeline/run_metrics.h"

#include <string>
#include <vector>

namespace reco::pipeline {
namespace {

constexpr std::string_view kRunResults[] = {"succeeded", "failed"};
constexpr std::string_view kTaskResults[] = {"succeeded", "failed", "skipped"};

double Seconds(TimestampUs us) { return static_cast<double>(us) / kMicrosPerSecond; }

}  // namespace

const std::vector<double>& PipelineDurationBuckets() {
  static const std::vector<double> kBuckets = {1,   5,    15,   30,   60,    300,
                                               900, 1800, 3600, 7200, 14400, 43200};
  return kBuckets;
}

PipelineRunMetrics::PipelineRunMetrics(MetricsRegistry& metrics)
    : runs_(metrics.AddCounter(kPipelineRunsMetric,
                               "Pipeline runs of this process that ended, by result.", {"result"})),
      run_seconds_(metrics.AddHistogram(kPipelineRunDurationMetric,
                                        "Wall time of a pipeline run, start to end, by result.",
                                        {"result"}, PipelineDurationBuckets())),
      last_run_(metrics.AddGauge(kPipelineLastRunMetric,
                                 "Unix time at which the last pipeline run of each result ended.",
                                 {"result"})),
      task_runs_(metrics.AddCounter(kPipelineTaskRunsMetric,
                                    "Tasks of the pipeline runs that ended, by task and result.",
                                    {"task", "result"})),
      task_seconds_(metrics.AddHistogram(kPipelineTaskDurationMetric,
                                         "Wall time of a pipeline task that ran, by task.",
                                         {"task"}, PipelineDurationBuckets())) {
  for (std::string_view result : kRunResults) {
    runs_->WithLabels({std::string(result)});
    run_seconds_->WithLabels({std::string(result)});
    last_run_->WithLabels({std::string(result)});
  }
  for (std::string_view task : kTaskOrder) {
    task_seconds_->WithLabels({std::string(task)});
    for (std::string_view result : kTaskResults) {
      task_runs_->WithLabels({std::string(task), std::string(result)});
    }
  }
}

void PipelineRunMetrics::Record(const PipelineRun& run) const {
  if (run.state != TaskState::kSucceeded && run.state != TaskState::kFailed) return;
  const std::string result(TaskStateName(run.state));
  runs_->WithLabels({result})->Inc();
  if (run.finished >= run.started && run.started > 0) {
    run_seconds_->WithLabels({result})->Observe(Seconds(run.finished - run.started));
  }
  last_run_->WithLabels({result})->Set(Seconds(run.finished));
  for (const TaskRecord& task : run.tasks) {
    // Pending tasks (after a failed one, or outside --only) did not end in this run.
    if (task.state != TaskState::kSucceeded && task.state != TaskState::kFailed &&
        task.state != TaskState::kSkipped) {
      continue;
    }
    task_runs_->WithLabels({task.name, std::string(TaskStateName(task.state))})->Inc();
    if (task.state != TaskState::kSkipped && task.started > 0 && task.finished >= task.started) {
      task_seconds_->WithLabels({task.name})->Observe(Seconds(task.finished - task.started));
    }
  }
}

}  // namespace reco::pipeline
