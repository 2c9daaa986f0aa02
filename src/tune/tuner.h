// Tune: hyperparameter search for `reco tune`. It carves a validation split out of the training
// Dataset only (per-user random holdout), runs trials (fit on train minus validation, evaluate
// by full ranking on the validation users) under a time budget, blends the best configurations
// of the top algorithms with learned weights, and returns the best configuration found.
//
// Thread-safety: Tune may run concurrently on distinct inputs; it reads `train` only.
// Lifetime: options.clock, when set, must outlive the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "algo/tuned_config.h"
#include "core/status.h"
#include "core/time.h"
#include "data/dataset.h"

namespace reco::tune {

struct TuneOptions {
  std::string metric = "ndcg@20";       // maximised on the validation users
  double budget_seconds = 600;          // no trial starts when it is not expected to end in time
  int max_trials = 0;                   // single-model trials at most (0 = no limit)
  double validation_fraction = 0.2;     // share of each user's training positives held out
  int validation_users = 10000;         // held-out users evaluated per trial at most
  uint64_t seed = 1;                    // validation split, user sample and parameter sampling
  int num_threads = 0;                  // fitting and evaluation threads (0 = all cores)
  std::vector<std::string> algorithms;  // empty: DefaultSearchAlgorithms()
  int blend_top = 3;                    // the best algorithms whose best configs are blended
  double random_share = 0.4;     // share of the search time for random samples; then refinement
  std::string train_file;        // recorded in the config's provenance
  const Clock* clock = nullptr;  // nullptr = the system clock
  bool show_progress = false;    // a line per trial on stderr
};

struct TrialRecord {
  int index = 0;
  std::string stage;  // "default", "random", "refine", "blend"
  std::string algo;
  std::vector<eval::Setting> settings;
  double value = 0;  // the metric on the validation users (NaN when the trial failed)
  double seconds = 0;
  std::string note;  // why a trial failed or an algorithm was skipped
};

struct TuneResult {
  algo::TunedConfig config;
  std::vector<TrialRecord> trials;
};

Result<TuneResult> Tune(const Dataset& train, const TuneOptions& options);

// {"metric":..,"config":{...},"trials":[{"index":..,"stage":..,"algo":..,"settings":{..},
//  "value":..,"seconds":..,"note":..}]}
std::string TrialsToJson(const TuneResult& result);

}  // namespace reco::tune
