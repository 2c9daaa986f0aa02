// The computations behind the evaluate, reconcile_metrics and publish tasks of `reco pipeline`,
// kept free of task plumbing so they can be tested on small hand-computed inputs: the model
// configuration of a run (algorithm + settings) and its run params, the exposure metrics (CTR per
// model version and scenario from the exposure log joined with later positive feedback), the
// online-vs-offline reconciliation and the publish gate.
//
// Thread-safety: pure functions (ReadExposureMetrics reads the store and files). Lifetime: nothing
// is retained.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/json_writer.h"
#include "core/status.h"
#include "core/time.h"
#include "pipeline/data_files.h"
#include "registry/run_tracker.h"
#include "store/store.h"
#include "training/algorithm_choice.h"

namespace reco::pipeline {


// The algorithm a run trains for serving and its settings, and how a run records it in its
// params (training/algorithm_choice.h).
using ModelChoice = training::AlgorithmChoice;
using training::ChoiceFromParams;
using training::ChoiceParams;

// recommend.model_config (relative paths are under `data_dir`) when set, else item-CF with
// recommend.itemcf_neighbors and itemcf_shrinkage. Errors name recommend.model_config.
Result<ModelChoice> ChooseModel(const RecoConfig& config, const std::filesystem::path& data_dir);
// True when `run`, a finished training run, was trained on the store up to `store_watermark`
// (the extract's store watermark, "seq N") with the settings `config` and `choice` give today
// (the thread count aside): training again would fit the same models.
bool RunIsCurrent(const registry::RunRecord& run, std::string_view store_watermark,
                  const RecoConfig& config, const ModelChoice& choice);

// Exposures and clicks of one model version (and scenario).
struct ExposureCounts {
  int64_t exposures = 0;  // lists served
  int64_t items = 0;      // items shown in them
  int64_t clicks = 0;     // lists with at least one clicked item
  double ctr() const { return exposures > 0 ? static_cast<double>(clicks) / exposures : 0; }
};

struct ExposureMetrics {
  std::map<std::string, ExposureCounts> by_version;
  std::map<std::pair<std::string, std::string>, ExposureCounts> by_version_scenario;
  int64_t lines = 0;
  int64_t bad_lines = 0;
  std::vector<std::string> files;   // the logs read
  std::vector<std::string> issues;  // first bad lines, "file:line: why"
  TimestampUs click_window_us = 0;
};

// One served list of the exposure log.
struct Exposure {
  TimestampUs ts = 0;
  std::string user_id;
  std::string scenario;
  std::string model_version;
  std::vector<std::string> items;
};

// Parses one log line: {"ts","request_id","user_id","scenario","model_version","variant",
// "items":[…]}; ts is RFC 3339 text or a number (seconds, milliseconds or microseconds since the
// epoch, told apart by magnitude). InvalidArgument naming the field otherwise.
Result<Exposure> ParseExposureLine(std::string_view line);

// The exposure log and its rotated siblings (evaluation/exposure_log.jsonl*), oldest first.
std::vector<std::filesystem::path> ExposureLogFiles(const std::filesystem::path& data_dir);

// Counts exposures per version and scenario; a list is clicked when `user` has a positive
// feedback (per `types`) on one of its items within [ts, ts + click_window_us]. Missing logs
// give zero counts.
Result<ExposureMetrics> ReadExposureMetrics(const std::vector<std::filesystem::path>& logs,
                                            Store& store, const FeedbackTypes& types,
                                            TimestampUs click_window_us);
// The same from parsed exposures and each (user, item)'s positive times (tests).
void CountExposures(
    const std::vector<Exposure>& exposures,
    const std::map<std::pair<std::string, std::string>, std::vector<TimestampUs>>& positives,
    ExposureMetrics& metrics);
std::string ExposureMetricsJson(const ExposureMetrics& metrics, TimestampUs computed_at);

// Online CTR vs the offline metric of one model version.
struct ReconcileRow {
  std::string model_version;
  ExposureCounts online;
  std::optional<double> offline;  // the gate metric the evaluate task recorded
  int online_rank = 0;            // 1 = best; 0 when not ranked (no offline value)
  int offline_rank = 0;
  double rank_gap = 0;  // |online_rank - offline_rank| / (ranked versions - 1), in [0,1]
  bool divergent = false;
};

// Versions with exposures; those with an offline value are ranked by both (ties share the better
// rank) and flagged divergent when rank_gap > max_divergence.
std::vector<ReconcileRow> Reconcile(const std::map<std::string, ExposureCounts>& online,
                                    const std::map<std::string, double>& offline,
                                    double max_divergence);
std::string ReconciliationJson(const std::vector<ReconcileRow>& rows, std::string_view date,
                               std::string_view metric, double max_divergence,
                               TimestampUs computed_at);

// The publish gate.
struct GateDecision {
  bool publish = false;
  std::string reason;  // one line, e.g. "ndcg@10 0.08 / production 0.12 = 0.67 < 0.98"
};
// No production value: publish (the first model). Otherwise publish when
// candidate / production >= min_ratio (a production value of 0 passes any candidate >= 0).
GateDecision DecideGate(std::string_view metric, double candidate, std::optional<double> production,
                        double min_ratio);

}  // namespace reco::pipeline
