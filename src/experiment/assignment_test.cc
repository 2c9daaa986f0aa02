#include "experiment/assignment.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <string>

#include "experiment/experiment.h"
#include "experiment/stats.h"

namespace reco::experiment {
namespace {

ExperimentRecord Running(std::string id, std::string layer, double traffic, int offset,
                         std::vector<double> weights = {1, 1}) {
  ExperimentRecord e;
  e.id = std::move(id);
  e.layer = std::move(layer);
  e.status = std::string(kRunning);
  e.traffic = traffic;
  e.bucket_offset = offset;
  for (size_t i = 0; i < weights.size(); ++i) {
    e.variants.push_back(
        {"v" + std::to_string(i), weights[i], "scenario", "s" + std::to_string(i)});
  }
  e.click_types = {"click"};
  return e;
}

std::string User(int i) { return "user-" + std::to_string(i); }

TEST(Hash, IsFixedAcrossProcessesAndBuilds) {
  // Golden values: changing the hash would move every user of every running experiment.
  EXPECT_EQ(Hash64("layer:home", "u1"), 15044023014448117902ull);
  EXPECT_EQ(Hash64("layer:home", "alice"), 11852512659315623298ull);
  EXPECT_EQ(Hash64("experiment:exp1", "u1"), 5943744529459914631ull);
  EXPECT_EQ(Bucket("layer:home", "u1"), 7902);
  EXPECT_EQ(Bucket("", ""), 506);
  // The separator keeps (salt, key) pairs apart.
  EXPECT_NE(Hash64("ab", "c"), Hash64("a", "bc"));
}

TEST(Hash, BucketsAreUniform) {
  constexpr int kUsers = 200000, kCells = 20;
  std::array<int64_t, kCells> counts{};
  for (int i = 0; i < kUsers; ++i) ++counts[Bucket(LayerSalt("home"), User(i)) * kCells / kBuckets];
  std::vector<double> weights(kCells, 1.0);
  SampleRatio fit = SampleRatioTest(counts, weights, 0.001);
  EXPECT_GT(fit.p_value, 0.001) << "chi-square " << fit.chi_square;
}

TEST(Assign, IsStickyAndOneVariantPerExperiment) {
  std::vector<ExperimentRecord> exps = {Running("exp1", "home", 1.0, 0)};
  int in_v0 = 0;
  for (int i = 0; i < 2000; ++i) {
    auto first = Assign(exps, User(i));
    ASSERT_EQ(first.size(), 1u);
    auto again = Assign(exps, User(i));
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(first[0].variant, again[0].variant);
    EXPECT_EQ(first[0].target, first[0].variant == "v0" ? "s0" : "s1");
    in_v0 += first[0].variant == "v0";
  }
  EXPECT_NEAR(in_v0, 1000, 4 * std::sqrt(500.0));
}

TEST(Assign, WeightsSplitUsersInProportion) {
  std::vector<ExperimentRecord> exps = {Running("exp1", "home", 1.0, 0, {1, 3})};
  std::array<int64_t, 2> counts{};
  for (int i = 0; i < 40000; ++i) ++counts[Assign(exps, User(i))[0].variant == "v0" ? 0 : 1];
  const std::vector<double> w = {1, 3};
  EXPECT_GT(SampleRatioTest(counts, w, 0.001).p_value, 0.001);
}

TEST(Assign, AUserIsInAtMostOneExperimentPerLayer) {
  std::vector<ExperimentRecord> exps = {Running("a", "home", 0.3, 0),
                                        Running("b", "home", 0.5, 3000),
                                        Running("c", "detail", 1.0, 0)};
  std::map<std::string, int> per_experiment;
  for (int i = 0; i < 20000; ++i) {
    auto got = Assign(exps, User(i));
    int home = 0;
    for (const auto& a : got) {
      home += a.layer == "home";
      ++per_experiment[a.experiment_id];
    }
    EXPECT_LE(home, 1);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().layer, "detail");  // ordered by layer, and every user is in "c"
  }
  EXPECT_NEAR(per_experiment["a"], 6000, 4 * std::sqrt(20000 * 0.3 * 0.7));
  EXPECT_NEAR(per_experiment["b"], 10000, 4 * std::sqrt(20000 * 0.25));
  EXPECT_EQ(per_experiment["c"], 20000);
}

TEST(Assign, LayersAreIndependent) {
  // Two 50/50 experiments in two layers: the 2x2 table of variants has no association.
  std::vector<ExperimentRecord> exps = {Running("a", "l1", 1.0, 0), Running("b", "l2", 1.0, 0)};
  std::array<int64_t, 4> cells{};
  for (int i = 0; i < 40000; ++i) {
    auto got = Assign(exps, User(i));
    ASSERT_EQ(got.size(), 2u);
    ++cells[(got[0].variant == "v0" ? 0 : 2) + (got[1].variant == "v0" ? 0 : 1)];
  }
  const std::vector<double> even(4, 1.0);
  EXPECT_GT(SampleRatioTest(cells, even, 0.001).p_value, 0.001);
}

TEST(Assign, RampKeepsEveryoneAlreadyIn) {
  ExperimentRecord e = Running("exp1", "home", 0.1, 0);
  std::vector<ExperimentRecord> before = {e};
  e.traffic = 0.5;
  std::vector<ExperimentRecord> after = {e};
  int in_before = 0, in_after = 0;
  for (int i = 0; i < 20000; ++i) {
    auto a = Assign(before, User(i));
    auto b = Assign(after, User(i));
    in_before += !a.empty();
    in_after += !b.empty();
    if (!a.empty()) {
      ASSERT_EQ(b.size(), 1u);
      EXPECT_EQ(a[0].variant, b[0].variant);
    }
  }
  EXPECT_GT(in_before, 1500);
  EXPECT_GT(in_after, 9000);
}

TEST(Assign, SkipsExperimentsThatAreNotRunning) {
  ExperimentRecord e = Running("exp1", "home", 1.0, 0);
  e.status = std::string(kStopped);
  std::vector<ExperimentRecord> exps = {e};
  EXPECT_TRUE(Assign(exps, "u1").empty());
}

TEST(PlaceInLayer, TakesTheFirstFreeRangeAndRefusesOverlaps) {
  std::vector<ExperimentRecord> exps = {
      Running("a", "home", 0.3, 0), Running("b", "home", 0.2, 5000), Running("x", "other", 1.0, 0)};
  ExperimentRecord c = Running("c", "home", 0.2, 0);
  c.status = std::string(kDraft);
  EXPECT_EQ(PlaceInLayer(exps, c, false).value(), 3000);
  c.traffic = 0.3;
  EXPECT_EQ(PlaceInLayer(exps, c, false).value(), 7000);
  c.traffic = 0.31;
  auto full = PlaceInLayer(exps, c, false);
  EXPECT_EQ(full.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(full.status().field(), "traffic");
  // A ramp of "a" in place: up to 0.5 fits, beyond would overlap "b".
  ExperimentRecord a = exps[0];
  a.traffic = 0.5;
  EXPECT_EQ(PlaceInLayer(exps, a, true).value(), 0);
  a.traffic = 0.51;
  EXPECT_EQ(PlaceInLayer(exps, a, true).status().field(), "traffic");
}

}  // namespace
}  // namespace reco::experiment
