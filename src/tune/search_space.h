// The hyperparameter search space of `reco tune`: one table with, per algorithm, the settings
// searched, their ranges and scales, and their defaults (the first trial of each algorithm).
// A point of a space is a vector of coordinates in [0, 1], one per parameter, mapped to setting
// text by ToSettings.
//
// Thread-safety: the table is immutable; the functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "algo/scorer.h"

namespace reco::tune {

enum class Scale {
  kLinear,  // lo + u (hi - lo)
  kLog,     // lo (hi / lo)^u
  kIntLog,  // round(lo (hi / lo)^u)
  kChoice,  // choices[floor(u n)]
};

struct ParamSpec {
  std::string key;  // "rp3beta.beta"
  Scale scale = Scale::kLinear;
  double lo = 0;
  double hi = 1;
  std::vector<std::string> choices;  // kChoice only
  std::string default_value;         // the value of the first trial
};

struct AlgoSpace {
  std::string algo;
  std::vector<ParamSpec> params;  // empty: the algorithm is tried once with its defaults
  // Searched when `reco tune` is given no --algorithms. The neighbourhood models are not: their
  // popularity settings fit the popularity profile of a holdout carved from the training data,
  // and their validation winners lost to the other families on held-out test data
  // (docs/tuning.md). --algorithms still searches them.
  bool default_search = true;
};

// Every algorithm with searched settings. Algorithms of algo::Algorithms() missing here (and
// parameters an algorithm does not accept) are tried with their defaults only.
const std::vector<AlgoSpace>& SearchSpaces();

// The algorithms `reco tune` searches without --algorithms: those of algo::Algorithms() whose
// table entry has default_search, in the order of algo::KnownAlgorithms().
std::vector<std::string> DefaultSearchAlgorithms();

// The space of `algo` with only the parameters its settings check accepts (the table may list
// settings of newer versions of an algorithm); an algorithm without entry gets an empty space.
AlgoSpace SpaceFor(std::string_view algo);

// The value text of parameter `p` at coordinate u in [0, 1].
std::string ValueAt(const ParamSpec& p, double u);
// The coordinate of `p`'s default value.
double DefaultCoordinate(const ParamSpec& p);

std::vector<eval::Setting> ToSettings(const AlgoSpace& space, const std::vector<double>& point);
std::vector<double> DefaultPoint(const AlgoSpace& space);

}  // namespace reco::tune
