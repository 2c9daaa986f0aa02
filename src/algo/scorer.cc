#include "algo/scorer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "algo/algorithm_options.h"
#include "algo/algorithms.h"

namespace reco::algo {

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

Result<bool> ParseBool(const Setting& s) {
  if (s.second == "1" || s.second == "true") return true;
  if (s.second == "0" || s.second == "false") return false;
  return InvalidArgument("--set " + s.first + ": \"" + s.second + "\" is not true/false", s.first);
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

Status UnknownKey(const Setting& s, std::string_view algo, std::string_view accepted) {
  return InvalidArgument("unknown option \"" + s.first + "\" for --algo " + std::string(algo) +
                             " (accepted: " + std::string(accepted) + ")",
                         s.first);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Result<uint64_t> ParseSeed(const Setting& s) {
  RECO_ASSIGN_OR_RETURN(int seed, ParseInt(s));
  if (seed < 0) return InvalidArgument("--set " + s.first + " must be >= 0", s.first);
  return static_cast<uint64_t>(seed);
}

Result<std::vector<std::vector<Setting>>> RouteSettings(const std::vector<Setting>& settings,
                                                        const std::vector<std::string>& names,
                                                        std::string_view owner) {
  std::vector<std::vector<Setting>> groups(names.size());
  for (const Setting& s : settings) {
    const std::string prefix = s.first.substr(0, s.first.find('.'));
    auto it = std::find(names.begin(), names.end(), prefix);
    if (it == names.end()) {
      std::string parts;
      for (const std::string& n : names) parts += (parts.empty() ? "" : ",") + n;
      return InvalidArgument("setting \"" + s.first + "\" belongs to no part of " +
                                 std::string(owner) + " (" + parts + ")",
                             s.first);
    }
    groups[static_cast<size_t>(it - names.begin())].push_back(s);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    RECO_RETURN_IF_ERROR(CheckScorerSettings(names[i], groups[i]));
  }
  return groups;
}

const std::vector<Algorithm>& Algorithms() {
  static const std::vector<Algorithm>* const kAlgorithms = new std::vector<Algorithm>{
      PopularAlgorithm(), ItemCfAlgorithm(), Rp3betaAlgorithm(), EaseAlgorithm(), IalsAlgorithm(),
      BlendAlgorithm(),   SwingAlgorithm(),  RankerAlgorithm(),  GfcfAlgorithm(),
  };
  return *kAlgorithms;
}

std::vector<std::string> KnownAlgorithms() {
  std::vector<std::string> names;
  for (const Algorithm& a : Algorithms()) names.push_back(a.name);
  return names;
}

namespace {

const Algorithm* FindAlgorithm(std::string_view algo) {
  for (const Algorithm& a : Algorithms()) {
    if (a.name == algo) return &a;
  }
  return nullptr;
}

Status UnknownAlgorithm(std::string_view algo) {
  std::string accepted;
  for (const std::string& name : KnownAlgorithms()) {
    accepted += (accepted.empty() ? "" : ", ") + name;
  }
  return InvalidArgument(
      "unknown algorithm \"" + std::string(algo) + "\" (accepted: " + accepted + ")", "--algo");
}

}  // namespace

Status CheckScorerSettings(std::string_view algo, const std::vector<Setting>& settings) {
  const Algorithm* a = FindAlgorithm(algo);
  if (a == nullptr) return UnknownAlgorithm(algo);
  return a->check(settings);
}

Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, bool show_progress) {
  return FitScorer(algo, train, settings, FitContext{.show_progress = show_progress});
}

Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, const FitContext& context) {
  const Algorithm* a = FindAlgorithm(algo);
  if (a == nullptr) return UnknownAlgorithm(algo);
  RECO_RETURN_IF_ERROR(a->check(settings));
  return a->fit(train, settings, context);
}

Result<Setting> ParseSetting(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("--set expects key=value, got \"" + std::string(text) + "\"", "--set");
  }
  return Setting{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace reco::algo
