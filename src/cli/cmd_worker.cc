// `reco worker --data-dir DIR [--config FILE] [--holder ID] [--tenant NAME | --all-tenants]`:
// runs the scheduled jobs of the [worker] config section (train, item_vectors, user_profiles,
// precompute, cache_cleanup) until SIGTERM/SIGINT, for one data directory or (--all-tenants) for
// the default tenant and every tenant registered at start, one scheduler each. Several workers may
// run on one store: only the holder of the "scheduler" lease starts runs; the others stand by and
// take over when it stops renewing. With --metrics-port it serves GET /metrics (the scheduler_* and
// pipeline_* metrics of its runs, and cache_errors_total with cache.url) for Prometheus.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/jobs.h"
#include "app/metrics_server.h"
#include "cache/open_cache.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "cli/stop_signals.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "scheduler/default_jobs.h"
#include "scheduler/scheduler.h"
#include "service/tenant_service.h"
#include "store/open_store.h"

namespace reco::cli {
namespace {

struct WorkerFlags {
  std::string data_dir;
  std::string config;
  std::string holder;
  int metrics_port = -1;  // -1 = no /metrics server; 0 = a free port (logged)
  std::string metrics_host = "127.0.0.1";
  bool all_tenants = false;  // also every registered tenant's directory (docs/tenants.md)
};

[[noreturn]] void Fail(int code, const std::string& message) { throw CommandFailed{code, message}; }

// The scheduler of one data directory (the default tenant's or another tenant's).
struct WorkerUnit {
  std::string data_dir;
  // The jobs borrow the configuration (the pipeline's and the built-in bodies' settings): it
  // lives as long as the scheduler, at a stable address (units move into a vector).
  std::unique_ptr<const RecoConfig> config;
  std::unique_ptr<Store> store;
  std::unique_ptr<MetricsRegistry> metrics;  // outlives the scheduler (declared first)
  std::unique_ptr<Scheduler> scheduler;
};

RecoConfig LoadWorkerConfig(const WorkerFlags& flags, const std::string& data_dir) {
  RecoConfig config = LoadCommandConfig(flags.config, data_dir);
  if (Status st = config.Validate(); !st.ok()) Fail(2, "reco worker: " + st.message());
  if (Status st = ValidateWorkerConfig(config.worker); !st.ok()) {
    Fail(2, "reco worker: " + st.message());
  }
  return config;
}

// `cache`: the shared cache of cache.url (null without): the leader lock is then its lock.
// `metrics`: the unit's registry (a new one when null).
WorkerUnit OpenUnit(const WorkerFlags& flags, const std::string& data_dir,
                    const std::string& holder, Cache* cache,
                    std::unique_ptr<MetricsRegistry> metrics) {
  if (!metrics) metrics = std::make_unique<MetricsRegistry>();
  WorkerUnit unit{.data_dir = data_dir,
                  .config = std::make_unique<const RecoConfig>(LoadWorkerConfig(flags, data_dir)),
                  .metrics = std::move(metrics)};
  const RecoConfig& config = *unit.config;
  Result<std::unique_ptr<Store>> store = OpenStore(config, data_dir);
  if (!store.ok()) {
    Fail(1, "reco worker: cannot open the store in " + data_dir + ": " + store.status().ToString());
  }
  unit.store = std::move(store).value();
  app::CacheLeaderLock lock;
  if (cache != nullptr) {
    const std::string tenant = data_dir == flags.data_dir
                                   ? std::string(service::kDefaultTenant)
                                   : std::filesystem::path(data_dir).filename().string();
    lock = {.cache = cache,
            .name = CacheKeys(tenant).lock("scheduler"),
            .models_channel = CacheKeys(tenant).models_channel()};
  }
  Result<std::unique_ptr<Scheduler>> scheduler = app::MakeWorkerScheduler(
      config, data_dir, *unit.store, SystemClock::Get(), holder, unit.metrics.get(), lock);
  if (!scheduler.ok()) Fail(2, "reco worker: " + scheduler.status().message());
  unit.scheduler = std::move(scheduler).value();
  return unit;
}

// The default tenant's directory, then (with --all-tenants) every registered tenant's, each
// with the holder name its leases and runs show.
std::vector<std::pair<std::string, std::string>> WorkerDirs(const WorkerFlags& flags) {
  std::vector<std::pair<std::string, std::string>> dirs = {{flags.data_dir, flags.holder}};
  if (!flags.all_tenants) return dirs;
  service::TenantService tenants(flags.data_dir, SystemClock::Get());
  Result<std::vector<service::TenantInfo>> list = tenants.List();
  if (!list.ok()) Fail(1, "reco worker: --all-tenants: " + list.status().ToString());
  for (const service::TenantInfo& t : *list) {
    dirs.emplace_back(tenants.DirOf(t.name).string(),
                      flags.holder.empty() ? "" : flags.holder + "/" + t.name);
  }
  return dirs;
}

void RunWorker(const WorkerFlags& flags) {
  RequireDataDir("reco worker", flags.data_dir);
  const RecoConfig config = LoadWorkerConfig(flags, flags.data_dir);
  if (config.log_level != "info") spdlog::set_level(spdlog::level::from_str(config.log_level));
  const StopSignals stop;  // before any thread starts

  // The default tenant's registry (its /metrics) also counts the shared cache's failures.
  auto first_metrics = std::make_unique<MetricsRegistry>();
  std::unique_ptr<Cache> cache;  // outlives the schedulers
  if (!config.cache.url.empty()) {
    CounterFamily* errors = first_metrics->AddCounter(
        "cache_errors_total",
        "Calls to the shared cache (Redis) that failed, by operation: the leader lock and the "
        "model notifications.",
        {"op"});
    for (std::string_view op : {"lock", "publish", "ping"}) errors->WithLabels({std::string(op)});
    Result<std::unique_ptr<Cache>> opened = OpenCache(config, [errors](std::string_view op) {
      errors->WithLabels({std::string(op)})->Inc();
    });
    if (!opened.ok()) {
      Fail(1, "reco worker: " + opened.status().message() +
                  " (cache.url is set: the leader lock is in that cache)");
    }
    cache = std::move(opened).value();
    spdlog::info("event=cache_opened url={} leader_lock=cache", cache->Describe());
  }
  std::vector<WorkerUnit> units;
  for (const auto& [dir, holder] : WorkerDirs(flags)) {
    units.push_back(OpenUnit(flags, dir, holder, cache.get(), std::move(first_metrics)));
  }
  std::unique_ptr<HttpServer> metrics_server;
  if (flags.metrics_port >= 0) {  // the first directory's series (the default tenant's)
    Result<std::unique_ptr<HttpServer>> started = app::StartMetricsServer(
        *units.front().metrics, {.host = flags.metrics_host, .port = flags.metrics_port});
    if (!started.ok()) Fail(1, "reco worker: --metrics-port: " + started.status().ToString());
    metrics_server = std::move(started).value();
  }
  for (WorkerUnit& unit : units) {
    unit.scheduler->Start();
    spdlog::info("reco worker started holder={} lease_seconds={} data_dir={}",
                 unit.scheduler->holder(), config.worker.lease_seconds, unit.data_dir);
  }

  spdlog::info("received {}, stopping the scheduler (running jobs are cancelled)", stop.Wait());
  if (metrics_server) metrics_server->Stop();
  for (WorkerUnit& unit : units) unit.scheduler->Stop();
  for (WorkerUnit& unit : units) unit.store->Close();
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
  CLI::Option* one = cmd->add_option("--tenant", *tenant,
                                     "Run the jobs of tenant NAME (DATA_DIR/tenants/NAME) only");
  cmd->add_flag("--all-tenants", flags->all_tenants,
                "Run the jobs of the default tenant and of every tenant registered at start, "
                "one scheduler each (their holders are HOLDER/NAME)")
      ->excludes(one);
  cmd->callback([flags, tenant] {
    flags->data_dir = TenantDataDir("reco worker", flags->data_dir, *tenant);
    RunWorker(*flags);
  });
}

}  // namespace reco::cli
