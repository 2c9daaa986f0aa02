// Helpers shared by the algorithm entries (src/algo/algo_*.cc): parsing "algo.key=value"
// settings into an options struct, and wrapping a fitted model into a FittedScorer.
//
// Thread-safety: stateless functions. Used by src/algo and the tuner (src/tune).
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "algo/scorer.h"
#include "core/status.h"
#include "data/dataset.h"

namespace reco::algo {

Result<double> ParseNumber(const Setting& s);
Result<int> ParseInt(const Setting& s);
// "1", "true", "0", "false".
Result<bool> ParseBool(const Setting& s);
std::string FormatDouble(double v);
Status UnknownKey(const Setting& s, std::string_view algo, std::string_view accepted);
// A seed: an integer >= 0.
Result<uint64_t> ParseSeed(const Setting& s);

// "a,b,,c" -> {"a", "b", "", "c"} (list-valued settings such as blend.components).
std::vector<std::string> SplitList(const std::string& text);

// Applies `parse_own(setting)` to every setting whose key starts with `prefix` ("blend.") and
// returns the others (the settings of a composed algorithm's parts).
template <typename F>
Result<std::vector<Setting>> TakeOwnSettings(const std::vector<Setting>& settings,
                                             std::string_view prefix, F&& parse_own) {
  std::vector<Setting> rest;
  for (const Setting& s : settings) {
    if (s.first.rfind(prefix, 0) == 0) {
      RECO_RETURN_IF_ERROR(parse_own(s));
    } else {
      rest.push_back(s);
    }
  }
  return rest;
}

// Routes the settings of the parts of a composed algorithm (blend components, ranker sources):
// group i holds the settings whose "<name>." prefix is names[i], checked by that algorithm's
// own entry. A setting of no part is InvalidArgument naming it and listing `owner`'s parts.
Result<std::vector<std::vector<Setting>>> RouteSettings(const std::vector<Setting>& settings,
                                                        const std::vector<std::string>& names,
                                                        std::string_view owner);

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
OptionField<O> BoolField(std::string_view key, bool O::*member) {
  return {key, [member](const Setting& s, O& o) -> Status {
            RECO_ASSIGN_OR_RETURN(o.*member, ParseBool(s));
            return Status::Ok();
          }};
}

template <typename O>
OptionField<O> SeedField(std::string_view key, uint64_t O::*member) {
  return {key, [member](const Setting& s, O& o) -> Status {
            RECO_ASSIGN_OR_RETURN(o.*member, ParseSeed(s));
            return Status::Ok();
          }};
}

// A setting whose text is one of `choices` (text, value); anything else is InvalidArgument
// listing them.
template <typename O, typename E>
OptionField<O> ChoiceField(std::string_view key, E O::*member,
                           std::vector<std::pair<std::string_view, E>> choices) {
  return {key, [member, choices = std::move(choices)](const Setting& s, O& o) -> Status {
            std::string names;
            for (const auto& [text, value] : choices) {
              if (s.second == text) {
                o.*member = value;
                return Status::Ok();
              }
              if (!names.empty()) names += " or ";
              names += text;
            }
            return InvalidArgument("--set " + s.first + " must be " + names, s.first);
          }};
}

// Applies every setting to a default-constructed O; an unknown key is InvalidArgument listing
// the accepted ones.
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

}  // namespace reco::algo
