// `reco serve`: the all-in-one server. SIGTERM/SIGINT stop accepting, drain in-flight requests
// and close the store.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/reco_server.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "cli/stop_signals.h"
#include "core/logging.h"

namespace reco::cli {
namespace {

struct ServeFlags {
  std::string data_dir;
  std::string config;
  int http_port = -1;
  int grpc_port = -2;  // -2: not given (server.grpc_port applies)
  std::string host;
  bool init = false;  // create an empty data directory when DIR does not exist
  bool read_only = false;
  bool console_write = false;          // console.write_without_token
  double console_history_interval = 0;  // console.history_interval; 0 = the configured one
};

void RunServe(const ServeFlags& flags) {
  std::error_code ec;
  if (flags.init) {
    std::filesystem::create_directories(flags.data_dir, ec);
    if (ec)
      throw CommandFailed{1, "reco serve: cannot create " + flags.data_dir + ": " + ec.message()};
  }
  RequireDataDir("reco serve", flags.data_dir);
  auto config = LoadCommandConfig(flags.config, flags.data_dir);
  if (flags.http_port >= 0) config.server.http_port = flags.http_port;
  if (flags.grpc_port >= -1) config.server.grpc_port = flags.grpc_port;
  if (!flags.host.empty()) config.server.host = flags.host;
  if (flags.read_only) config.database.read_only = true;
  if (flags.console_write) config.console.write_without_token = true;
  if (flags.console_history_interval > 0) {
    config.console.history_interval = flags.console_history_interval;
  }
  if (Status st = config.Validate(); !st.ok()) throw CommandFailed{2, st.message()};
  // log.level from the file or RECO_LOG_LEVEL; the --log-level flag was applied before.
  if (config.log_level != "info") spdlog::set_level(spdlog::level::from_str(config.log_level));

  const StopSignals stop;  // before any thread starts

  RecoServer server(RecoServerOptions{.data_dir = flags.data_dir, .config = config},
                    SystemClock::Get());
  if (Status st = server.Start(); !st.ok()) {
    throw CommandFailed{1, "reco serve: " + st.ToString()};
  }
  spdlog::info("received {}, draining in-flight requests", stop.Wait());
  server.Stop();
  spdlog::default_logger()->flush();
}

}  // namespace

void RegisterServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the all-in-one server: Gorse-compatible REST API, recommendations, scheduler, "
      "pipeline runs, metrics. Serves the registry's production version of DIR/models (the "
      "newest model files when there is no registry).");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (store, models)")->required();
  cmd->add_option("--config", flags->config,
                  "TOML config file (default: DIR/reco.toml if present)");
  cmd->add_option("--http-port", flags->http_port,
                  "HTTP port (default server.http_port = 8000; 0 picks a free port, logged)");
  cmd->add_option("--grpc-port", flags->grpc_port,
                  "gRPC port of the reco.v1 API in this process (default server.grpc_port = -1, "
                  "off; 0 picks a free port, logged; deployments use 10072)");
  cmd->add_option("--host", flags->host, "Listen address (default server.host = 127.0.0.1)");
  cmd->add_flag("--init", flags->init,
                "Create DIR (an empty store) when it does not exist; without it a missing DIR "
                "is an error");
  cmd->add_flag("--read-only", flags->read_only,
                "Serve an existing database read-only (database.read_only): reads and "
                "recommendations are answered, writes get 503, the in-process scheduler does "
                "not run. Without it, a database that cannot be written stops the start-up");
  cmd->add_flag("--console-write", flags->console_write,
                "With no admin token configured, let the console at /console promote, roll "
                "back and trigger jobs without a login (console.write_without_token); without "
                "it such a console is read-only");
  cmd->add_option("--console-history-interval", flags->console_history_interval,
                  "Seconds between samples of the console's metrics history "
                  "(console.history_interval, default 10)");
  cmd->callback([flags] { RunServe(*flags); });
}

}  // namespace reco::cli
