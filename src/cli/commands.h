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
void RegisterWorkerCommand(CLI::App& app);    // cmd_worker.cc
void RegisterTuneCommand(CLI::App& app);      // cmd_tune.cc
void RegisterRunsCommand(CLI::App& app);      // cmd_runs.cc
void RegisterModelsCommand(CLI::App& app);    // cmd_runs.cc
void RegisterPipelineCommand(CLI::App& app);  // cmd_pipeline.cc
void RegisterReleaseCommand(CLI::App& app);   // cmd_release.cc
void RegisterGatewayCommand(CLI::App& app);   // cmd_gateway.cc
void RegisterDoctorCommand(CLI::App& app);    // cmd_doctor.cc
void RegisterTenantCommand(CLI::App& app);    // cmd_tenant.cc
void RegisterEmbedCommands(CLI::App& app);    // cmd_embed.cc: embed-images, embed-text

}  // namespace reco::cli
