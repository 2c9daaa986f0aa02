// Algorithm entry of "blend": settings parsing, routing of component settings, and fitting with
// given or learned weights.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "algo/algorithm_options.h"
#include "algo/algorithms.h"
#include "algo/blend.h"
#include "eval/split_util.h"

namespace reco::algo {
namespace {

struct BlendOptions {
  std::vector<std::string> components;
  std::vector<double> weights;  // empty: learned
  BlendNormalize normalize = BlendNormalize::kMax;
  double validation_fraction = 0.2;  // share of each user's positives held out for learning
  uint64_t seed = 1;
  int validation_users = 10000;  // held-out users used for learning at most
  int candidates = 100;
  std::string metric = "ndcg@20";
  int threads = 0;
  std::vector<std::vector<Setting>> component_settings;  // per component
};

constexpr std::string_view kBlendKeys =
    "blend.components, blend.weights, blend.normalize, blend.validation_fraction, blend.seed, "
    "blend.validation_users, blend.candidates, blend.metric, blend.threads, and <component>.*";

std::string JoinComponents(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string JoinNumbers(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : ",") + FormatDouble(v);
  return out;
}

Status ParseComponents(const Setting& s, BlendOptions& o) {
  o.components = SplitList(s.second);
  for (const std::string& c : o.components) {
    if (c == "blend" || CheckScorerSettings(c, {}).code() == StatusCode::kInvalidArgument) {
      return InvalidArgument("blend.components: \"" + c + "\" is not an algorithm to blend",
                             s.first);
    }
    if (std::count(o.components.begin(), o.components.end(), c) > 1) {
      return InvalidArgument("blend.components: \"" + c + "\" is listed twice", s.first);
    }
  }
  return Status::Ok();
}

Status ParseWeights(const Setting& s, BlendOptions& o) {
  o.weights.clear();
  double total = 0;
  for (const std::string& text : SplitList(s.second)) {
    RECO_ASSIGN_OR_RETURN(double w, ParseNumber({s.first, text}));
    if (w < 0) return InvalidArgument("blend.weights must be >= 0", s.first);
    o.weights.push_back(w);
    total += w;
  }
  if (!(total > 0)) return InvalidArgument("blend.weights must not all be 0", s.first);
  return Status::Ok();
}

Status ParseBlendKey(const Setting& s, BlendOptions& o) {
  const std::string& k = s.first;
  if (k == "blend.components") return ParseComponents(s, o);
  if (k == "blend.weights") return ParseWeights(s, o);
  if (k == "blend.normalize") {
    RECO_ASSIGN_OR_RETURN(o.normalize, ParseBlendNormalize(s.second));
    return Status::Ok();
  }
  if (k == "blend.validation_fraction") {
    RECO_ASSIGN_OR_RETURN(o.validation_fraction, ParseNumber(s));
    if (!(o.validation_fraction > 0 && o.validation_fraction < 1)) {
      return InvalidArgument("blend.validation_fraction must be in (0, 1)", k);
    }
    return Status::Ok();
  }
  if (k == "blend.metric") {
    o.metric = s.second;
    if (!ParseTargetMetric(s.second).ok()) return ParseTargetMetric(s.second).status();
    return Status::Ok();
  }
  int* int_target = k == "blend.validation_users" ? &o.validation_users
                    : k == "blend.candidates"     ? &o.candidates
                    : k == "blend.threads"        ? &o.threads
                                                  : nullptr;
  if (int_target != nullptr) {
    RECO_ASSIGN_OR_RETURN(*int_target, ParseInt(s));
    if (*int_target < (k == "blend.threads" ? 0 : 1)) {
      return InvalidArgument("--set " + k + " is out of range", k);
    }
    return Status::Ok();
  }
  if (k == "blend.seed") {
    RECO_ASSIGN_OR_RETURN(o.seed, ParseSeed(s));
    return Status::Ok();
  }
  return UnknownKey(s, "blend", kBlendKeys);
}

Result<BlendOptions> ParseBlendOptions(const std::vector<Setting>& settings) {
  BlendOptions o;
  RECO_ASSIGN_OR_RETURN(
      std::vector<Setting> rest,
      TakeOwnSettings(settings, "blend.", [&o](const Setting& s) { return ParseBlendKey(s, o); }));
  if (o.components.empty()) {
    return InvalidArgument("blend needs blend.components (e.g. rp3beta,ials)", "blend.components");
  }
  if (!o.weights.empty() && o.weights.size() != o.components.size()) {
    return InvalidArgument("blend.weights has " + std::to_string(o.weights.size()) +
                               " values for " + std::to_string(o.components.size()) + " components",
                           "blend.weights");
  }
  RECO_ASSIGN_OR_RETURN(o.component_settings,
                        RouteSettings(rest, o.components, "blend.components"));
  for (size_t c = 0; c < o.components.size(); ++c) {
    if (o.threads > 0) {
      Setting threads{o.components[c] + ".threads", std::to_string(o.threads)};
      std::vector<Setting> with = o.component_settings[c];
      with.push_back(threads);
      if (CheckScorerSettings(o.components[c], with).ok()) o.component_settings[c] = with;
    }
  }
  return o;
}

// Fits every component on `train`; `fitted` receives them in order.
Status FitComponents(const BlendOptions& o, const Dataset& train, const FitContext& context,
                     std::vector<FittedScorer>& fitted) {
  fitted.clear();
  for (size_t c = 0; c < o.components.size(); ++c) {
    Result<FittedScorer> f = FitScorer(o.components[c], train, o.component_settings[c], context);
    if (!f.ok()) return f.status().WithPrefix("blend component " + o.components[c]);
    fitted.push_back(std::move(f).value());
  }
  return Status::Ok();
}

Result<std::vector<double>> LearnWeights(const BlendOptions& o, const Dataset& train,
                                         const FitContext& context) {
  RECO_ASSIGN_OR_RETURN(eval::EvalSplit split,
                        eval::SplitRandom(train, o.validation_fraction, o.seed));
  SubsampleUsers(split, static_cast<size_t>(o.validation_users), o.seed);
  std::vector<FittedScorer> fitted;
  RECO_RETURN_IF_ERROR(FitComponents(o, split.train, context, fitted));
  std::vector<const Scorer*> scorers;
  for (const FittedScorer& f : fitted) scorers.push_back(f.scorer.get());
  RECO_ASSIGN_OR_RETURN(TargetMetric target, ParseTargetMetric(o.metric));
  BlendLearnOptions learn;
  learn.metric = target.metric;
  learn.k = target.k;
  learn.normalize = o.normalize;
  learn.candidates = std::max<size_t>(static_cast<size_t>(o.candidates), target.k);
  learn.num_threads = o.threads;
  RECO_ASSIGN_OR_RETURN(LearnedWeights learned, LearnBlendWeights(split, scorers, learn));
  if (context.show_progress) {
    std::fprintf(stderr, "blend: learned weights %s (%s %.4f on %zu validation users)\n",
                 JoinNumbers(learned.weights).c_str(), o.metric.c_str(), learned.value,
                 split.users.size());
  }
  return learned.weights;
}

Result<FittedScorer> FitBlend(const Dataset& train, const std::vector<Setting>& settings,
                              const FitContext& context) {
  RECO_ASSIGN_OR_RETURN(BlendOptions o, ParseBlendOptions(settings));
  auto start = std::chrono::steady_clock::now();
  if (o.weights.empty()) {
    RECO_ASSIGN_OR_RETURN(o.weights, LearnWeights(o, train, context));
  }
  std::vector<FittedScorer> fitted;
  RECO_RETURN_IF_ERROR(FitComponents(o, train, context, fitted));
  FittedScorer out;
  out.algo = "blend";
  out.options = {{"blend.components", JoinComponents(o.components)},
                 {"blend.weights", JoinNumbers(o.weights)},
                 {"blend.normalize", std::string(BlendNormalizeName(o.normalize))}};
  std::vector<BlendComponent> components;
  for (size_t c = 0; c < fitted.size(); ++c) {
    for (const Setting& s : fitted[c].options) out.options.push_back(s);
    components.push_back({o.components[c], o.weights[c], std::move(fitted[c].scorer)});
  }
  out.scorer = std::make_unique<BlendScorer>(std::move(components), o.normalize);
  out.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace

Algorithm BlendAlgorithm() {
  return {"blend",
          [](const std::vector<Setting>& settings) { return ParseBlendOptions(settings).status(); },
          FitBlend};
}

}  // namespace reco::algo
