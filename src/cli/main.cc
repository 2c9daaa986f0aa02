// reco: one binary, one subcommand per role. This file only wires the subcommands.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "core/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"reco — a self-hosted recommender system: import data, train, serve."};
  app.set_version_flag("--version",
                       std::string("reco ") + RECO_VERSION + " (" + RECO_GIT_REV + ")");
  std::string log_level = std::getenv("RECO_LOG_LEVEL") ? std::getenv("RECO_LOG_LEVEL") : "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off (RECO_LOG_LEVEL)");
  app.require_subcommand(1);
  reco::cli::RegisterDemoDataCommand(app);
  reco::cli::RegisterImportCommand(app);
  reco::cli::RegisterTrainCommand(app);
  reco::cli::RegisterServeCommand(app);
  reco::cli::RegisterEvalCommand(app);
  reco::cli::RegisterWorkerCommand(app);
  reco::cli::RegisterTuneCommand(app);
  reco::cli::RegisterRunsCommand(app);
  reco::cli::RegisterModelsCommand(app);
  reco::cli::RegisterPipelineCommand(app);
  reco::cli::RegisterReleaseCommand(app);
  app.parse_complete_callback([&] {
    if (auto st = reco::InitLogging(log_level); !st.ok()) {
      throw CLI::ValidationError("--log-level", st.message());
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const reco::cli::CommandFailed& e) {
    if (!e.message.empty()) std::fprintf(stderr, "%s\n", e.message.c_str());
    return e.code;
  }
  return 0;
}
