// The algorithm a training run fits besides the built-in models (its per-user lists are what
// `reco serve` answers from first): where the choice comes from and how a run records it in its
// params ("eval.algo", "eval.<algo>.<key>"), so that later runs (the pipeline's evaluate task)
// refit the same configuration.
//
// Thread-safety: free functions over values; safe from any thread.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "eval/scorer_interface.h"

namespace reco::training {

struct AlgorithmChoice {
  std::string algo;                     // a name of the algorithm table (algo/scorer.h)
  std::vector<eval::Setting> settings;  // "algo.key" -> value
  std::string source;                   // "recommend.model_config (PATH)", "reco train", ...
};

// The file recommend.model_config names (relative paths are under `data_dir`); empty when unset.
std::filesystem::path ModelConfigPath(const RecoConfig& config,
                                      const std::filesystem::path& data_dir);

// The algorithm of a tuned config written by `reco tune` (algo/tuned_config.h); its errors as
// LoadTunedConfig gives them.
Result<AlgorithmChoice> ChoiceFromTunedConfig(const std::filesystem::path& path,
                                              std::string source);

// The algorithm of recommend.model_config; nullopt when the key is unset. Errors are prefixed
// with the key.
Result<std::optional<AlgorithmChoice>> ModelConfigChoice(const RecoConfig& config,
                                                         const std::filesystem::path& data_dir);

// `choice`'s settings plus "<algo>.threads" = `threads` when threads > 0 and the algorithm
// accepts that key: how a run on a given thread count fits it. The run's params keep the choice
// without it, as the thread count does not change the model.
std::vector<eval::Setting> SettingsWithThreads(const AlgorithmChoice& choice, int threads);

// As run params: "eval.algo" = algo and "eval.<setting key>" = value.
std::map<std::string, std::string> ChoiceParams(const AlgorithmChoice& choice);
// Back from run params; runs without "eval.algo" (trained outside the pipeline) are item-CF with
// their itemcf_neighbors / itemcf_shrinkage params.
AlgorithmChoice ChoiceFromParams(const std::map<std::string, std::string>& params);

}  // namespace reco::training
