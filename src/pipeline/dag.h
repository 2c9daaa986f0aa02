// The DAG runner of `reco pipeline`: runs named tasks in a fixed order, one at a time, and
// records the run in <data>/pipeline/runs/<run_id>/run.json (replaced atomically after every state
// change) with one log file per task beside it. A task that fails is retried (task_retries) unless
// its error is one a retry cannot fix; a failed run can be resumed from its failed task. One run
// at a time per data dir (advisory flock on <data>/pipeline/pipeline.lock).
//
// Thread-safety: a PipelineRunner runs one Run() at a time; Get() and List() only read files and
// may be called from any thread and process. Lifetime: the Clock must outlive the runner; the
// task functions are called only during Run().
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco::pipeline {

inline constexpr std::string_view kTaskExtract = "extract";
inline constexpr std::string_view kTaskDataQuality = "data_quality";
inline constexpr std::string_view kTaskBuildFeatures = "build_features";
inline constexpr std::string_view kTaskTrainModels = "train_models";
inline constexpr std::string_view kTaskEvaluate = "evaluate";
inline constexpr std::string_view kTaskReconcileMetrics = "reconcile_metrics";
inline constexpr std::string_view kTaskPublish = "publish";
inline constexpr std::array<std::string_view, 7> kTaskOrder = {
    kTaskExtract,  kTaskDataQuality,      kTaskBuildFeatures, kTaskTrainModels,
    kTaskEvaluate, kTaskReconcileMetrics, kTaskPublish};

inline constexpr std::string_view kPipelineDir = "pipeline";
inline constexpr std::string_view kPipelineRunsDir = "pipeline/runs";
inline constexpr std::string_view kPipelineLockFile = "pipeline/pipeline.lock";

// States of a task and of a whole run (a run is never pending or skipped).
enum class TaskState { kPending, kRunning, kSucceeded, kFailed, kSkipped };
std::string_view TaskStateName(TaskState state);  // "pending", "running", ...

struct TaskRecord {
  std::string name;
  TaskState state = TaskState::kPending;
  TimestampUs started = 0;   // 0 until the task starts
  TimestampUs finished = 0;  // 0 until it ends
  int attempts = 0;
  std::string message;   // the error of the last failed attempt, or the task's summary
  std::string log_file;  // relative to the data dir, '/'-separated
};

// What the caller asks for. The flags of `reco pipeline run` and of POST /api/v1/pipeline/runs.
struct RunRequest {
  std::string date;              // YYYY-MM-DD the run is for; empty = today (UTC, by the clock)
  bool full_refresh = false;     // extract ignores the watermarks
  bool dry_run = false;          // tasks validate and say what they would do; nothing is written
  std::string only;              // run only this task
  std::string from;              // start at this task; earlier ones are skipped
  std::string resume;            // run id: continue that run from its first unfinished task
  std::string mode = "primary";  // publish as "primary" (production alias) or "canary"
  double rollout = 0;            // canary: the share of users served, (0, 1]
  std::string trigger = "cli";   // who started it: cli, api, scheduler, release
};

struct PipelineRun {
  std::string run_id;
  TaskState state = TaskState::kRunning;  // running, succeeded or failed
  TimestampUs started = 0;
  TimestampUs finished = 0;
  RunRequest request;  // as asked (dry_run is never stored: dry runs write nothing)
  int resumes = 0;     // how many times the run was resumed
  // Set by the publish task: whether the model was published, and why (not).
  bool published = false;
  std::string reason;  // why the run failed, or why publish did not publish
  // Values tasks hand to later tasks (and to resumed or --from runs), e.g. "train.run_id".
  std::map<std::string, std::string> outputs;
  std::vector<TaskRecord> tasks;

  const TaskRecord* Find(std::string_view task) const;
};

std::string PipelineRunToJson(const PipelineRun& run);
// Parses PipelineRunToJson's output; DataLoss naming `name` (the file) when malformed.
Result<PipelineRun> PipelineRunFromJson(std::string_view json, std::string_view name);

// What a task sees of its run.
class TaskContext {
 public:
  using LogSink = std::function<void(std::string_view task, std::string_view line)>;
  TaskContext(PipelineRun& run, TaskRecord& task, std::filesystem::path log_path, bool dry_run,
              const Clock& clock, LogSink sink)
      : run_(run),
        task_(task),
        log_path_(std::move(log_path)),
        dry_run_(dry_run),
        clock_(clock),
        sink_(std::move(sink)) {}

  const PipelineRun& run() const { return run_; }
  const RunRequest& request() const { return run_.request; }
  const std::string& date() const { return run_.request.date; }
  bool dry_run() const { return dry_run_; }
  int attempt() const { return task_.attempts; }

  // Appends a time-stamped line to the task's log file (dry run: only to the sink).
  void Log(std::string_view line);
  // A value set by an earlier task of this run (or inherited by a resumed / --from run).
  std::optional<std::string> Output(std::string_view key) const;
  void SetOutput(std::string key, std::string value) { run_.outputs[std::move(key)] = value; }
  // The task's one-line summary, shown in `reco pipeline show`.
  void SetSummary(std::string summary) { summary_ = std::move(summary); }
  const std::string& summary() const { return summary_; }
  // The publish decision, copied into the run record.
  void SetPublished(bool published, std::string reason) {
    run_.published = published;
    run_.reason = std::move(reason);
  }
  // Marks `task`, a later task of this run that has not started, as skipped with `reason`
  // (shown by `reco pipeline show`); the runner then passes over it. False when there is no such
  // pending task.
  bool SkipLater(std::string_view task, std::string reason);

 private:
  PipelineRun& run_;
  TaskRecord& task_;
  std::filesystem::path log_path_;
  bool dry_run_;
  const Clock& clock_;
  LogSink sink_;
  std::string summary_;
};

using TaskFunction = std::function<Status(TaskContext&)>;

struct PipelineTask {
  std::string name;
  TaskFunction run;
};

// True when a retry may help: not for InvalidArgument, NotFound, AlreadyExists,
// FailedPrecondition and Unimplemented, which a second attempt would meet again.
bool IsRetryable(const Status& status);

struct PipelineRunnerOptions {
  int task_retries = 1;  // extra attempts of a failed task within one run
  // Called after every state change of the run (a task started, succeeded, failed ...).
  std::function<void(const PipelineRun&)> on_change;
  // Receives every task log line (e.g. printed by the CLI); may be empty.
  TaskContext::LogSink log_sink;
  uint64_t seed = 0;  // run id suffixes; 0 = random
};

class PipelineRunner {
 public:
  // `tasks` in the order they run; names must be unique.
  PipelineRunner(std::filesystem::path data_dir, std::vector<PipelineTask> tasks,
                 const Clock& clock, PipelineRunnerOptions options = {});

  // Runs (or resumes) a run to its end. `on_started` is called once the run id exists and the
  // lock is held, before the first task. The result is the final record; a run whose task
  // failed is a successful call with state kFailed. Errors: InvalidArgument for a bad request
  // (unknown task, bad date, resume of a run that succeeded), FailedPrecondition "pipeline run R
  // is already running in DIR" when the lock is held, NotFound for an unknown --resume run,
  // and errors writing the run record.
  Result<PipelineRun> Run(const RunRequest& request,
                          const std::function<void(const PipelineRun&)>& on_started = {});

  // NotFound "pipeline run R not found (no DIR/pipeline/runs/R/run.json)".
  Result<PipelineRun> Get(std::string_view run_id) const;
  // Every run, oldest first; unreadable records are skipped and described in `problems`.
  Result<std::vector<PipelineRun>> List(std::vector<std::string>* problems = nullptr) const;

  std::filesystem::path RunDir(std::string_view run_id) const;
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::vector<std::string> task_names() const;

 private:
  class Lock;
  Status Validate(const RunRequest& request) const;
  Result<PipelineRun> NewRun(const RunRequest& request);
  Result<PipelineRun> Resume(const RunRequest& request);
  Status Execute(PipelineRun& run, bool dry_run);
  Status RunTask(PipelineRun& run, size_t index, bool dry_run);
  Status Save(const PipelineRun& run) const;
  void MarkInterrupted(std::string_view run_id);

  std::filesystem::path data_dir_;
  std::vector<PipelineTask> tasks_;
  const Clock& clock_;
  PipelineRunnerOptions options_;
  uint64_t next_suffix_;
};

// Today's date (UTC) as YYYY-MM-DD.
std::string DateOf(TimestampUs ts);

}  // namespace reco::pipeline
