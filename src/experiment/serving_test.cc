#include "experiment/serving.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "experiment/experiment.h"

namespace reco::experiment {
namespace {

struct Target {
  std::string kind, target;
};

// A running experiment over all of `layer`'s users with one equal-weight variant per target.
ExperimentRecord Running(std::string id, std::string layer, std::vector<Target> targets) {
  ExperimentRecord e;
  e.id = std::move(id);
  e.layer = std::move(layer);
  e.status = std::string(kRunning);
  e.traffic = 1.0;
  for (size_t i = 0; i < targets.size(); ++i) {
    e.variants.push_back({"v" + std::to_string(i), 1, targets[i].kind, targets[i].target});
  }
  e.click_types = {"click"};
  return e;
}

const Target kHome{"scenario", "home_feed"}, kHome2{"scenario", "home_feed_v2"};
const Target kRunA{"model_version", "run-a"}, kRunB{"model_version", "run-b"};

TEST(AppliesTo, ScenarioExperimentsCoverTheirScenariosOnly) {
  const ExperimentRecord scen = Running("s", "l", {kHome, kHome2});
  EXPECT_TRUE(AppliesTo(scen, "home_feed"));
  EXPECT_TRUE(AppliesTo(scen, "home_feed_v2"));
  EXPECT_FALSE(AppliesTo(scen, "item_detail"));
  EXPECT_FALSE(AppliesTo(scen, "")) << "not the plain route";
  const ExperimentRecord models = Running("m", "l", {kRunA, kRunB});
  EXPECT_TRUE(AppliesTo(models, ""));
  EXPECT_TRUE(AppliesTo(models, "item_detail"));
  // Mixed: scoped by its scenario variants, whatever the user's variant.
  const ExperimentRecord mixed = Running("x", "l", {kHome, kRunA});
  EXPECT_TRUE(AppliesTo(mixed, "home_feed"));
  EXPECT_FALSE(AppliesTo(mixed, ""));
}

TEST(PlanServing, ServesTheVariantsScenarioOnRequestsForAnyOfItsScenarios) {
  const std::vector<ExperimentRecord> running = {Running("exp1", "home", {kHome, kHome2})};
  int served_v2 = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string user = "u" + std::to_string(i);
    const size_t variant = VariantIndex(running[0], user);
    for (std::string_view asked : {"home_feed", "home_feed_v2"}) {
      ServingPlan plan = PlanServing(running, user, asked);
      ASSERT_EQ(plan.applied.size(), 1u);
      EXPECT_EQ(plan.applied[0].variant, "v" + std::to_string(variant));
      EXPECT_EQ(plan.scenario, variant == 0 ? "home_feed" : "home_feed_v2");
      EXPECT_EQ(plan.scenario_experiment, "exp1");
      EXPECT_EQ(plan.model_version, "");
    }
    EXPECT_TRUE(PlanServing(running, user, "").empty()) << "the plain route is not in scope";
    EXPECT_TRUE(PlanServing(running, user, "item_detail").empty());
    served_v2 += variant == 1 ? 1 : 0;
  }
  EXPECT_GT(served_v2, 60);
  EXPECT_LT(served_v2, 140);
}

TEST(PlanServing, ModelVersionExperimentsApplyToEveryRequest) {
  const std::vector<ExperimentRecord> running = {Running("exp1", "models", {kRunA, kRunB})};
  for (std::string_view asked : {"", "home_feed"}) {
    ServingPlan plan = PlanServing(running, "u1", asked);
    ASSERT_EQ(plan.applied.size(), 1u);
    EXPECT_EQ(plan.model_version, VariantIndex(running[0], "u1") == 0 ? "run-a" : "run-b");
    EXPECT_EQ(plan.model_experiment, "exp1");
    EXPECT_EQ(plan.scenario, "");
  }
}

TEST(PlanServing, TheFirstLayerWinsATargetKindAndBothAreNamed) {
  // Layers "a" and "b" both set a model version: "a" (first by layer) wins.
  const std::vector<ExperimentRecord> running = {Running("late", "b", {kRunB, kRunB}),
                                                 Running("early", "a", {kRunA, kRunA}),
                                                 Running("scen", "c", {kHome, kHome2})};
  ServingPlan plan = PlanServing(running, "u7", "home_feed");
  ASSERT_EQ(plan.applied.size(), 3u);
  EXPECT_EQ(plan.applied[0].experiment_id, "early");
  EXPECT_EQ(plan.applied[1].experiment_id, "late");
  EXPECT_EQ(plan.applied[2].experiment_id, "scen");
  EXPECT_EQ(plan.model_version, "run-a");
  EXPECT_EQ(plan.model_experiment, "early");
  EXPECT_EQ(plan.scenario_experiment, "scen");
  plan = PlanServing(running, "u7", "");
  EXPECT_EQ(plan.applied.size(), 2u) << "the scenario experiment is out of scope";
}

TEST(PlanServing, NothingRunningOrNoUserIsAnEmptyPlan) {
  EXPECT_TRUE(PlanServing({}, "u1", "home_feed").empty());
  const std::vector<ExperimentRecord> running = {Running("exp1", "home", {kRunA, kRunB})};
  EXPECT_TRUE(PlanServing(running, "", "").empty());
  std::vector<ExperimentRecord> stopped = running;
  stopped[0].status = std::string(kStopped);
  EXPECT_TRUE(PlanServing(stopped, "u1", "").empty());
}

}  // namespace
}  // namespace reco::experiment
