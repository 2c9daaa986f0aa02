// `reco tune`: hyperparameter search on a training file only, writing the chosen configuration
//   reco tune --train train.txt --format lightgcn --budget-seconds 1200 --out model.toml
// or on the training part of a protocol split that `reco eval --data` would make
//   reco tune --data ratings/ --protocol random --test-fraction 0.2 --budget-seconds 300 ...
// The config is then used by `reco eval --config` and `reco train --config` (docs/tuning.md).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "algo/tuned_config.h"
#include "cli/commands.h"
#include "core/file_util.h"
#include "data/loader.h"
#include "eval/protocol.h"
#include "tune/tuner.h"

namespace reco::cli {
namespace {

struct TuneFlags {
  std::string train;
  std::string data;
  std::string protocol = "random";
  double test_fraction = 0.2;
  uint64_t split_seed = 1;
  std::string format = "auto";
  double budget_seconds = 600;
  std::string out;
  uint64_t seed = 1;
  std::string metric = "ndcg@20";
  int threads = 0;
  double validation_fraction = 0.2;
  int validation_users = 10000;
  std::vector<std::string> algorithms;
  int max_trials = 0;
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, "tune: " + message}; }

template <typename T>
T OrFail(Result<T> result) {
  if (!result.ok()) Fail(result.status().ToString());
  return std::move(result).value();
}

// The training data: --train as is, or the training part of the --data split (the held-out
// part is dropped here and never seen by the search).
Dataset LoadTraining(const TuneFlags& flags) {
  if (flags.train.empty() == flags.data.empty()) {
    Fail("give either --train FILE or --data with --protocol (the training part of that split)");
  }
  ingest::ImportFormat format = OrFail(ingest::ParseImportFormat(flags.format));
  if (!flags.train.empty()) return OrFail(LoadDataset(flags.train, format));
  Dataset all = OrFail(LoadDataset(flags.data, format));
  eval::ProtocolOptions protocol;
  protocol.kind = OrFail(eval::ParseProtocol(flags.protocol));
  if (protocol.kind != eval::ProtocolKind::kRandom) {
    Fail("--data supports --protocol random (use --train for other splits)");
  }
  protocol.test_fraction = flags.test_fraction;
  protocol.seed = flags.split_seed;
  return std::move(OrFail(eval::MakeSplit(all, protocol)).train);
}

void RunTune(const TuneFlags& flags) {
  auto start = std::chrono::steady_clock::now();
  Dataset train = LoadTraining(flags);
  std::printf("training data: %zu users, %zu items, %zu positives\n", train.num_users(),
              train.num_items(), train.num_positives());
  std::fflush(stdout);
  tune::TuneOptions options;
  options.metric = flags.metric;
  options.budget_seconds =
      flags.budget_seconds -
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  options.max_trials = flags.max_trials;
  options.validation_fraction = flags.validation_fraction;
  options.validation_users = flags.validation_users;
  options.seed = flags.seed;
  options.num_threads = flags.threads;
  options.algorithms = flags.algorithms;
  options.train_file = flags.train.empty() ? flags.data : flags.train;
  options.show_progress = true;
  if (options.budget_seconds <= 0) Fail("--budget-seconds was used up by loading the data");
  tune::TuneResult result = OrFail(tune::Tune(train, options));
  if (Status st = algo::SaveTunedConfig(flags.out, result.config); !st.ok()) {
    Fail("cannot write --out " + flags.out + ": " + st.ToString());
  }
  const std::string log = flags.out + ".trials.json";
  if (Status st = WriteFileAtomic(log, tune::TrialsToJson(result)); !st.ok()) {
    Fail("cannot write " + log + ": " + st.ToString());
  }
  std::printf("best: %s %s = %.4f on validation after %d trials (%.1f s)\n",
              result.config.algo.c_str(), flags.metric.c_str(), result.config.validation_value,
              result.config.trials, result.config.seconds);
  for (const eval::Setting& s : result.config.settings) {
    std::printf("  %s = %s\n", s.first.c_str(), s.second.c_str());
  }
  std::printf("config written to %s (trials: %s)\n", flags.out.c_str(), log.c_str());
}

}  // namespace

void RegisterTuneCommand(CLI::App& app) {
  auto flags = std::make_shared<TuneFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Hyperparameter search on training data only; writes a config (docs/tuning.md)");
  cmd->add_option("--train", flags->train, "Training file (e.g. LightGCN train.txt)");
  cmd->add_option("--data", flags->data,
                  "Dataset to split like `reco eval --data`; only its training part is used");
  cmd->add_option("--protocol", flags->protocol, "With --data: random")->capture_default_str();
  cmd->add_option("--test-fraction", flags->test_fraction,
                  "With --data: share of each user's positives the eval split holds out")
      ->capture_default_str();
  cmd->add_option("--split-seed", flags->split_seed, "With --data: seed of the eval split")
      ->capture_default_str();
  cmd->add_option("--format", flags->format, "auto, lightgcn, movielens, csv, json")
      ->capture_default_str();
  cmd->add_option("--budget-seconds", flags->budget_seconds, "Wall-time budget of the search")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--out", flags->out, "Config file to write (TOML)")->required();
  cmd->add_option("--seed", flags->seed, "Seed of the validation split and of the sampling")
      ->capture_default_str();
  cmd->add_option("--metric", flags->metric, "Metric maximised, e.g. ndcg@20, recall@20")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Threads (0 = number of cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--validation-fraction", flags->validation_fraction,
                  "Share of each user's training positives held out for validation")
      ->capture_default_str();
  cmd->add_option("--validation-users", flags->validation_users,
                  "Validation users evaluated per trial at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--algorithms", flags->algorithms,
                  "Algorithms searched, comma separated (default: popular, ease, ials, gfcf; "
                  "itemcf, rp3beta and swing only when named)")
      ->delimiter(',');
  cmd->add_option("--max-trials", flags->max_trials, "Single-model trials at most (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([flags] { RunTune(*flags); });
}

}  // namespace reco::cli
