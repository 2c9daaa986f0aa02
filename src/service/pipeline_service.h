// PipelineService: pipeline runs in the server for every transport — start one (one at a time:
// FailedPrecondition while a run holds the data dir's lock), list recent runs, read one.
//
// Runs are started through a function (pipeline::PipelineLauncher::Start in `reco serve`, wired
// in app/), so this library reads run records without linking the pipeline's tasks and their
// sources.
//
// Thread-safety: safe from any number of request threads when `start` is (the launcher is).
// Lifetime: borrows the Clock, which must outlive it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "pipeline/dag.h"

namespace reco::service {

struct ListPipelineRunsRequest {
  int n = 20;  // at most this many runs
};

struct PipelineRunList {
  std::vector<pipeline::PipelineRun> runs;  // newest first
  std::vector<std::string> problems;        // run records that did not parse
};

// Starts a run in the background; its run id, FailedPrecondition while another run holds the
// data dir's lock, InvalidArgument for a bad request.
using StartPipelineRun = std::function<Result<std::string>(pipeline::RunRequest)>;

// One file the pipeline wrote, as read now; `json` empty when the file does not exist.
struct PipelineFile {
  std::string json;
  TimestampUs modified = 0;
};

// The evaluation files of the data dir (pipeline/data_files.h).
struct EvaluationFiles {
  PipelineFile summary;           // evaluation/summary.json
  PipelineFile exposure_metrics;  // evaluation/exposure_metrics.json
  struct Reconciliation {
    std::string date;  // YYYY-MM-DD
    TimestampUs modified = 0;
  };
  std::vector<Reconciliation> reconciliations;  // newest date first
};

class PipelineService {
 public:
  // Run records are read from `data_dir`.
  PipelineService(StartPipelineRun start, const std::filesystem::path& data_dir,
                  const Clock& clock);

  // Starts the run in the background; its run id.
  Result<std::string> Start(pipeline::RunRequest request);
  Result<PipelineRunList> List(const ListPipelineRunsRequest& request) const;
  Result<pipeline::PipelineRun> Get(std::string_view run_id) const;  // NotFound

  // The last `tail_bytes` bytes (1..16 MiB) of the log of task `task` of run `run_id`: NotFound
  // naming the run, the task or the missing file.
  Result<std::string> TaskLog(std::string_view run_id, std::string_view task,
                              int64_t tail_bytes) const;
  Result<EvaluationFiles> Evaluation() const;
  // evaluation/reconciliation_<date>.json; InvalidArgument naming "date" unless YYYY-MM-DD,
  // NotFound when there is none.
  Result<PipelineFile> Reconciliation(std::string_view date) const;

 private:
  std::filesystem::path data_dir_;
  StartPipelineRun start_;
  pipeline::PipelineRunner runs_;  // without tasks: reads the run records
};

}  // namespace reco::service
