#include "eval/scorer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>

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
  return InvalidArgument("unknown algorithm \"" + std::string(algo) +
                             "\" (accepted: popular, itemcf, rp3beta, ease, ials)",
                         "--algo");
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

// One accepted "algo.key" of an options struct O and how its text value is stored.
template <typename O>
struct OptionField {
  std::string_view key;
  std::function<Status(const Setting&, O&)> set;
};

template <typename O>
OptionField<O> IntField(std::string_view key, int O::*member) {
  return {key, [member](const Setting& s, O& o) -> Status {
            RECO_ASSIGN_OR_RETURN(o.*member, ParseInt(s));
            return Status::Ok();
          }};
}

template <typename O>
OptionField<O> NumberField(std::string_view key, double O::*member) {
  return {key, [member](const Setting& s, O& o) -> Status {
            RECO_ASSIGN_OR_RETURN(o.*member, ParseNumber(s));
            return Status::Ok();
          }};
}

template <typename O>
Result<O> ParseFields(std::string_view algo, const std::vector<Setting>& settings,
                      const std::vector<OptionField<O>>& fields) {
  O options;
  for (const Setting& s : settings) {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const OptionField<O>& f) { return f.key == s.first; });
    if (it == fields.end()) {
      std::string accepted;
      for (const OptionField<O>& f : fields) {
        accepted += (accepted.empty() ? "" : ", ") + std::string(f.key);
      }
      return UnknownKey(s, algo, accepted);
    }
    RECO_RETURN_IF_ERROR(it->set(s, options));
  }
  return options;
}

Result<Rp3betaOptions> ParseRp3betaOptions(const std::vector<Setting>& settings) {
  using O = Rp3betaOptions;
  return ParseFields<O>(
      "rp3beta", settings,
      {NumberField<O>("rp3beta.alpha", &O::alpha), NumberField<O>("rp3beta.beta", &O::beta),
       IntField<O>("rp3beta.neighbors", &O::neighbors),
       IntField<O>("rp3beta.threads", &O::num_threads)});
}

Result<EaseOptions> ParseEaseOptions(const std::vector<Setting>& settings) {
  using O = EaseOptions;
  OptionField<O> budget{"ease.max_memory_gib", [](const Setting& s, O& o) -> Status {
                          RECO_ASSIGN_OR_RETURN(double gib, ParseNumber(s));
                          if (!(gib > 0) || gib > 1e6) {
                            return InvalidArgument("--set " + s.first + " must be in (0, 1e6]",
                                                   s.first);
                          }
                          o.max_memory_bytes = static_cast<uint64_t>(gib * double(1u << 30));
                          return Status::Ok();
                        }};
  return ParseFields<O>("ease", settings,
                        {NumberField<O>("ease.lambda", &O::lambda), budget,
                         IntField<O>("ease.threads", &O::num_threads)});
}

Result<IalsOptions> ParseIalsOptions(const std::vector<Setting>& settings) {
  using O = IalsOptions;
  OptionField<O> seed{"ials.seed", [](const Setting& s, O& o) -> Status {
                        RECO_ASSIGN_OR_RETURN(int seed, ParseInt(s));
                        if (seed < 0) {
                          return InvalidArgument("--set ials.seed must be >= 0", s.first);
                        }
                        o.seed = static_cast<uint64_t>(seed);
                        return Status::Ok();
                      }};
  return ParseFields<O>(
      "ials", settings,
      {IntField<O>("ials.factors", &O::factors),
       NumberField<O>("ials.regularization", &O::regularization),
       NumberField<O>("ials.alpha", &O::alpha), IntField<O>("ials.iterations", &O::iterations),
       IntField<O>("ials.cg_steps", &O::cg_steps),
       NumberField<O>("ials.init_stddev", &O::init_stddev), seed,
       IntField<O>("ials.threads", &O::num_threads)});
}

// Fits model M with `options` and wraps it in scorer S; `effective` lists the options reported.
template <typename M, typename S, typename O>
Result<FittedScorer> FitWith(std::string_view algo, const Dataset& train, const O& options,
                             std::vector<Setting> effective) {
  auto start = std::chrono::steady_clock::now();
  Result<M> model = M::Fit(train, options);
  if (!model.ok()) return model.status().WithPrefix(algo);
  FittedScorer fitted;
  fitted.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fitted.algo = std::string(algo);
  fitted.options = std::move(effective);
  fitted.scorer = std::make_unique<S>(std::move(model).value());
  return fitted;
}

Result<FittedScorer> FitNewAlgorithm(std::string_view algo, const Dataset& train,
                                     const std::vector<Setting>& settings, bool show_progress) {
  if (algo == "rp3beta") {
    RECO_ASSIGN_OR_RETURN(Rp3betaOptions o, ParseRp3betaOptions(settings));
    o.show_progress = show_progress;
    return FitWith<Rp3betaModel, Rp3betaScorer>(
        algo, train, o,
        {{"rp3beta.alpha", FormatDouble(o.alpha)},
         {"rp3beta.beta", FormatDouble(o.beta)},
         {"rp3beta.neighbors", std::to_string(o.neighbors)}});
  }
  if (algo == "ease") {
    RECO_ASSIGN_OR_RETURN(EaseOptions o, ParseEaseOptions(settings));
    o.show_progress = show_progress;
    return FitWith<EaseModel, EaseScorer>(
        algo, train, o,
        {{"ease.lambda", FormatDouble(o.lambda)},
         {"ease.max_memory_gib", FormatDouble(double(o.max_memory_bytes) / (1u << 30))}});
  }
  RECO_ASSIGN_OR_RETURN(IalsOptions o, ParseIalsOptions(settings));
  o.show_progress = show_progress;
  return FitWith<IalsModel, IalsScorer>(algo, train, o,
                                        {{"ials.factors", std::to_string(o.factors)},
                                         {"ials.regularization", FormatDouble(o.regularization)},
                                         {"ials.alpha", FormatDouble(o.alpha)},
                                         {"ials.iterations", std::to_string(o.iterations)},
                                         {"ials.cg_steps", std::to_string(o.cg_steps)},
                                         {"ials.init_stddev", FormatDouble(o.init_stddev)},
                                         {"ials.seed", std::to_string(o.seed)}});
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

void Rp3betaScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                          std::span<float> scores) const {
  model_.Score(history, scores);
}

void EaseScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                       std::span<float> scores) const {
  model_.Score(history, scores);
}

void IalsScorer::Score(uint32_t /*user*/, std::span<const uint32_t> history,
                       std::span<float> scores) const {
  model_.Score(model_.FoldIn(history), scores);
}

std::vector<std::string> KnownAlgorithms() {
  return {"popular", "itemcf", "rp3beta", "ease", "ials"};
}

Status CheckScorerSettings(std::string_view algo, const std::vector<Setting>& settings) {
  if (algo == "itemcf") return ParseItemCfOptions(settings).status();
  if (algo == "rp3beta") return ParseRp3betaOptions(settings).status();
  if (algo == "ease") return ParseEaseOptions(settings).status();
  if (algo == "ials") return ParseIalsOptions(settings).status();
  if (algo == "popular") {
    return settings.empty() ? Status::Ok() : UnknownKey(settings.front(), "popular", "none");
  }
  return UnknownAlgorithm(algo);
}

Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, bool show_progress) {
  RECO_RETURN_IF_ERROR(CheckScorerSettings(algo, settings));
  if (algo == "itemcf") return FitItemCf(train, settings, show_progress);
  if (algo == "rp3beta" || algo == "ease" || algo == "ials") {
    return FitNewAlgorithm(algo, train, settings, show_progress);
  }
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
