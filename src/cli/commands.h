// Subcommand registration: each cmd_*.cc adds one subcommand to the CLI11 app. main.cc only
// wires them; the work lives in libraries that tests link directly.
#pragma once

#include <CLI/CLI.hpp>

namespace reco::cli {

// A subcommand's callback throws this to make `reco` exit with `code` after printing `message`
// to stderr (CLI messages name the file and line, or the flag, that is wrong).
struct CommandFailed {
  int code = 1;
  std::string message;
};

void RegisterDemoDataCommand(CLI::App& app);  // cmd_demo_data.cc
void RegisterImportCommand(CLI::App& app);    // cmd_import.cc
void RegisterTrainCommand(CLI::App& app);     // cmd_train.cc
void RegisterServeCommand(CLI::App& app);     // cmd_serve.cc
void RegisterEvalCommand(CLI::App& app);      // cmd_eval.cc

}  // namespace reco::cli
