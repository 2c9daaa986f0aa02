// What a user's A/B experiments change about one recommend request (docs/experiments.md,
// "Serving a variant").
//
// An experiment's scope: when any of its variants targets a scenario, it applies to requests for
// those scenarios only (the variants home_feed / home_feed_v2 apply to ?scenario=home_feed and
// ?scenario=home_feed_v2, never to the plain route); when all its variants target model
// versions, it applies to every recommend request (the plain route and every scenario). Within
// its scope the user's variant's target is served: its scenario instead of the requested one,
// or its model version instead of the primary/canary split. When two applying experiments set
// the same kind of target, the first in assignment order (by layer) wins; both are still named.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "experiment/assignment.h"
#include "store/store.h"

namespace reco::experiment {

struct ServingPlan {
  // The experiments that apply to the request, with the user's variant, by layer: what the
  // response and the exposure line name.
  std::vector<Assignment> applied;
  std::string scenario;             // the scenario to serve; "" = the requested one (or none)
  std::string model_version;        // the model version (run id) to serve; "" = the usual split
  std::string scenario_experiment;  // the experiment that set `scenario`
  std::string model_experiment;     // the experiment that set `model_version`
  bool empty() const { return applied.empty(); }
};

// True when `e` applies to a request for `requested_scenario` ("" = the plain route).
bool AppliesTo(const ExperimentRecord& e, std::string_view requested_scenario);

// The plan of `user_id`'s request for `requested_scenario` ("" = the plain route) among the
// `running` experiments (others are skipped).
ServingPlan PlanServing(std::span<const ExperimentRecord> running, std::string_view user_id,
                        std::string_view requested_scenario);

}  // namespace reco::experiment
