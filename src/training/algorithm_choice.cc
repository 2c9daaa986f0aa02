#include "training/algorithm_choice.h"

#include <utility>

#include "algo/scorer.h"
#include "algo/tuned_config.h"

namespace reco::training {

std::filesystem::path ModelConfigPath(const RecoConfig& config,
                                      const std::filesystem::path& data_dir) {
  std::filesystem::path path = config.recommend.model_config;
  if (!path.empty() && path.is_relative()) path = data_dir / path;
  return path;
}

Result<AlgorithmChoice> ChoiceFromTunedConfig(const std::filesystem::path& path,
                                              std::string source) {
  RECO_ASSIGN_OR_RETURN(algo::TunedConfig tuned, algo::LoadTunedConfig(path));
  return AlgorithmChoice{std::move(tuned.algo), std::move(tuned.settings), std::move(source)};
}

Result<std::optional<AlgorithmChoice>> ModelConfigChoice(const RecoConfig& config,
                                                         const std::filesystem::path& data_dir) {
  std::filesystem::path path = ModelConfigPath(config, data_dir);
  if (path.empty()) return std::optional<AlgorithmChoice>();
  Result<AlgorithmChoice> choice =
      ChoiceFromTunedConfig(path, "recommend.model_config (" + path.string() + ")");
  if (!choice.ok()) return choice.status().WithPrefix("recommend.model_config");
  return std::optional<AlgorithmChoice>(std::move(choice).value());
}

std::vector<eval::Setting> SettingsWithThreads(const AlgorithmChoice& choice, int threads) {
  std::vector<eval::Setting> settings = choice.settings;
  if (threads > 0) {
    settings.emplace_back(choice.algo + ".threads", std::to_string(threads));
    if (!algo::CheckScorerSettings(choice.algo, settings).ok()) settings.pop_back();
  }
  return settings;
}

std::map<std::string, std::string> ChoiceParams(const AlgorithmChoice& choice) {
  std::map<std::string, std::string> params{{"eval.algo", choice.algo}};
  for (const auto& [k, v] : choice.settings) params["eval." + k] = v;
  return params;
}

AlgorithmChoice ChoiceFromParams(const std::map<std::string, std::string>& params) {
  AlgorithmChoice choice;
  auto algo = params.find("eval.algo");
  if (algo == params.end()) {
    choice.algo = "itemcf";
    choice.source = "item-CF (run params)";
    for (const auto& [param, setting] : {std::pair{"itemcf_neighbors", "itemcf.neighbors"},
                                         std::pair{"itemcf_shrinkage", "itemcf.shrinkage"}}) {
      auto it = params.find(param);
      if (it != params.end()) choice.settings.emplace_back(setting, it->second);
    }
    return choice;
  }
  choice.algo = algo->second;
  choice.source = "run params";
  for (const auto& [k, v] : params) {
    if (k.rfind("eval.", 0) == 0 && k != "eval.algo") choice.settings.emplace_back(k.substr(5), v);
  }
  return choice;
}

}  // namespace reco::training
