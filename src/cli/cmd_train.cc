// `reco train --data-dir DIR [--config FILE] [--threads N]`: fits the popularity, latest and
// item-CF models from the store in DIR and writes them to DIR/models.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/config_loader.h"
#include "core/time.h"
#include "models/trainer.h"
#include "store/open_store.h"

namespace reco::cli {
namespace {

struct TrainFlags {
  std::string data_dir;
  std::string config;
  int threads = 0;
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, message}; }

void PrintSummary(const TrainReport& report) {
  std::printf("snapshot %s: %zu users, %zu items, %zu positive pairs (%.2f s to load)\n",
              report.snapshot_id.c_str(), report.users, report.items, report.positives,
              report.dataset_seconds);
  std::printf("%-12s %10s %10s %9s  %s\n", "model", "items", "entries", "seconds", "file");
  for (const ModelTrainStats& m : report.models) {
    std::printf("%-12s %10zu %10zu %9.2f  %s\n", m.kind.c_str(), m.items, m.entries, m.seconds,
                m.file.string().c_str());
  }
  std::printf("written in %.2f s; %zu old model file(s) removed\n", report.write_seconds,
              report.removed.size());
}

void RunTrain(const TrainFlags& flags) {
  std::error_code ec;
  if (!std::filesystem::is_directory(flags.data_dir, ec)) {
    Fail("train: data directory " + flags.data_dir + " does not exist (--data-dir)");
  }
  RecoConfig config = LoadCommandConfig(flags.config, flags.data_dir);
  Result<std::unique_ptr<Store>> store = OpenStore(config, flags.data_dir);
  if (!store.ok()) {
    Fail("train: cannot open the store in " + flags.data_dir + ": " + store.status().ToString());
  }
  TrainOptions options;
  options.num_threads = flags.threads;
  options.show_progress = true;
  std::filesystem::path models_dir = std::filesystem::path(flags.data_dir) / "models";
  Result<TrainReport> report =
      TrainModels(**store, config, models_dir, SystemClock::Get(), options);
  (*store)->Close();
  if (!report.ok()) Fail("train: " + report.status().ToString());
  PrintSummary(*report);
}

}  // namespace

void RegisterTrainCommand(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train the popularity, latest and item-CF models into DATA_DIR/models");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (store and models)")->required();
  cmd->add_option("--config", flags->config,
                  "Configuration file (default: DATA_DIR/reco.toml when present)");
  cmd->add_option("--threads", flags->threads, "Training threads (0 = number of cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([flags] { RunTrain(*flags); });
}

}  // namespace reco::cli
