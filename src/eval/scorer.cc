#include "eval/scorer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

namespace reco::eval {
namespace {

Result<double> ParseNumber(const Setting& s) {
  double value = 0;
  const char* end = s.second.data() + s.second.size();
  auto [ptr, ec] = std::from_chars(s.second.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return InvalidArgument("--set " + s.first + ": \"" + s.second + "\" is not a number", s.first);
  }
  return value;
}

Result<int> ParseInt(const Setting& s) {
  int value = 0;
  const char* end = s.second.data() + s.second.size();
  auto [ptr, ec] = std::from_chars(s.second.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgument("--set " + s.first + ": \"" + s.second + "\" is not an integer",
                           s.first);
  }
  return value;
}

Status UnknownKey(const Setting& s, std::string_view algo, std::string_view accepted) {
  return InvalidArgument("unknown option \"" + s.first + "\" for --algo " + std::string(algo) +
                             " (accepted: " + std::string(accepted) + ")",
                         s.first);
}

Status UnknownAlgorithm(std::string_view algo) {
  return InvalidArgument(
      "unknown algorithm \"" + std::string(algo) + "\" (accepted: popular, itemcf)", "--algo");
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

Result<ItemCfOptions> ParseItemCfOptions(const std::vector<Setting>& settings) {
  ItemCfOptions options;
  for (const Setting& s : settings) {
    if (s.first == "itemcf.neighbors") {
      RECO_ASSIGN_OR_RETURN(options.neighbors, ParseInt(s));
    } else if (s.first == "itemcf.shrinkage") {
      RECO_ASSIGN_OR_RETURN(options.shrinkage, ParseNumber(s));
    } else if (s.first == "itemcf.threads") {
      RECO_ASSIGN_OR_RETURN(options.num_threads, ParseInt(s));
    } else {
      return UnknownKey(s, "itemcf", "itemcf.neighbors, itemcf.shrinkage, itemcf.threads");
    }
  }
  return options;
}

Result<FittedScorer> FitItemCf(const Dataset& train, const std::vector<Setting>& settings,
                               bool show_progress) {
  RECO_ASSIGN_OR_RETURN(ItemCfOptions options, ParseItemCfOptions(settings));
  options.show_progress = show_progress;
  auto start = std::chrono::steady_clock::now();
  Result<ItemCfModel> model = ItemCfModel::Fit(train, options);
  if (!model.ok()) return model.status().WithPrefix("itemcf");
  FittedScorer fitted;
  fitted.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fitted.algo = "itemcf";
  fitted.options = {{"itemcf.neighbors", std::to_string(options.neighbors)},
                    {"itemcf.shrinkage", FormatDouble(options.shrinkage)}};
  fitted.scorer = std::make_unique<ItemCfScorer>(std::move(model).value());
  return fitted;
}

}  // namespace

PopularityScorer::PopularityScorer(const Dataset& train) : counts_(train.num_items()) {
  for (uint32_t i = 0; i < train.num_items(); ++i) {
    counts_[i] = static_cast<float>(train.ItemUsers(i).size());
  }
}

void PopularityScorer::Score(uint32_t /*user*/, std::span<const uint32_t> /*history*/,
                             std::span<float> scores) const {
  std::copy(counts_.begin(), counts_.end(), scores.begin());
}

void ItemCfScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                         std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t h : history) {
    std::span<const uint32_t> ids = model_.NeighborIds(h);
    std::span<const float> sims = model_.NeighborSims(h);
    for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += sims[n];
  }
}

std::vector<std::string> KnownAlgorithms() { return {"popular", "itemcf"}; }

Status CheckScorerSettings(std::string_view algo, const std::vector<Setting>& settings) {
  if (algo == "itemcf") return ParseItemCfOptions(settings).status();
  if (algo == "popular") {
    return settings.empty() ? Status::Ok() : UnknownKey(settings.front(), "popular", "none");
  }
  return UnknownAlgorithm(algo);
}

Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, bool show_progress) {
  RECO_RETURN_IF_ERROR(CheckScorerSettings(algo, settings));
  if (algo == "itemcf") return FitItemCf(train, settings, show_progress);
  if (algo == "popular") {
    auto start = std::chrono::steady_clock::now();
    FittedScorer fitted;
    fitted.scorer = std::make_unique<PopularityScorer>(train);
    fitted.algo = "popular";
    fitted.train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return fitted;
  }
  return UnknownAlgorithm(algo);
}

Result<Setting> ParseSetting(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("--set expects key=value, got \"" + std::string(text) + "\"", "--set");
  }
  return Setting{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace reco::eval
