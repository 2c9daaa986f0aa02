#include "pipeline/dag.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "core/logging.h"
#include "registry/run_tracker.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

std::string_view TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kSkipped:
      return "skipped";
  }
  return "unknown";
}

namespace {

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (TaskState s : {TaskState::kPending, TaskState::kRunning, TaskState::kSucceeded,
                      TaskState::kFailed, TaskState::kSkipped}) {
    if (TaskStateName(s) == name) return s;
  }
  return std::nullopt;
}

// Typed reads of a run.json object; the first problem is kept in `error`.
class Reader {
 public:
  Reader(simdjson::dom::object object, std::string_view file) : object_(object), file_(file) {}

  std::string Str(std::string_view key) {
    std::string_view v;
    auto e = object_[key];
    if (e.error() || e.is_null()) return {};
    if (e.get_string().get(v)) Fail(key, "is not a string");
    return std::string(v);
  }
  double Num(std::string_view key) {
    auto e = object_[key];
    if (e.error() || e.is_null()) return 0;
    double d = 0;
    if (e.is_int64()) return static_cast<double>(e.get_int64().value());
    if (e.get_double().get(d)) Fail(key, "is not a number");
    return d;
  }
  bool Bool(std::string_view key) {
    auto e = object_[key];
    bool b = false;
    if (e.error() || e.is_null()) return false;
    if (e.get_bool().get(b)) Fail(key, "is not a boolean");
    return b;
  }
  TimestampUs Time(std::string_view key) {
    std::string text = Str(key);
    if (text.empty()) return 0;
    Result<TimestampUs> ts = ParseTimestamp(text);
    if (!ts.ok()) Fail(key, "is not a timestamp");
    return ts.ok() ? *ts : 0;
  }
  TaskState State(std::string_view key) {
    std::optional<TaskState> s = ParseTaskState(Str(key));
    if (!s) Fail(key, "is not a task state");
    return s.value_or(TaskState::kFailed);
  }
  void Fail(std::string_view key, std::string_view problem) {
    if (error.ok()) {
      error = DataLoss(std::string(file_) + ": field '" + std::string(key) + "' " +
                       std::string(problem));
    }
  }
  Status error;

 private:
  simdjson::dom::object object_;
  std::string_view file_;
};

// "status", "start" and "end": the lifecycle fields of a run and of each of its tasks.
template <class Record>
void WriteLifecycle(JsonWriter& w, const Record& record) {
  w.Key("status").String(TaskStateName(record.state));
  w.Key("start").TimestampOrNull(record.started);
  w.Key("end").TimestampOrNull(record.finished);
}

template <class Record>
void ReadLifecycle(Reader& r, Record& record) {
  record.state = r.State("status");
  record.started = r.Time("start");
  record.finished = r.Time("end");
}

void WriteRequest(JsonWriter& w, const RunRequest& r) {
  w.BeginObject();
  w.Key("date").String(r.date).Key("full_refresh").Bool(r.full_refresh);
  w.Key("only").String(r.only).Key("from").String(r.from).Key("resume").String(r.resume);
  w.Key("mode").String(r.mode).Key("rollout").Double(r.rollout);
  w.Key("trigger").String(r.trigger);
  w.EndObject();
}

Status ReadRequest(simdjson::dom::object object, std::string_view name, RunRequest& out) {
  Reader q(object, name);
  out.date = q.Str("date");
  out.full_refresh = q.Bool("full_refresh");
  out.only = q.Str("only");
  out.from = q.Str("from");
  out.resume = q.Str("resume");
  out.mode = q.Str("mode");
  if (out.mode.empty()) out.mode = "primary";
  out.rollout = q.Num("rollout");
  out.trigger = q.Str("trigger");
  return q.error;
}

}  // namespace

const TaskRecord* PipelineRun::Find(std::string_view task) const {
  for (const TaskRecord& t : tasks) {
    if (t.name == task) return &t;
  }
  return nullptr;
}

std::string PipelineRunToJson(const PipelineRun& run) {
  JsonWriter w;
  w.BeginObject();
  w.Key("run_id").String(run.run_id);
  WriteLifecycle(w, run);
  w.Key("date").String(run.request.date);
  w.Key("request");
  WriteRequest(w, run.request);
  w.Key("resumes").Int(run.resumes);
  w.Key("published").Bool(run.published).Key("reason").String(run.reason);
  w.Key("outputs").BeginObject();
  for (const auto& [k, v] : run.outputs) w.Key(k).String(v);
  w.EndObject();
  w.Key("tasks").BeginArray();
  for (const TaskRecord& t : run.tasks) {
    w.BeginObject().Key("name").String(t.name);
    WriteLifecycle(w, t);
    w.Key("attempts").Int(t.attempts).Key("message").String(t.message);
    w.Key("log_file").String(t.log_file).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<PipelineRun> PipelineRunFromJson(std::string_view json, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object root;
  if (parser.parse(padded).get_object().get(root)) {
    return DataLoss(std::string(name) + ": not a valid JSON object");
  }
  PipelineRun run;
  Reader r(root, name);
  run.run_id = r.Str("run_id");
  ReadLifecycle(r, run);
  run.resumes = static_cast<int>(r.Num("resumes"));
  run.published = r.Bool("published");
  run.reason = r.Str("reason");
  simdjson::dom::object request;
  if (!root["request"].get_object().get(request)) {
    RECO_RETURN_IF_ERROR(ReadRequest(request, name, run.request));
  }
  simdjson::dom::object outputs;
  if (!root["outputs"].get_object().get(outputs)) {
    for (auto [key, value] : outputs) {
      std::string_view v;
      if (value.get_string().get(v)) r.Fail("outputs", "holds a value that is not a string");
      run.outputs[std::string(key)] = std::string(v);
    }
  }
  simdjson::dom::array tasks;
  if (root["tasks"].get_array().get(tasks)) r.Fail("tasks", "is not an array");
  for (simdjson::dom::element e : tasks) {
    simdjson::dom::object o;
    if (e.get_object().get(o)) {
      r.Fail("tasks", "holds an entry that is not an object");
      break;
    }
    Reader t(o, name);
    TaskRecord task;
    task.name = t.Str("name");
    ReadLifecycle(t, task);
    task.attempts = static_cast<int>(t.Num("attempts"));
    task.message = t.Str("message");
    task.log_file = t.Str("log_file");
    if (!t.error.ok()) return t.error;
    run.tasks.push_back(std::move(task));
  }
  if (!r.error.ok()) return r.error;
  if (run.run_id.empty()) return DataLoss(std::string(name) + ": field 'run_id' is missing");
  return run;
}

void TaskContext::Log(std::string_view line) {
  if (sink_) sink_(task_.name, line);
  if (dry_run_ || log_path_.empty()) return;
  std::ofstream out(log_path_, std::ios::app);
  out << FormatTimestamp(clock_.NowMicros()) << " [attempt " << task_.attempts << "] "
      << EscapeLogText(line) << '\n';
}

bool TaskContext::SkipLater(std::string_view task, std::string reason) {
  for (TaskRecord& t : run_.tasks) {
    if (t.name != task || &t == &task_ || t.state != TaskState::kPending) continue;
    t.state = TaskState::kSkipped;
    t.message = std::move(reason);
    return true;
  }
  return false;
}

std::optional<std::string> TaskContext::Output(std::string_view key) const {
  auto it = run_.outputs.find(std::string(key));
  if (it == run_.outputs.end()) return std::nullopt;
  return it->second;
}

bool IsRetryable(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kUnimplemented:
      return false;
    default:
      return !status.ok();
  }
}

std::string DateOf(TimestampUs ts) { return FormatTimestamp(ts).substr(0, 10); }

// The advisory lock of one data dir: flock on pipeline/pipeline.lock, which holds the id of the
// run that holds it (for the error message of a second run).
class PipelineRunner::Lock {
 public:
  ~Lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  static Result<std::unique_ptr<Lock>> Acquire(const fs::path& data_dir) {
    fs::path path = data_dir / kPipelineLockFile;
    RECO_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Internal("cannot open the pipeline lock " + path.string());
    auto lock = std::make_unique<Lock>();
    lock->fd_ = fd;
    lock->path_ = path;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      Result<std::string> holder = ReadFile(path);
      std::string id = holder.ok() ? *holder : "";
      while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
      return FailedPrecondition("pipeline run " + (id.empty() ? "(unknown)" : id) +
                                " is already running in " + data_dir.string() + " (lock " +
                                path.string() + ")");
    }
    return lock;
  }
  // The id written by the previous holder, then `run_id` in its place.
  std::string Swap(const std::string& run_id) {
    std::string previous;
    char buf[256];
    ssize_t n = ::pread(fd_, buf, sizeof(buf), 0);
    if (n > 0) previous.assign(buf, static_cast<size_t>(n));
    while (!previous.empty() && previous.back() == '\n') previous.pop_back();
    if (::ftruncate(fd_, 0) == 0) {
      std::string line = run_id + "\n";
      (void)!::pwrite(fd_, line.data(), line.size(), 0);
    }
    return previous;
  }

 private:
  int fd_ = -1;
  fs::path path_;
};

PipelineRunner::PipelineRunner(fs::path data_dir, std::vector<PipelineTask> tasks,
                               const Clock& clock, PipelineRunnerOptions options)
    : data_dir_(std::move(data_dir)),
      tasks_(std::move(tasks)),
      clock_(clock),
      options_(std::move(options)) {
  next_suffix_ = options_.seed != 0 ? options_.seed : std::random_device{}();
}

std::vector<std::string> PipelineRunner::task_names() const {
  std::vector<std::string> names;
  for (const PipelineTask& t : tasks_) names.push_back(t.name);
  return names;
}

fs::path PipelineRunner::RunDir(std::string_view run_id) const {
  return data_dir_ / kPipelineRunsDir / std::string(run_id);
}

Status PipelineRunner::Validate(const RunRequest& request) const {
  auto known = [&](const std::string& name) {
    return std::any_of(tasks_.begin(), tasks_.end(),
                       [&](const PipelineTask& t) { return t.name == name; });
  };
  std::string names;
  for (const PipelineTask& t : tasks_) names += (names.empty() ? "" : ", ") + t.name;
  if (!request.only.empty() && !known(request.only)) {
    return InvalidArgument("unknown task \"" + request.only + "\" (tasks: " + names + ")", "only");
  }
  if (!request.from.empty() && !known(request.from)) {
    return InvalidArgument("unknown task \"" + request.from + "\" (tasks: " + names + ")", "from");
  }
  if (!request.only.empty() && !request.from.empty()) {
    return InvalidArgument("--only and --from cannot be combined", "from");
  }
  if (!request.resume.empty() && (!request.only.empty() || !request.from.empty())) {
    return InvalidArgument("--resume continues a run as it was started; drop --only/--from",
                           "resume");
  }
  if (!request.date.empty()) {
    Result<TimestampUs> ts = ParseTimestamp(request.date);
    if (request.date.size() != 10 || !ts.ok()) {
      return InvalidArgument("date \"" + request.date + "\" is not YYYY-MM-DD", "date");
    }
  }
  if (request.mode != "primary" && request.mode != "canary") {
    return InvalidArgument("mode \"" + request.mode + "\" must be primary or canary", "mode");
  }
  if (request.mode == "canary" && !(request.rollout > 0 && request.rollout <= 1)) {
    return InvalidArgument("a canary needs a rollout in (0, 1]", "rollout");
  }
  return Status::Ok();
}

Result<PipelineRun> PipelineRunner::NewRun(const RunRequest& request) {
  PipelineRun run;
  run.request = request;
  run.request.resume.clear();
  run.request.dry_run = false;
  run.started = clock_.NowMicros();
  if (run.request.date.empty()) run.request.date = DateOf(run.started);
  run.run_id =
      request.dry_run
          ? "dry-run"
          : registry::MakeRunId(run.started, static_cast<uint32_t>(next_suffix_++ * 2654435761u));
  bool before_from = !request.from.empty();
  for (const PipelineTask& t : tasks_) {
    TaskRecord task;
    task.name = t.name;
    task.log_file = (fs::path(kPipelineRunsDir) / run.run_id / (t.name + ".log")).generic_string();
    if (before_from && t.name == request.from) before_from = false;
    if (!request.only.empty() && t.name != request.only) {
      task.state = TaskState::kSkipped;
      task.message = "not selected (--only " + request.only + ")";
    } else if (before_from) {
      task.state = TaskState::kSkipped;
      task.message = "before --from " + request.from;
    }
    run.tasks.push_back(std::move(task));
  }
  // A partial run reuses what earlier runs handed on (newest value wins).
  if (!request.only.empty() || !request.from.empty()) {
    Result<std::vector<PipelineRun>> previous = List();
    if (previous.ok()) {
      for (const PipelineRun& p : *previous) {
        for (const auto& [k, v] : p.outputs) run.outputs[k] = v;
      }
    }
  }
  return run;
}

Result<PipelineRun> PipelineRunner::Resume(const RunRequest& request) {
  RECO_ASSIGN_OR_RETURN(PipelineRun run, Get(request.resume));
  if (run.state == TaskState::kSucceeded) {
    return InvalidArgument("pipeline run " + run.run_id + " succeeded; there is nothing to resume",
                           "resume");
  }
  run.state = TaskState::kRunning;
  run.finished = 0;
  run.reason.clear();
  ++run.resumes;
  return run;
}

Status PipelineRunner::Save(const PipelineRun& run) const {
  fs::path dir = RunDir(run.run_id);
  RECO_RETURN_IF_ERROR(EnsureDirectory(dir));
  return WriteFileAtomic(dir / "run.json", PipelineRunToJson(run));
}

void PipelineRunner::MarkInterrupted(std::string_view run_id) {
  if (run_id.empty()) return;
  Result<PipelineRun> run = Get(run_id);
  if (!run.ok() || run->state != TaskState::kRunning) return;
  run->state = TaskState::kFailed;
  run->finished = clock_.NowMicros();
  run->reason = "interrupted: the process running it ended";
  for (TaskRecord& t : run->tasks) {
    if (t.state == TaskState::kRunning) {
      t.state = TaskState::kFailed;
      t.message = "interrupted";
    }
  }
  (void)Save(*run);
}

Result<PipelineRun> PipelineRunner::Run(const RunRequest& request,
                                        const std::function<void(const PipelineRun&)>& on_started) {
  RECO_RETURN_IF_ERROR(Validate(request));
  if (request.dry_run) {
    if (!request.resume.empty()) {
      return InvalidArgument("--dry-run cannot resume a run", "dry_run");
    }
    RECO_ASSIGN_OR_RETURN(PipelineRun run, NewRun(request));
    if (on_started) on_started(run);
    RECO_RETURN_IF_ERROR(Execute(run, /*dry_run=*/true));
    return run;
  }
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<Lock> lock, Lock::Acquire(data_dir_));
  PipelineRun run;
  if (request.resume.empty()) {
    RECO_ASSIGN_OR_RETURN(run, NewRun(request));
  } else {
    // The lock is free, so a record still "running" belongs to a process that ended.
    MarkInterrupted(request.resume);
    RECO_ASSIGN_OR_RETURN(run, Resume(request));
  }
  MarkInterrupted(lock->Swap(run.run_id));
  RECO_RETURN_IF_ERROR(Save(run));
  if (on_started) on_started(run);
  RECO_RETURN_IF_ERROR(Execute(run, /*dry_run=*/false));
  return run;
}

Status PipelineRunner::Execute(PipelineRun& run, bool dry_run) {
  for (size_t i = 0; i < run.tasks.size() && i < tasks_.size(); ++i) {
    TaskState s = run.tasks[i].state;
    if (s == TaskState::kSucceeded || s == TaskState::kSkipped) continue;
    RECO_RETURN_IF_ERROR(RunTask(run, i, dry_run));
    if (run.tasks[i].state == TaskState::kFailed) {
      if (run.state != TaskState::kFailed) {
        run.reason = run.tasks[i].name + ": " + run.tasks[i].message;
      }
      run.state = TaskState::kFailed;
      if (!dry_run) break;  // a dry run reports every task's problems
    }
  }
  if (run.state == TaskState::kRunning) run.state = TaskState::kSucceeded;
  run.finished = clock_.NowMicros();
  if (!dry_run) RECO_RETURN_IF_ERROR(Save(run));
  if (options_.on_change) options_.on_change(run);
  return Status::Ok();
}

Status PipelineRunner::RunTask(PipelineRun& run, size_t index, bool dry_run) {
  TaskRecord& task = run.tasks[index];
  if (task.name != tasks_[index].name) {
    return Internal("run " + run.run_id + " lists task " + task.name + " where " +
                    tasks_[index].name + " was expected");
  }
  task.started = clock_.NowMicros();
  task.finished = 0;
  task.message.clear();
  int max_attempts = 1 + std::max(0, options_.task_retries);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    task.state = TaskState::kRunning;
    ++task.attempts;
    if (!dry_run) RECO_RETURN_IF_ERROR(Save(run));
    if (options_.on_change) options_.on_change(run);
    TaskContext context(run, task, dry_run ? fs::path() : data_dir_ / task.log_file, dry_run,
                        clock_, options_.log_sink);
    if (!dry_run) RECO_RETURN_IF_ERROR(EnsureDirectory(RunDir(run.run_id)));
    Status st;
    try {
      st = tasks_[index].run(context);
    } catch (const std::exception& e) {
      st = Internal(std::string("task threw: ") + e.what());
    }
    task.finished = clock_.NowMicros();
    if (st.ok()) {
      task.state = TaskState::kSucceeded;
      task.message = context.summary();
      if (!task.message.empty()) context.Log(task.message);
      return Status::Ok();
    }
    task.state = TaskState::kFailed;
    task.message = st.message();
    context.Log("failed: " + st.ToString());
    if (!IsRetryable(st)) break;
  }
  return Status::Ok();
}

Result<PipelineRun> PipelineRunner::Get(std::string_view run_id) const {
  RECO_RETURN_IF_ERROR(registry::ValidateRunId(run_id, "run_id"));
  fs::path path = RunDir(run_id) / "run.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return NotFound("pipeline run " + std::string(run_id) + " not found (no " + path.string() +
                    ")");
  }
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return PipelineRunFromJson(text, path.string());
}

Result<std::vector<PipelineRun>> PipelineRunner::List(std::vector<std::string>* problems) const {
  std::vector<PipelineRun> runs;
  fs::path dir = data_dir_ / kPipelineRunsDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return runs;
  std::set<std::string> ids;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) ids.insert(e.path().filename().string());
  }
  for (const std::string& id : ids) {
    Result<PipelineRun> run = Get(id);
    if (run.ok()) {
      runs.push_back(std::move(run).value());
    } else if (problems != nullptr) {
      problems->push_back(run.status().message());
    }
  }
  std::stable_sort(runs.begin(), runs.end(), [](const PipelineRun& a, const PipelineRun& b) {
    return a.started < b.started;
  });
  return runs;
}

}  // namespace reco::pipeline
