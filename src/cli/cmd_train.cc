// `reco train --data-dir DIR [--config FILE] [--algo NAME [--set key=value]...] [--threads N]`:
// fits the popularity, latest and item-CF models from the store in DIR and writes them to
// DIR/models; with --algo (or a tuned config from `reco tune`) also fits that algorithm and
// writes its precomputed per-user lists ("recs"), which `reco serve` answers from first. Then it
// brings the online state's snapshot up to date (app/state_snapshot.h), so that the next
// `reco serve` start restores it instead of replaying every feedback row.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "app/state_snapshot.h"
#include "cli/commands.h"
#include "cli/config_loader.h"
#include "core/time.h"
#include "registry/model_registry.h"
#include "service/tenant_service.h"
#include "store/open_store.h"
#include "training/algorithm_choice.h"
#include "training/training_run.h"

namespace reco::cli {
namespace {

struct TrainFlags {
  std::string data_dir;
  std::string config;
  std::string algo;
  std::vector<std::string> sets;
  int threads = 0;
  bool no_promote = false;
  bool no_state_snapshot = false;
  std::string tenant{service::kDefaultTenant};
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, message}; }

void PrintSummary(const training::TrainReport& report) {
  std::printf("snapshot %s: %zu users, %zu items, %zu positive pairs (%.2f s to load)\n",
              report.snapshot_id.c_str(), report.users, report.items, report.positives,
              report.dataset_seconds);
  std::printf("%-12s %10s %10s %9s  %s\n", "model", "items", "entries", "seconds", "file");
  for (const training::ModelTrainStats& m : report.models) {
    std::printf("%-12s %10zu %10zu %9.2f  %s\n", m.kind.c_str(), m.items, m.entries, m.seconds,
                m.file.string().c_str());
  }
  std::printf("written in %.2f s; %zu old model file(s) removed\n", report.write_seconds,
              report.removed.size());
}

// True when `path` is a configuration written by `reco tune` (it has an [algorithm] table).
bool IsTunedConfig(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t");
    size_t e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos && line.substr(b, e - b + 1) == "[algorithm]") return true;
  }
  return false;
}

training::AlgorithmChoice FromTunedConfig(const std::filesystem::path& path) {
  Result<training::AlgorithmChoice> choice = training::ChoiceFromTunedConfig(path, "reco train");
  if (!choice.ok()) Fail("train: " + choice.status().message());
  return std::move(choice).value();
}

// The algorithm whose per-user lists this run precomputes: --algo/--set, else a tuned config
// given as --config, else recommend.model_config of the configuration; none without any.
std::optional<training::AlgorithmChoice> ChooseAlgorithm(const TrainFlags& flags,
                                                         const std::string& tuned_config,
                                                         const RecoConfig& config) {
  if (flags.algo.empty()) {
    if (!flags.sets.empty()) Fail("train: --set needs --algo");
    if (!tuned_config.empty()) return FromTunedConfig(tuned_config);
    if (config.recommend.model_config.empty()) return std::nullopt;
    return FromTunedConfig(training::ModelConfigPath(config, flags.data_dir));
  }
  training::AlgorithmChoice choice{flags.algo, {}, "reco train"};
  for (const std::string& text : flags.sets) {
    Result<eval::Setting> setting = algo::ParseSetting(text);
    if (!setting.ok()) Fail("train: " + setting.status().message());
    choice.settings.push_back(std::move(setting).value());
  }
  if (Status st = algo::CheckScorerSettings(choice.algo, choice.settings); !st.ok()) {
    Fail("train: " + st.message());
  }
  return choice;
}

// Unless --no-promote, makes the new version production.
Status Promote(const TrainFlags& flags, const training::TrainedVersion& trained) {
  std::printf("run %s registered", trained.run.run_id.c_str());
  if (!flags.no_promote) {
    registry::ModelRegistry reg(flags.data_dir, SystemClock::Get());
    RECO_RETURN_IF_ERROR(reg.Promote(trained.run.run_id, "production").status());
    std::printf(" as production (POST /models/reload to serve it)");
  }
  std::printf("\n");
  return Status::Ok();
}

// The state snapshot `reco serve` starts from. The models are written by then: a failure here
// only costs the next start a replay of the store, so it is reported and the command succeeds.
void WriteStateSnapshot(Store& store, const RecoConfig& config, const TrainFlags& flags) {
  std::fprintf(stderr, "train: bringing the online state snapshot up to date for reco serve\n");
  Result<StateLoadReport> loaded =
      app::RefreshStateSnapshot(store, config, flags.data_dir, flags.tenant);
  if (!loaded.ok()) {
    std::fprintf(stderr,
                 "train: warning: the state snapshot was not written (%s); the next reco serve "
                 "start replays the store\n",
                 loaded.status().ToString().c_str());
    return;
  }
  std::printf("state snapshot: %lld feedback rows (%lld read from the store), %s in %.2f s\n",
              static_cast<long long>(loaded->snapshot_rows + loaded->replayed_rows),
              static_cast<long long>(loaded->replayed_rows),
              loaded->snapshot_written ? "written" : "already up to date", loaded->seconds);
}

void RunTrain(const TrainFlags& flags) {
  RequireDataDir("train", flags.data_dir);
  // --config takes either reco's configuration or a CONFIG.toml written by `reco tune`.
  std::string tuned_config;
  std::string config_file = flags.config;
  if (!config_file.empty() && IsTunedConfig(config_file)) {
    tuned_config = config_file;
    config_file.clear();
  }
  RecoConfig config = LoadCommandConfig(config_file, flags.data_dir);
  Result<std::unique_ptr<Store>> store = OpenStore(config, flags.data_dir);
  if (!store.ok()) {
    Fail("train: cannot open the store in " + flags.data_dir + ": " + store.status().ToString());
  }
  training::TrainOptions options;
  options.num_threads = flags.threads;
  options.show_progress = true;
  training::TrainingRunInputs inputs;
  std::optional<training::AlgorithmChoice> choice = ChooseAlgorithm(flags, tuned_config, config);
  if (choice) {
    options.recs = *choice;
    options.recs->settings = training::SettingsWithThreads(*choice, flags.threads);
    // The pipeline's evaluate task refits the algorithm from the run's params.
    inputs.params = training::ChoiceParams(*choice);
  }
  Result<training::TrainedVersion> trained = training::TrainAndRegister(
      **store, config, flags.data_dir, SystemClock::Get(), options, inputs);
  if (!trained.ok()) Fail("train: " + trained.status().ToString());
  PrintSummary(trained->report);
  if (!flags.no_state_snapshot) WriteStateSnapshot(**store, config, flags);
  (*store)->Close();
  Status promoted = Promote(flags, *trained);
  if (!promoted.ok()) Fail("train: " + promoted.ToString());
}

}  // namespace

void RegisterTrainCommand(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train",
                                     "Train the popularity, latest and item-CF models (plus --algo "
                                     "or a tuned config) into DATA_DIR/models");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (store and models)")->required();
  cmd->add_option("--config", flags->config,
                  "reco.toml (default: DATA_DIR/reco.toml when present), or a CONFIG.toml "
                  "written by reco tune: its algorithm is fitted and its per-user lists written");
  cmd->add_option("--algo", flags->algo,
                  "Also fit this algorithm (as in reco eval) and precompute per-user lists");
  cmd->add_option("--set", flags->sets, "Option of --algo as key=value (repeatable)");
  cmd->add_flag("--no-promote", flags->no_promote,
                "Register the new version without making it production (e.g. for a canary)");
  cmd->add_option("--threads", flags->threads, "Training threads (0 = number of cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-state-snapshot", flags->no_state_snapshot,
                "Do not bring the online state snapshot (DATA_DIR/online_state.snapshot) up to "
                "date; the next reco serve start then replays the store");
  auto tenant = std::make_shared<std::string>();
  cmd->add_option("--tenant", *tenant, "Train tenant NAME (its directory DATA_DIR/tenants/NAME)");
  cmd->callback([flags, tenant] {
    flags->data_dir = TenantDataDir("train", flags->data_dir, *tenant);
    if (!tenant->empty()) flags->tenant = *tenant;
    RunTrain(*flags);
  });
}

}  // namespace reco::cli
