// `reco pipeline run|runs|show|logs --data-dir DIR`: the offline DAG extract → data_quality →
// build_features → train_models → evaluate → reconcile_metrics → publish (docs/pipeline.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "app/pipeline_env.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "cli/pipeline_local.h"
#include "core/file_util.h"
#include "core/time.h"
#include "pipeline/dag.h"
#include "pipeline/tasks.h"
#include "store/open_store.h"

namespace reco::cli {
namespace {

namespace fs = std::filesystem;
using pipeline::PipelineRun;
using pipeline::TaskRecord;

[[noreturn]] void Fail(const std::string& message, int code = 1) {
  throw CommandFailed{code, message};
}

std::string Seconds(TimestampUs start, TimestampUs end) {
  if (start == 0 || end == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(end - start) / kMicrosPerSecond);
  return buf;
}

// A progress line per task state change on stderr: "[3/7] build_features running (attempt 1)".
class ProgressPrinter {
 public:
  void operator()(const PipelineRun& run) {
    for (size_t i = 0; i < run.tasks.size(); ++i) {
      const TaskRecord& t = run.tasks[i];
      std::string key = t.name + "/" + std::string(pipeline::TaskStateName(t.state)) + "/" +
                        std::to_string(t.attempts);
      if (t.state == pipeline::TaskState::kPending || t.state == pipeline::TaskState::kSkipped ||
          seen_.count(key) != 0) {
        continue;
      }
      seen_.insert(key);
      std::string detail = t.state == pipeline::TaskState::kRunning
                               ? "(attempt " + std::to_string(t.attempts) + ")"
                               : Seconds(t.started, t.finished) + "  " + t.message;
      std::fprintf(stderr, "[%zu/%zu] %-17s %-9s %s\n", i + 1, run.tasks.size(), t.name.c_str(),
                   std::string(pipeline::TaskStateName(t.state)).c_str(), detail.c_str());
    }
  }

 private:
  std::set<std::string> seen_;
};

}  // namespace

PipelineRun RunPipelineLocally(const LocalPipelineFlags& flags,
                               const pipeline::RunRequest& request) {
  RequireDataDir("pipeline", flags.data_dir);
  RecoConfig config = LoadCommandConfig(flags.config, flags.data_dir);
  if (Status st = config.Validate(); !st.ok()) Fail("pipeline: " + st.message(), 2);
  Result<std::unique_ptr<Store>> store = OpenStore(config, flags.data_dir);
  if (!store.ok()) {
    Fail("pipeline: cannot open the store in " + flags.data_dir + ": " + store.status().ToString());
  }
  auto progress = std::make_shared<ProgressPrinter>();
  app::LocalPipelineOptions options{
      .reload_url = flags.reload_url, .threads = flags.threads, .show_progress = !flags.quiet};
  if (!flags.quiet && !request.dry_run) {
    options.runner.on_change = [progress](const PipelineRun& run) { (*progress)(run); };
    options.on_started = [](const PipelineRun& r) {
      std::fprintf(stderr, "pipeline run %s (date %s)\n", r.run_id.c_str(), r.request.date.c_str());
    };
  }
  if (request.dry_run) {
    options.runner.log_sink = [](std::string_view task, std::string_view line) {
      std::printf("%-17s %.*s\n", std::string(task).c_str(), static_cast<int>(line.size()),
                  line.data());
    };
  }
  Result<PipelineRun> run = app::RunPipelineHere(config, flags.data_dir, **store,
                                                 SystemClock::Get(), request, std::move(options));
  (*store)->Close();
  if (!run.ok()) {
    Fail("pipeline: " + run.status().message() +
             (run.status().field().empty() ? "" : " (--" + run.status().field() + ")"),
         run.status().code() == StatusCode::kInvalidArgument ? 2 : 1);
  }
  return std::move(run).value();
}

namespace {

struct PipelineFlags {
  LocalPipelineFlags local;
  pipeline::RunRequest request;
  double canary = 0;
  bool json = false;
  std::string run_id;
  std::string task;
  int n = 20;
};

void PrintRun(const PipelineRun& run) {
  std::printf("run       %s\nstatus    %s\ndate      %s\nstart     %s\nend       %s\n",
              run.run_id.c_str(), std::string(pipeline::TaskStateName(run.state)).c_str(),
              run.request.date.c_str(), run.started ? FormatTimestamp(run.started).c_str() : "-",
              run.finished ? FormatTimestamp(run.finished).c_str() : "-");
  std::printf("published %s\n", run.published ? "yes" : "no");
  if (!run.reason.empty()) std::printf("reason    %s\n", run.reason.c_str());
  std::printf("\n%-17s %-9s %8s %8s  %s\n", "TASK", "STATUS", "ATTEMPTS", "TIME", "MESSAGE");
  for (const TaskRecord& t : run.tasks) {
    std::printf("%-17s %-9s %8d %8s  %s\n", t.name.c_str(),
                std::string(pipeline::TaskStateName(t.state)).c_str(), t.attempts,
                Seconds(t.started, t.finished).c_str(), t.message.c_str());
  }
}

void RunCommand(PipelineFlags& flags) {
  if (flags.canary > 0) {
    flags.request.mode = "canary";
    flags.request.rollout = flags.canary;
  }
  PipelineRun run = RunPipelineLocally(flags.local, flags.request);
  if (flags.json) {
    std::printf("%s\n", pipeline::PipelineRunToJson(run).c_str());
  } else if (!flags.request.dry_run) {
    PrintRun(run);
  } else {
    std::printf("dry run: %s; nothing was written\n", run.state == pipeline::TaskState::kSucceeded
                                                          ? "every task is ready"
                                                          : ("problem: " + run.reason).c_str());
  }
  if (run.state != pipeline::TaskState::kSucceeded) {
    throw CommandFailed{1, flags.request.dry_run
                               ? ""
                               : "pipeline run " + run.run_id + " failed: " + run.reason +
                                     " (resume with: reco pipeline run --resume " + run.run_id +
                                     ")"};
  }
}

pipeline::PipelineRunner ReadOnlyRunner(const PipelineFlags& flags, const std::string& command) {
  RequireDataDir(command, flags.local.data_dir);
  return pipeline::PipelineRunner(flags.local.data_dir, {}, SystemClock::Get());
}

void RunsCommand(const PipelineFlags& flags) {
  pipeline::PipelineRunner runner = ReadOnlyRunner(flags, "pipeline runs");
  std::vector<std::string> problems;
  Result<std::vector<PipelineRun>> runs = runner.List(&problems);
  if (!runs.ok()) Fail("pipeline runs: " + runs.status().ToString());
  std::vector<PipelineRun> newest(runs->rbegin(), runs->rend());
  if (newest.size() > static_cast<size_t>(flags.n)) newest.resize(static_cast<size_t>(flags.n));
  if (flags.json) {
    std::string out = "[";
    for (size_t i = 0; i < newest.size(); ++i) {
      out += (i ? "," : "") + pipeline::PipelineRunToJson(newest[i]);
    }
    std::printf("%s]\n", out.c_str());
    return;
  }
  std::printf("%-24s %-9s %-10s %-20s %8s %-9s %s\n", "RUN", "STATUS", "DATE", "START", "TIME",
              "PUBLISHED", "REASON");
  for (const PipelineRun& r : newest) {
    std::printf("%-24s %-9s %-10s %-20s %8s %-9s %s\n", r.run_id.c_str(),
                std::string(pipeline::TaskStateName(r.state)).c_str(), r.request.date.c_str(),
                FormatTimestamp(r.started).c_str(), Seconds(r.started, r.finished).c_str(),
                r.published ? "yes" : "no", r.reason.c_str());
  }
  for (const std::string& p : problems) std::fprintf(stderr, "warning: %s\n", p.c_str());
}

void ShowCommand(const PipelineFlags& flags) {
  pipeline::PipelineRunner runner = ReadOnlyRunner(flags, "pipeline show");
  Result<PipelineRun> run = runner.Get(flags.run_id);
  if (!run.ok()) Fail("pipeline show: " + run.status().message());
  if (flags.json) {
    std::printf("%s\n", pipeline::PipelineRunToJson(*run).c_str());
  } else {
    PrintRun(*run);
  }
}

void LogsCommand(const PipelineFlags& flags) {
  pipeline::PipelineRunner runner = ReadOnlyRunner(flags, "pipeline logs");
  Result<PipelineRun> run = runner.Get(flags.run_id);
  if (!run.ok()) Fail("pipeline logs: " + run.status().message());
  const TaskRecord* task = run->Find(flags.task);
  if (task == nullptr) {
    Fail("pipeline logs: run " + flags.run_id + " has no task \"" + flags.task + "\"");
  }
  fs::path path = fs::path(flags.local.data_dir) / task->log_file;
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    Fail("pipeline logs: task " + flags.task + " of run " + flags.run_id + " has no log yet (" +
         path.string() + "; status " + std::string(pipeline::TaskStateName(task->state)) + ")");
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
}

void AddCommon(CLI::App* cmd, PipelineFlags& flags) {
  cmd->add_option("--data-dir", flags.local.data_dir, "Data directory")->required();
  cmd->add_option("--config", flags.local.config,
                  "reco.toml (default: DATA_DIR/reco.toml when present)");
  cmd->add_flag("--json", flags.json, "Print JSON instead of tables");
}

}  // namespace

void RegisterPipelineCommand(CLI::App& app) {
  auto flags = std::make_shared<PipelineFlags>();
  CLI::App* cmd =
      app.add_subcommand("pipeline",
                         "The offline DAG: extract, data_quality, build_features, train_models, "
                         "evaluate, reconcile_metrics, publish");
  cmd->require_subcommand(1);

  CLI::App* run = cmd->add_subcommand("run", "Run the pipeline (or part of it) now");
  AddCommon(run, *flags);
  pipeline::RunRequest& r = flags->request;
  run->add_flag("--full-refresh", r.full_refresh, "extract ignores the watermarks");
  run->add_flag("--dry-run", r.dry_run,
                "Each task validates config and sources and says what it would do; writes "
                "nothing");
  run->add_option("--only", r.only, "Run only this task");
  run->add_option("--from", r.from, "Start at this task (earlier outputs are reused)");
  run->add_option("--resume", r.resume, "Continue this failed run from its failed task");
  run->add_option("--date", r.date, "The date the run is for, YYYY-MM-DD (default: today, UTC)");
  run->add_option("--canary", flags->canary,
                  "Publish as canary served to this share of users, (0, 1]")
      ->check(CLI::Range(0.0, 1.0));
  run->add_option(
      "--reload-url", flags->local.reload_url,
      "POST the new model here after publishing (default: pipeline.reload_url, MODEL_RELOAD_URL)");
  run->add_option("--threads", flags->local.threads, "Training/evaluation threads (0 = cores)")
      ->check(CLI::NonNegativeNumber);
  run->add_flag("--quiet", flags->local.quiet, "No progress lines");
  auto tenant = std::make_shared<std::string>();
  run->add_option("--tenant", *tenant, "Run the pipeline of tenant NAME (DATA_DIR/tenants/NAME)");
  run->callback([flags, tenant] {
    flags->local.data_dir = TenantDataDir("pipeline run", flags->local.data_dir, *tenant);
    flags->request.trigger = "cli";
    RunCommand(*flags);
  });

  CLI::App* runs = cmd->add_subcommand("runs", "List pipeline runs, newest first");
  AddCommon(runs, *flags);
  runs->add_option("-n", flags->n, "At most this many runs")->check(CLI::PositiveNumber);
  runs->callback([flags] { RunsCommand(*flags); });

  CLI::App* show = cmd->add_subcommand("show", "One run: status and its tasks");
  AddCommon(show, *flags);
  show->add_option("run", flags->run_id, "Run id")->required();
  show->callback([flags] { ShowCommand(*flags); });

  CLI::App* logs = cmd->add_subcommand("logs", "Print the log of one task of a run");
  AddCommon(logs, *flags);
  logs->add_option("run", flags->run_id, "Run id")->required();
  logs->add_option("task", flags->task, "Task name")->required();
  logs->callback([flags] { LogsCommand(*flags); });
}

}  // namespace reco::cli
