#include "tune/tuner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <set>

#include "algo/algorithm_options.h"
#include "algo/blend.h"
#include "core/json_writer.h"
#include "eval/evaluator.h"
#include "eval/protocol.h"
#include "tune/search_space.h"

namespace reco::tune {
namespace {

using eval::Setting;
constexpr double kNoValue = -std::numeric_limits<double>::infinity();

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Box-Muller on the engine's raw output (std::normal_distribution differs between libraries).
double Gaussian(std::mt19937_64& rng) {
  const double u1 = std::max(Uniform(rng), 1e-300);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * Uniform(rng));
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", s);
  return buf;
}

std::string Describe(const std::vector<Setting>& settings) {
  std::string out;
  for (const Setting& s : settings) out += (out.empty() ? "" : " ") + s.first + "=" + s.second;
  return out.empty() ? "(defaults)" : out;
}

struct AlgoState {
  AlgoSpace space;
  std::mt19937_64 rng;
  bool active = true;
  int trials = 0;
  int refine_trials = 0;
  double spent = 0;      // seconds of all its trials
  double last_cost = 0;  // seconds of its last trial
  double best_value = kNoValue;
  double best_eval_seconds = 0;
  std::vector<double> best_point;
  std::vector<Setting> best_settings;
  std::unique_ptr<eval::Scorer> best_scorer;
  std::set<std::string> tried;  // Describe() of the settings tried
};

class Search {
 public:
  Search(const TuneOptions& options, eval::EvalSplit split, algo::TargetMetric target)
      : options_(options),
        clock_(options.clock != nullptr ? *options.clock : SystemClock::Get()),
        start_(clock_.NowMicros()),
        split_(std::move(split)),
        target_(target) {}

  Result<TuneResult> Run();

 private:
  double Elapsed() const { return double(clock_.NowMicros() - start_) / 1e6; }
  double BlendReserve() const;
  bool CanStart(const AlgoState& a) const;
  std::vector<AlgoState*> Top(size_t n);
  void RunTrial(AlgoState& a, const std::vector<double>& point, const char* stage);
  bool RunStage(const char* stage, double until);
  void Blend();
  void Record(TrialRecord record);

  const TuneOptions& options_;
  const Clock& clock_;
  const TimestampUs start_;
  eval::EvalSplit split_;
  algo::TargetMetric target_;
  std::vector<AlgoState> algos_;
  int single_trials_ = 0;
  TuneResult result_;
  double best_value_ = kNoValue;
  std::string best_label_ = "-";
};

double Search::BlendReserve() const {
  double eval_seconds = 0;
  int counted = 0;
  std::vector<const AlgoState*> sorted;
  for (const AlgoState& a : algos_) {
    if (a.best_value > kNoValue) sorted.push_back(&a);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const AlgoState* x, const AlgoState* y) { return x->best_value > y->best_value; });
  for (const AlgoState* a : sorted) {
    if (counted++ == options_.blend_top) break;
    eval_seconds += a->best_eval_seconds;
  }
  // Candidate scoring and the blend's own evaluation each cost about one evaluation of every
  // component; the weight search itself is cheap.
  return counted >= 2 ? 2.5 * eval_seconds + 0.01 * options_.budget_seconds : 0;
}

bool Search::CanStart(const AlgoState& a) const {
  if (!a.active) return false;
  if (options_.max_trials > 0 && single_trials_ >= options_.max_trials) return false;
  return Elapsed() + a.last_cost + BlendReserve() <= options_.budget_seconds;
}

std::vector<AlgoState*> Search::Top(size_t n) {
  std::vector<AlgoState*> top;
  for (AlgoState& a : algos_) {
    if (a.best_value > kNoValue && a.best_scorer != nullptr) top.push_back(&a);
  }
  std::stable_sort(top.begin(), top.end(), [](const AlgoState* x, const AlgoState* y) {
    return x->best_value > y->best_value;
  });
  if (top.size() > n) top.resize(n);
  return top;
}

void Search::Record(TrialRecord record) {
  record.index = static_cast<int>(result_.trials.size()) + 1;
  if (options_.show_progress) {
    char value[32] = "failed";
    if (!std::isnan(record.value)) std::snprintf(value, sizeof(value), "%.4f", record.value);
    std::fprintf(
        stderr, "tune: trial %d [%s] %s %s -> %s %s (best %.4f %s) %.1f s [%.0f/%.0f s]%s%s\n",
        record.index, record.stage.c_str(), record.algo.c_str(), Describe(record.settings).c_str(),
        options_.metric.c_str(), value, best_value_, best_label_.c_str(), record.seconds, Elapsed(),
        options_.budget_seconds, record.note.empty() ? "" : ": ", record.note.c_str());
  }
  result_.trials.push_back(std::move(record));
}

void Search::RunTrial(AlgoState& a, const std::vector<double>& point, const char* stage) {
  TrialRecord record;
  record.stage = stage;
  record.algo = a.space.algo;
  record.settings = ToSettings(a.space, point);
  record.value = std::numeric_limits<double>::quiet_NaN();
  a.tried.insert(Describe(record.settings));
  ++single_trials_;
  ++a.trials;
  const double started = Elapsed();
  std::vector<Setting> settings = record.settings;
  if (options_.num_threads > 0) {
    settings.emplace_back(a.space.algo + ".threads", std::to_string(options_.num_threads));
    if (!algo::CheckScorerSettings(a.space.algo, settings).ok()) settings.pop_back();
  }
  Result<algo::FittedScorer> fitted = algo::FitScorer(a.space.algo, split_.train, settings);
  if (!fitted.ok()) {
    const bool refused = fitted.status().code() == StatusCode::kResourceExhausted;
    record.note = (refused ? "skipped: " : "failed: ") + fitted.status().ToString();
    if (refused || std::string_view(stage) == "default") a.active = false;
  } else {
    eval::EvalOptions eval_options;
    eval_options.ks = {target_.k};
    eval_options.num_threads = options_.num_threads;
    const double eval_start = Elapsed();
    Result<eval::EvalResult> evaluated = eval::Evaluate(split_, *fitted->scorer, eval_options);
    if (!evaluated.ok()) {
      record.note = "failed: " + evaluated.status().ToString();
    } else {
      record.value = evaluated->Get(options_.metric);
      record.note =
          "fit " + Seconds(eval_start - started) + ", eval " + Seconds(Elapsed() - eval_start);
      if (record.value > a.best_value) {
        a.best_value = record.value;
        a.best_point = point;
        a.best_settings = record.settings;
        a.best_scorer = std::move(fitted->scorer);
        a.best_eval_seconds = Elapsed() - eval_start;
      }
      if (record.value > best_value_) {
        best_value_ = record.value;
        best_label_ = a.space.algo;
      }
    }
  }
  record.seconds = Elapsed() - started;
  a.last_cost = record.seconds;
  a.spent += record.seconds;
  Record(std::move(record));
}

// One trial of the least-explored eligible algorithm; false when none can start or the stage's
// time (`until`, seconds since the start) is over.
bool Search::RunStage(const char* stage, double until) {
  const bool refine = std::string_view(stage) == "refine";
  std::vector<AlgoState*> eligible;
  if (refine) {
    for (AlgoState* a : Top(static_cast<size_t>(options_.blend_top))) eligible.push_back(a);
  } else {
    for (AlgoState& a : algos_) eligible.push_back(&a);
  }
  AlgoState* pick = nullptr;
  for (AlgoState* a : eligible) {
    if (a->space.params.empty() || !CanStart(*a)) continue;
    if (pick == nullptr || a->spent < pick->spent) pick = a;
  }
  if (pick == nullptr || Elapsed() >= until) return false;
  std::vector<double> point(pick->space.params.size());
  for (int attempt = 0; attempt < 8; ++attempt) {
    const double sigma = std::max(0.03, 0.25 * std::pow(0.85, pick->refine_trials));
    for (size_t i = 0; i < point.size(); ++i) {
      point[i] = refine ? std::clamp(pick->best_point[i] + sigma * Gaussian(pick->rng), 0.0, 1.0)
                        : Uniform(pick->rng);
    }
    if (!pick->tried.count(Describe(ToSettings(pick->space, point)))) break;
  }
  if (refine) ++pick->refine_trials;
  RunTrial(*pick, point, stage);
  return true;
}

void Search::Blend() {
  std::vector<AlgoState*> top = Top(static_cast<size_t>(options_.blend_top));
  if (top.size() < 2) return;
  std::vector<const eval::Scorer*> scorers;
  for (AlgoState* a : top) scorers.push_back(a->best_scorer.get());
  const double started = Elapsed();
  algo::BlendLearnOptions learn;
  learn.metric = target_.metric;
  learn.k = target_.k;
  learn.candidates = std::max<size_t>(100, target_.k);
  learn.num_threads = options_.num_threads;
  TrialRecord record;
  record.stage = "blend";
  record.algo = "blend";
  record.value = std::numeric_limits<double>::quiet_NaN();
  Result<algo::LearnedWeights> learned = algo::LearnBlendWeights(split_, scorers, learn);
  const double learn_seconds = Elapsed() - started;
  std::vector<algo::BlendComponent> components;
  std::string names, weights;
  std::vector<Setting> component_settings;
  if (learned.ok()) {
    for (size_t c = 0; c < top.size(); ++c) {
      // Four decimals, as written to the config, so that the config reproduces this trial.
      const double weight = std::round(learned->weights[c] * 1e4) / 1e4;
      if (weight <= 0) continue;
      names += (names.empty() ? "" : ",") + top[c]->space.algo;
      weights += (weights.empty() ? "" : ",") + algo::FormatDouble(weight);
      for (const Setting& s : top[c]->best_settings) component_settings.push_back(s);
      components.push_back({top[c]->space.algo, weight, nullptr});
      components.back().scorer = std::move(top[c]->best_scorer);
    }
  } else {
    record.note = "failed: " + learned.status().ToString();
  }
  record.settings = {
      {"blend.components", names}, {"blend.weights", weights}, {"blend.normalize", "max"}};
  record.settings.insert(record.settings.end(), component_settings.begin(),
                         component_settings.end());
  if (components.size() < 2) {
    if (record.note.empty()) record.note = "the learned weights keep a single model";
  } else {
    algo::BlendScorer blend(std::move(components), algo::BlendNormalize::kMax);
    eval::EvalOptions eval_options;
    eval_options.ks = {target_.k};
    eval_options.num_threads = options_.num_threads;
    Result<eval::EvalResult> evaluated = eval::Evaluate(split_, blend, eval_options);
    if (evaluated.ok()) record.value = evaluated->Get(options_.metric);
    record.note = "weights learned in " + Seconds(learn_seconds) + " (" +
                  std::to_string(learned->evaluations) + " tried), eval " +
                  Seconds(Elapsed() - started - learn_seconds);
  }
  record.seconds = Elapsed() - started;
  if (record.value > best_value_) {
    best_value_ = record.value;
    best_label_ = "blend";
  }
  Record(std::move(record));
}

Result<TuneResult> Search::Run() {
  std::vector<std::string> names = options_.algorithms;
  // Compositions of other algorithms (blend, ranker) have no entry in the table.
  if (names.empty()) names = DefaultSearchAlgorithms();
  for (const std::string& n : names) {
    RECO_RETURN_IF_ERROR(algo::CheckScorerSettings(n, {}));
    AlgoState& a = algos_.emplace_back();
    a.space = SpaceFor(n);
    a.rng.seed(options_.seed ^ Fnv1a(n));
  }
  for (AlgoState& a : algos_) {
    if (CanStart(a)) RunTrial(a, DefaultPoint(a.space), "default");
  }
  const double search_end = options_.budget_seconds;
  const double random_end = Elapsed() + options_.random_share * (search_end - Elapsed());
  while (RunStage("random", random_end)) {
  }
  while (RunStage("refine", search_end)) {
  }
  Blend();
  // The winner: the blend when it beats every single model, else the best single model.
  const TrialRecord* best = nullptr;
  for (const TrialRecord& t : result_.trials) {
    if (!std::isnan(t.value) && (best == nullptr || t.value > best->value)) best = &t;
  }
  if (best == nullptr) {
    return FailedPrecondition("tune: no configuration could be fitted and evaluated");
  }
  algo::TunedConfig& config = result_.config;
  config.algo = best->algo;
  config.settings = best->settings;
  config.train_file = options_.train_file;
  config.metric = options_.metric;
  config.validation_value = best->value;
  config.trials = static_cast<int>(result_.trials.size());
  config.seconds = Elapsed();
  config.seed = options_.seed;
  return std::move(result_);
}

}  // namespace

Result<TuneResult> Tune(const Dataset& train, const TuneOptions& options) {
  RECO_ASSIGN_OR_RETURN(algo::TargetMetric target, algo::ParseTargetMetric(options.metric));
  if (!(options.validation_fraction > 0 && options.validation_fraction < 1)) {
    return InvalidArgument("--validation-fraction must be in (0, 1)", "--validation-fraction");
  }
  if (!(options.budget_seconds > 0)) {
    return InvalidArgument("--budget-seconds must be > 0", "--budget-seconds");
  }
  RECO_ASSIGN_OR_RETURN(eval::EvalSplit split,
                        eval::SplitRandom(train, options.validation_fraction, options.seed));
  algo::SubsampleUsers(split, static_cast<size_t>(std::max(1, options.validation_users)),
                       options.seed);
  if (split.users.empty()) {
    return InvalidArgument("the training data has no user with enough positives to validate on",
                           "--train");
  }
  if (options.show_progress) {
    std::fprintf(stderr,
                 "tune: validation split: %zu users, %zu items, %zu training positives, %zu "
                 "validation users\n",
                 split.train.num_users(), split.train.num_items(), split.train.num_positives(),
                 split.users.size());
  }
  Search search(options, std::move(split), target);
  return search.Run();
}

std::string TrialsToJson(const TuneResult& result) {
  JsonWriter w;
  w.BeginObject();
  w.Key("metric").String(result.config.metric);
  w.Key("config").BeginObject();
  w.Key("algorithm").String(result.config.algo);
  w.Key("settings").BeginObject();
  for (const Setting& s : result.config.settings) w.Key(s.first).String(s.second);
  w.EndObject();
  w.Key("validation").Double(result.config.validation_value);
  w.Key("seconds").Double(result.config.seconds);
  w.Key("seed").Int(static_cast<int64_t>(result.config.seed));
  w.EndObject();
  w.Key("trials").BeginArray();
  for (const TrialRecord& t : result.trials) {
    w.BeginObject();
    w.Key("index").Int(t.index);
    w.Key("stage").String(t.stage);
    w.Key("algo").String(t.algo);
    w.Key("settings").BeginObject();
    for (const Setting& s : t.settings) w.Key(s.first).String(s.second);
    w.EndObject();
    w.Key("value").Double(t.value);
    w.Key("seconds").Double(t.seconds);
    if (!t.note.empty()) w.Key("note").String(t.note);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace reco::tune
