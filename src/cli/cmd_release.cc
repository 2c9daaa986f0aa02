// `reco release [--server URL | --data-dir DIR] [--mode primary|canary] [--rollout F]
// [--timeout S]`: runs the pipeline on a server (POST /api/v1/pipeline/runs, then polls
// GET /api/v1/pipeline/runs/{id}) or in this process, follows it to the end and prints a summary:
// data quality, the gate metric of the new model vs production, published or not and why.
// Exit 0 when the new model was published (and, with MODEL_RELOAD_URL, reloaded), 1 otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "api/http/http_client.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "cli/pipeline_local.h"
#include "core/json_writer.h"
#include "pipeline/dag.h"
#include "pipeline/tasks.h"

namespace reco::cli {
namespace {

struct ReleaseFlags {
  std::string server;
  std::string api_key;
  std::string reload_token;  // MODEL_RELOAD_TOKEN: the credential when no API key is given
  LocalPipelineFlags local;
  std::string mode = "primary";
  double rollout = 0.1;
  double timeout = 3600;
  double poll = 2;
  std::string date;
  bool full_refresh = false;
  bool json = false;
};

[[noreturn]] void Fail(const std::string& message, int code = 1) {
  throw CommandFailed{code, message};
}

std::string Output(const pipeline::PipelineRun& run, std::string_view key) {
  auto it = run.outputs.find(std::string(key));
  if (it == run.outputs.end() || it->second.empty()) return "-";
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (end != nullptr && *end == '\0' && it->second.find('.') != std::string::npos) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.4f", v);
    return buf;
  }
  return it->second;
}

pipeline::PipelineRun FollowOnServer(const ReleaseFlags& flags) {
  std::string base = flags.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpHeaders headers;
  // The server guards pipeline runs with its API key, else its reload token (api/admin_auth.h).
  if (!flags.api_key.empty()) {
    headers.emplace_back("X-API-Key", flags.api_key);
  } else if (!flags.reload_token.empty()) {
    headers.emplace_back("Authorization", "Bearer " + flags.reload_token);
  }
  JsonWriter w;
  w.BeginObject().Key("mode").String(flags.mode);
  if (flags.mode == "canary") w.Key("rollout").Double(flags.rollout);
  if (!flags.date.empty()) w.Key("date").String(flags.date);
  w.Key("full_refresh").Bool(flags.full_refresh).EndObject();
  Result<HttpFetchResult> started =
      HttpFetch("POST", base + "/api/v1/pipeline/runs", w.str(), headers, 60);
  if (!started.ok()) Fail("release: " + started.status().message() + " (--server)");
  if (started->status != 202) {
    Fail("release: the server refused the pipeline run: HTTP " + std::to_string(started->status) +
         " " + started->body);
  }
  std::string marker = "\"run_id\":\"";
  size_t at = started->body.find(marker);
  if (at == std::string::npos) Fail("release: no run_id in the server's answer: " + started->body);
  std::string run_id = started->body.substr(at + marker.size());
  run_id = run_id.substr(0, run_id.find('"'));
  std::fprintf(stderr, "pipeline run %s started on %s\n", run_id.c_str(), base.c_str());
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(flags.timeout * 1000));
  std::string last_state;
  while (true) {
    Result<HttpFetchResult> got =
        HttpFetch("GET", base + "/api/v1/pipeline/runs/" + run_id, {}, headers, 60);
    if (!got.ok()) Fail("release: " + got.status().message());
    if (got->status != 200) {
      Fail("release: GET run " + run_id + ": HTTP " + std::to_string(got->status) + " " +
           got->body);
    }
    Result<pipeline::PipelineRun> run = pipeline::PipelineRunFromJson(got->body, "run " + run_id);
    if (!run.ok()) Fail("release: " + run.status().message());
    for (const pipeline::TaskRecord& t : run->tasks) {
      std::string state = t.name + " " + std::string(pipeline::TaskStateName(t.state));
      if (t.state == pipeline::TaskState::kRunning && state != last_state) {
        std::fprintf(stderr, "  %s\n", state.c_str());
        last_state = state;
      }
    }
    if (run->state != pipeline::TaskState::kRunning) return std::move(run).value();
    if (std::chrono::steady_clock::now() >= deadline) {
      Fail("release: pipeline run " + run_id + " still running after " +
           std::to_string(static_cast<int>(flags.timeout)) +
           " s (--timeout); it goes on on the "
           "server");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(flags.poll * 1000)));
  }
}

void PrintSummary(const pipeline::PipelineRun& run, const ReleaseFlags& flags) {
  if (flags.json) {
    std::printf("%s\n", pipeline::PipelineRunToJson(run).c_str());
    return;
  }
  std::printf("pipeline run   %s: %s\n", run.run_id.c_str(),
              std::string(pipeline::TaskStateName(run.state)).c_str());
  std::printf("data quality   %s\n", Output(run, pipeline::kOutDataQuality).c_str());
  std::printf("model          %s\n", Output(run, pipeline::kOutTrainRunId).c_str());
  std::printf("gate metric    %s: new %s, production %s (%s)\n",
              Output(run, pipeline::kOutGateMetric).c_str(),
              Output(run, pipeline::kOutCandidateMetric).c_str(),
              Output(run, pipeline::kOutProductionMetric).c_str(),
              Output(run, pipeline::kOutProductionRunId).c_str());
  std::printf("published      %s\n", run.published ? "yes" : "no");
  if (!run.reason.empty()) std::printf("why            %s\n", run.reason.c_str());
}

void RunRelease(const ReleaseFlags& flags) {
  if (flags.server.empty() == flags.local.data_dir.empty()) {
    Fail("release: give either --server URL or --data-dir DIR", 2);
  }
  if (flags.mode != "primary" && flags.mode != "canary") {
    Fail("release: --mode must be primary or canary", 2);
  }
  pipeline::PipelineRun run;
  if (!flags.server.empty()) {
    // The credentials come from the configuration (--config, then the environment).
    const RecoConfig config = LoadCommandConfig(flags.local.config, "");
    ReleaseFlags with_credentials = flags;
    if (with_credentials.api_key.empty()) with_credentials.api_key = config.server.api_key;
    with_credentials.reload_token = config.server.reload_token;
    run = FollowOnServer(with_credentials);
  } else {
    pipeline::RunRequest request;
    request.mode = flags.mode;
    request.rollout = flags.mode == "canary" ? flags.rollout : 0;
    request.date = flags.date;
    request.full_refresh = flags.full_refresh;
    request.trigger = "release";
    run = RunPipelineLocally(flags.local, request);
  }
  PrintSummary(run, flags);
  if (run.state != pipeline::TaskState::kSucceeded || !run.published) {
    throw CommandFailed{1, "release: not published: " + run.reason};
  }
}

}  // namespace

void RegisterReleaseCommand(CLI::App& app) {
  auto flags = std::make_shared<ReleaseFlags>();
  CLI::App* cmd = app.add_subcommand(
      "release",
      "Run the pipeline (on a server or here), follow it and publish the new model if "
      "it passes the gate; exit 0 when published, 1 otherwise");
  cmd->add_option("--server", flags->server,
                  "reco serve to run the pipeline on, e.g. http://127.0.0.1:8000");
  cmd->add_option("--api-key", flags->api_key,
                  "X-API-Key of the server (default: server.api_key, RECO_SERVER_API_KEY); "
                  "without one, server.reload_token (MODEL_RELOAD_TOKEN) is sent as the bearer "
                  "token");
  cmd->add_option("--data-dir", flags->local.data_dir, "Run the pipeline here on this data dir");
  cmd->add_option("--config", flags->local.config,
                  "reco.toml: of the --data-dir run; with --server, for server.api_key and "
                  "server.reload_token");
  cmd->add_option("--reload-url", flags->local.reload_url,
                  "With --data-dir: POST the new model here (default: pipeline.reload_url, "
                  "MODEL_RELOAD_URL)");
  cmd->add_option("--mode", flags->mode, "primary (production) or canary");
  cmd->add_option("--rollout", flags->rollout, "Canary: share of users served (default 0.1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--timeout", flags->timeout, "Give up following after this many seconds")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--poll", flags->poll, "Seconds between status requests (--server)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", flags->local.threads, "With --data-dir: threads (0 = cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--date", flags->date, "The date the run is for, YYYY-MM-DD");
  cmd->add_flag("--full-refresh", flags->full_refresh, "extract ignores the watermarks");
  cmd->add_flag("--json", flags->json, "Print the final run record as JSON");
  cmd->callback([flags] { RunRelease(*flags); });
}

}  // namespace reco::cli
