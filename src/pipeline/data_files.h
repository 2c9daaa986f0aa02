// Where the pipeline's tasks leave their files in the data dir ('/'-separated, relative to it),
// for the tasks themselves and for what reads them (the console, reco release).
#pragma once

#include <string>
#include <string_view>

namespace reco::pipeline {

inline constexpr std::string_view kEvaluationDir = "evaluation";
inline constexpr std::string_view kSummaryFile = "evaluation/summary.json";
inline constexpr std::string_view kExposureMetricsFile = "evaluation/exposure_metrics.json";
inline constexpr std::string_view kExposureLogFile = "evaluation/exposure_log.jsonl";
inline constexpr std::string_view kSnapshotFile = "features/snapshot.json";
// evaluation/reconciliation_<date>.json: the reconcile_metrics task of the run of `date`.
inline constexpr std::string_view kReconciliationPrefix = "reconciliation_";

inline std::string ReconciliationFileName(std::string_view date) {
  return std::string(kReconciliationPrefix) + std::string(date) + ".json";
}

}  // namespace reco::pipeline
