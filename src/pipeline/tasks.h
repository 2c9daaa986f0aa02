// The seven tasks of `reco pipeline` over a store and a data dir: extract → data_quality →
// build_features → train_models → evaluate → reconcile_metrics → publish (see docs/pipeline.md
// for what each reads and writes). MakePipelineTasks gives them to a PipelineRunner (dag.h).
//
// Thread-safety: the tasks of one list run one at a time (the runner's order); they share an
// in-memory snapshot between build_features and evaluate. Lifetime: everything PipelineEnv
// points to must outlive the returned tasks.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "pipeline/dag.h"
#include "pipeline/run_metrics.h"
#include "store/store.h"

namespace reco::pipeline {

// Sends the reload request of the publish task: POST `body` to `url` with
// "Authorization: Bearer <token>" (when token is non-empty); returns the HTTP status.
using ReloadPoster = std::function<Result<int>(const std::string& url, const std::string& body,
                                               const std::string& token)>;

struct PipelineEnv {
  const RecoConfig* config = nullptr;
  Store* store = nullptr;
  std::filesystem::path data_dir;
  const Clock* clock = nullptr;
  // Where publish announces the new model (MODEL_RELOAD_URL); empty = nobody to tell.
  std::string reload_url;
  std::string reload_token;  // MODEL_RELOAD_TOKEN, else server.api_key (ReloadCredential)
  ReloadPoster post;         // required when reload_url is set
  int threads = 0;           // training and evaluation threads; 0 = number of cores
  bool show_progress = false;
  // Evaluation holdout: each user's last N positives (by time).
  int holdout_last = 1;
  // A list counts as clicked when its user gives positive feedback on one of its items within
  // this many seconds of the exposure.
  double click_window_seconds = 24 * 3600.0;
  // Called by publish just before it moves the alias: an error stops the publication (e.g. a
  // scheduler leader deposed since the run started; see JobContext::fencing_token). Null = none.
  std::function<Status()> before_publish;
  // Called by publish after it moved the alias to `run_id` (e.g. to tell the serving replicas
  // through the shared cache). Null = nobody.
  std::function<void(const std::string& run_id)> after_publish;
  // Where the launcher and RunPipelineJob count the runs they carry out; null = not counted.
  std::shared_ptr<const PipelineRunMetrics> metrics;
};

// Output keys tasks hand on (PipelineRun::outputs).
inline constexpr std::string_view kOutStoreSeqBefore = "extract.store_seq_before";
inline constexpr std::string_view kOutRowsRead = "extract.rows_read";
inline constexpr std::string_view kOutRowsDuplicate = "extract.rows_duplicate";
inline constexpr std::string_view kOutRowsEmptyId = "extract.rows_empty_id";
inline constexpr std::string_view kOutDataQuality = "data_quality.score";
inline constexpr std::string_view kOutSnapshotId = "build_features.snapshot_id";
inline constexpr std::string_view kOutTrainRunId = "train_models.run_id";
inline constexpr std::string_view kOutCandidateMetric = "evaluate.candidate";
inline constexpr std::string_view kOutProductionMetric = "evaluate.production";
inline constexpr std::string_view kOutProductionRunId = "evaluate.production_run_id";
inline constexpr std::string_view kOutGateMetric = "evaluate.metric";

// The tasks in kTaskOrder. Validates nothing up front: each task checks what it needs, so a dry
// run reports every problem of its own task.
std::vector<PipelineTask> MakePipelineTasks(const PipelineEnv& env);

// Path of a reconciliation file: <data>/evaluation/reconciliation_<date>.json.
std::filesystem::path ReconciliationPath(const std::filesystem::path& data_dir,
                                         std::string_view date);

}  // namespace reco::pipeline
