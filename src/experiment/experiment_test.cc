#include "experiment/experiment.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace reco::experiment {
namespace {

ExperimentRecord Valid() {
  ExperimentRecord e;
  e.id = "exp1";
  e.name = "new ranker";
  e.layer = "home";
  e.traffic = 0.5;
  e.variants = {{"control", 1, "scenario", "home_feed"}, {"b", 1, "model_version", "run-7"}};
  e.click_types = {"click"};
  e.conversion_types = {"purchase"};
  return e;
}

TEST(Validate, AcceptsAValidExperiment) { EXPECT_TRUE(Validate(Valid()).ok()); }

TEST(Validate, NamesTheBadField) {
  struct Case {
    std::function<void(ExperimentRecord&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& e) { e.id = ""; }, "id"},
      {[](auto& e) { e.id = "a/b"; }, "id"},
      {[](auto& e) { e.layer = ""; }, "layer"},
      {[](auto& e) { e.status = "paused"; }, "status"},
      {[](auto& e) { e.traffic = 0; }, "traffic"},
      {[](auto& e) { e.traffic = 1.5; }, "traffic"},
      {[](auto& e) { e.variants.resize(1); }, "variants"},
      {[](auto& e) { e.variants[1].weight = 0; }, "variants[1].weight"},
      {[](auto& e) { e.variants[1].weight = -2; }, "variants[1].weight"},
      {[](auto& e) { e.variants[0].name = ""; }, "variants[0].name"},
      {[](auto& e) { e.variants[1].name = "control"; }, "variants[1].name"},
      {[](auto& e) { e.variants[1].target_kind = "model"; }, "variants[1].target_kind"},
      {[](auto& e) { e.variants[0].target = ""; }, "variants[0].target"},
      {[](auto& e) {
         e.click_types = {"click", "click"};
       },
       "click_types[1]"},
      {[](auto& e) { e.conversion_types = {""}; }, "conversion_types[0]"},
      {[](auto& e) {
         e.click_types.clear();
         e.conversion_types.clear();
       },
       "click_types"},
  };
  for (const Case& c : cases) {
    ExperimentRecord e = Valid();
    c.edit(e);
    Status st = Validate(e);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(st.field(), c.field);
    EXPECT_EQ(st.message().rfind(c.field + ":", 0), 0u) << st.message();
  }
  ExperimentRecord e = Valid();
  e.variants[1].weight = 0;
  EXPECT_EQ(Validate(e).message(), "variants[1].weight: must be > 0");
}

TEST(TrafficBuckets, RoundsAndKeepsAtLeastOne) {
  EXPECT_EQ(TrafficBuckets(1.0), kBuckets);
  EXPECT_EQ(TrafficBuckets(0.25), 2500);
  EXPECT_EQ(TrafficBuckets(1e-9), 1);
}

TEST(CheckRunningEdit, AllowsNameAndTrafficOnly) {
  ExperimentRecord current = Valid();
  ExperimentRecord next = current;
  next.name = "renamed";
  next.traffic = 1.0;
  EXPECT_TRUE(CheckRunningEdit(current, next).ok());
  next.variants[0].weight = 2;
  EXPECT_EQ(CheckRunningEdit(current, next).field(), "variants");
  next = current;
  next.layer = "other";
  EXPECT_EQ(CheckRunningEdit(current, next).code(), StatusCode::kFailedPrecondition);
  next = current;
  next.conversion_types = {"star"};
  EXPECT_EQ(CheckRunningEdit(current, next).field(), "conversion_types");
}

}  // namespace
}  // namespace reco::experiment
