// TunedConfig: the configuration `reco tune` chooses (an algorithm and its "algo.key" settings,
// plus where it came from), stored as a TOML file that `reco train --config` and
// `reco eval --config` read:
//   [algorithm] name = "blend"
//   [settings]  "blend.components" = "rp3beta,ials"  "rp3beta.beta" = "0.12"  ...
//   [tune]      train = "train.txt"  metric = "ndcg@20"  validation = 0.1234  trials = 57
//               seconds = 1190.5  seed = 1
// Thread-safety: free functions, safe for distinct paths. Writes are atomic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "core/status.h"

namespace reco::algo {

struct TunedConfig {
  std::string algo;               // a name of Algorithms()
  std::vector<Setting> settings;  // "algo.key" -> value, as given to FitScorer
  // Provenance (informational, [tune] section):
  std::string train_file;       // the training file tuned on
  std::string metric;           // "ndcg@20"
  double validation_value = 0;  // the metric on the validation split carved from train
  int trials = 0;               // configurations evaluated
  double seconds = 0;           // wall time of the search
  uint64_t seed = 0;            // seed of the validation split and the sampling
};

// Reads and validates a config file: TOML syntax errors name the file and line, unknown sections
// or keys are InvalidArgument, settings must be strings and pass CheckScorerSettings.
Result<TunedConfig> LoadTunedConfig(const std::filesystem::path& path);

// The TOML text of `config` (sections [algorithm], [settings], [tune]).
std::string FormatTunedConfig(const TunedConfig& config);

// Writes FormatTunedConfig(config) atomically.
Status SaveTunedConfig(const std::filesystem::path& path, const TunedConfig& config);

}  // namespace reco::algo
