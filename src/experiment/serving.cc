#include "experiment/serving.h"

#include <algorithm>

#include "experiment/experiment.h"

namespace reco::experiment {

bool AppliesTo(const ExperimentRecord& e, std::string_view requested_scenario) {
  bool scenario_scoped = false;
  for (const ExperimentVariantRecord& v : e.variants) {
    if (v.target_kind != kTargetScenario) continue;
    scenario_scoped = true;
    if (!requested_scenario.empty() && v.target == requested_scenario) return true;
  }
  return !scenario_scoped;
}

ServingPlan PlanServing(std::span<const ExperimentRecord> running, std::string_view user_id,
                        std::string_view requested_scenario) {
  ServingPlan plan;
  if (running.empty() || user_id.empty()) return plan;
  for (Assignment& a : Assign(running, user_id)) {
    auto e = std::find_if(running.begin(), running.end(),
                          [&](const ExperimentRecord& r) { return r.id == a.experiment_id; });
    if (e == running.end() || !AppliesTo(*e, requested_scenario)) continue;
    if (a.target_kind == kTargetScenario && plan.scenario_experiment.empty()) {
      plan.scenario = a.target;
      plan.scenario_experiment = a.experiment_id;
    } else if (a.target_kind == kTargetModelVersion && plan.model_experiment.empty()) {
      plan.model_version = a.target;
      plan.model_experiment = a.experiment_id;
    }
    plan.applied.push_back(std::move(a));
  }
  return plan;
}

}  // namespace reco::experiment
