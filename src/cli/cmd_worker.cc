// `reco worker --data-dir DIR [--config FILE] [--holder ID]`: runs the scheduled jobs of the
// [worker] config section (train, item_vectors, user_profiles, precompute, cache_cleanup) until
// SIGTERM/SIGINT. Several workers may run on one store: only the holder of the "scheduler" lease
// starts runs; the others stand by and take over when it stops renewing. With --metrics-port it
// serves GET /metrics (the scheduler_* and pipeline_* metrics of its runs) for Prometheus.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/jobs.h"
#include "app/metrics_server.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "cli/stop_signals.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "scheduler/default_jobs.h"
#include "scheduler/scheduler.h"
#include "store/open_store.h"

namespace reco::cli {
namespace {

struct WorkerFlags {
  std::string data_dir;
  std::string config;
  std::string holder;
  int metrics_port = -1;  // -1 = no /metrics server; 0 = a free port (logged)
  std::string metrics_host = "127.0.0.1";
};

[[noreturn]] void Fail(int code, const std::string& message) { throw CommandFailed{code, message}; }

void RunWorker(const WorkerFlags& flags) {
  RequireDataDir("reco worker", flags.data_dir);
  RecoConfig config = LoadCommandConfig(flags.config, flags.data_dir);
  if (Status st = config.Validate(); !st.ok()) Fail(2, "reco worker: " + st.message());
  if (Status st = ValidateWorkerConfig(config.worker); !st.ok()) {
    Fail(2, "reco worker: " + st.message());
  }
  if (config.log_level != "info") spdlog::set_level(spdlog::level::from_str(config.log_level));
  const StopSignals stop;  // before any thread starts

  Result<std::unique_ptr<Store>> store = OpenStore(config, flags.data_dir);
  if (!store.ok()) {
    Fail(1, "reco worker: cannot open the store in " + flags.data_dir + ": " +
                store.status().ToString());
  }
  MetricsRegistry metrics;  // outlives the scheduler and the metrics server (declared first)
  Result<std::unique_ptr<Scheduler>> scheduler = app::MakeWorkerScheduler(
      config, flags.data_dir, **store, SystemClock::Get(), flags.holder, &metrics);
  if (!scheduler.ok()) Fail(2, "reco worker: " + scheduler.status().message());
  std::unique_ptr<HttpServer> metrics_server;
  if (flags.metrics_port >= 0) {
    Result<std::unique_ptr<HttpServer>> started =
        app::StartMetricsServer(metrics, {.host = flags.metrics_host, .port = flags.metrics_port});
    if (!started.ok()) Fail(1, "reco worker: --metrics-port: " + started.status().ToString());
    metrics_server = std::move(started).value();
  }
  (*scheduler)->Start();
  spdlog::info("reco worker started holder={} lease_seconds={} data_dir={}", (*scheduler)->holder(),
               config.worker.lease_seconds, flags.data_dir);

  spdlog::info("received {}, stopping the scheduler (running jobs are cancelled)", stop.Wait());
  if (metrics_server) metrics_server->Stop();
  (*scheduler)->Stop();
  (*store)->Close();
  spdlog::info("reco worker stopped");
  spdlog::default_logger()->flush();
}

}  // namespace

void RegisterWorkerCommand(CLI::App& app) {
  auto flags = std::make_shared<WorkerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "worker",
      "Run the scheduled jobs (train, item_vectors, user_profiles, precompute, cache_cleanup) "
      "on their [worker] cron schedules until SIGTERM; one leader among several workers.");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (store, models)")->required();
  cmd->add_option("--config", flags->config,
                  "TOML config file (default: DIR/reco.toml if present)");
  cmd->add_option("--holder", flags->holder,
                  "This worker's name in the leader lease and job runs "
                  "(default: hostname:pid:random)");
  cmd->add_option("--metrics-port", flags->metrics_port,
                  "Serve GET /metrics (Prometheus) on this port; 0 picks a free port (logged); "
                  "default: none")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--metrics-host", flags->metrics_host,
                  "Address of the /metrics server (default 127.0.0.1; 0.0.0.0 for a remote "
                  "Prometheus)");
  auto tenant = std::make_shared<std::string>();
  cmd->add_option("--tenant", *tenant,
                  "Run the jobs of tenant NAME (DATA_DIR/tenants/NAME); one worker per tenant");
  cmd->callback([flags, tenant] {
    flags->data_dir = TenantDataDir("reco worker", flags->data_dir, *tenant);
    RunWorker(*flags);
  });
}

}  // namespace reco::cli
