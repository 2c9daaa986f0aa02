// PipelineRunMetrics: the pipeline_* Prometheus metrics of the runs a long-running process
// (`reco serve`, `reco worker`) carries out: runs by result, run and task durations, tasks by
// result, the time of the last run of each result. Runs of `reco pipeline run` in a process of
// their own are not counted (no one scrapes it); their records are in <data>/pipeline/runs.
//
// Thread-safety: Record() may be called from any thread. Lifetime: the registry must outlive
// this object (it holds pointers to the registry's families).
#pragma once

#include <string_view>
#include <vector>

#include "ops/metrics.h"
#include "pipeline/dag.h"

namespace reco::pipeline {

inline constexpr std::string_view kPipelineRunsMetric = "pipeline_runs_total";
inline constexpr std::string_view kPipelineRunDurationMetric = "pipeline_run_duration_seconds";
inline constexpr std::string_view kPipelineLastRunMetric = "pipeline_last_run_timestamp_seconds";
inline constexpr std::string_view kPipelineTaskRunsMetric = "pipeline_task_runs_total";
inline constexpr std::string_view kPipelineTaskDurationMetric = "pipeline_task_duration_seconds";

// Buckets of the duration histograms: 1 s to 12 h (a small extract to training on a large store).
const std::vector<double>& PipelineDurationBuckets();

class PipelineRunMetrics {
 public:
  // Registers the families with every run result and task/result series at zero.
  explicit PipelineRunMetrics(MetricsRegistry& metrics);

  // Counts a run that ended (succeeded or failed); a run still running is ignored.
  void Record(const PipelineRun& run) const;

 private:
  CounterFamily* runs_;
  HistogramFamily* run_seconds_;
  GaugeFamily* last_run_;
  CounterFamily* task_runs_;
  HistogramFamily* task_seconds_;
};

}  // namespace reco::pipeline
