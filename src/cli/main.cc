// reco: one binary, one subcommand per role. This file only wires the subcommands.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "core/version.h"

namespace {

// CLI11 answers "A subcommand is required" for `reco --bogus` and `reco frobnicate`; this names
// the word instead. Returns an empty string when the first word is a subcommand (or a global
// flag CLI11 handles itself).
std::string UnknownFirstWord(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--log-level") {
      ++i;  // its value
      continue;
    }
    if (arg.starts_with("--log-level=")) continue;
    if (arg == "-h" || arg == "--help" || arg == "--version") return "";
    if (arg.starts_with("-")) {
      return "reco: unknown option " + std::string(arg) + " (before the command; see reco --help)";
    }
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == arg) return "";
    }
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return "reco: unknown command '" + std::string(arg) + "'; commands: " + names;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"reco — a self-hosted recommender system: import data, train, serve."};
  app.set_version_flag("--version",
                       std::string("reco ") + reco::RecoVersion() + " (" + reco::CodeVersion() + ")");
  std::string log_level = reco::RecoConfig::EnvironmentValue("log.level").value_or("info");
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
  reco::cli::RegisterGatewayCommand(app);
  reco::cli::RegisterDoctorCommand(app);
  reco::cli::RegisterTenantCommand(app);
  reco::cli::RegisterEmbedCommands(app);
  app.parse_complete_callback([&] {
    if (auto st = reco::InitLogging(log_level); !st.ok()) {
      throw CLI::ValidationError("--log-level", st.message());
    }
  });
  if (std::string unknown = UnknownFirstWord(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "%s\n", unknown.c_str());
    return 2;
  }
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
