// The search of `reco tune` on tiny synthetic data: the search space mapping, choosing the best
// trial, the budget (an injected clock), trial limits and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "algo/algorithm_options.h"
#include "eval/eval_testing.h"
#include "tune/search_space.h"
#include "tune/tuner.h"

namespace reco::tune {
namespace {

// 120 users in 4 groups; the users of group g like 6 of the 10 items 10g..10g+9 (seeded), and
// everyone likes item 40, so that popularity alone is a poor model.
Dataset GroupedDataset() {
  std::vector<eval::testing::Interaction> pairs;
  std::mt19937_64 rng(11);
  for (int u = 0; u < 120; ++u) {
    const int g = u % 4;
    std::vector<int> items(10);
    for (int i = 0; i < 10; ++i) items[i] = 10 * g + i;
    for (int i = 9; i > 0; --i) std::swap(items[i], items[rng() % (i + 1)]);
    for (int i = 0; i < 6; ++i) pairs.push_back({u, items[i], i});
    pairs.push_back({u, 40, 7});
  }
  return eval::testing::MakeDataset(120, 41, pairs);
}

// Advances by `step_us` on every reading: each trial costs a few "seconds".
class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(int64_t step_us) : step_us_(step_us) {}
  TimestampUs NowMicros() const override { return now_.fetch_add(step_us_) + step_us_; }

 private:
  int64_t step_us_;
  mutable std::atomic<TimestampUs> now_{0};
};

TEST(SearchSpace, MapsCoordinatesToSettingText) {
  const ParamSpec neighbors{"x.n", Scale::kIntLog, 10, 1000, {}, "100"};
  EXPECT_EQ(ValueAt(neighbors, 0.0), "10");
  EXPECT_EQ(ValueAt(neighbors, 0.5), "100");
  EXPECT_EQ(ValueAt(neighbors, 1.0), "1000");
  EXPECT_DOUBLE_EQ(DefaultCoordinate(neighbors), 0.5);
  const ParamSpec beta{"x.b", Scale::kLinear, 0, 2, {}, "0.5"};
  EXPECT_EQ(ValueAt(beta, 0.25), "0.5");
  EXPECT_EQ(ValueAt(beta, 0.123456), "0.2469");  // 4 significant digits
  const ParamSpec lambda{"x.l", Scale::kLog, 1, 10000, {}, "100"};
  EXPECT_EQ(ValueAt(lambda, 0.75), "1000");
  const ParamSpec kind{"x.k", Scale::kChoice, 0, 1, {"a", "b", "c"}, "b"};
  EXPECT_EQ(ValueAt(kind, 0.0), "a");
  EXPECT_EQ(ValueAt(kind, 0.999), "c");
  EXPECT_DOUBLE_EQ(DefaultCoordinate(kind), 0.5);
}

TEST(SearchSpace, DefaultPointGivesTheDefaultsOfAcceptedKeysOnly) {
  const AlgoSpace space = SpaceFor("rp3beta");
  ASSERT_EQ(space.params.size(), 3u);
  const std::vector<eval::Setting> settings = ToSettings(space, DefaultPoint(space));
  EXPECT_EQ(settings[0], (eval::Setting{"rp3beta.alpha", "1"}));
  EXPECT_EQ(settings[1], (eval::Setting{"rp3beta.beta", "0.5"}));
  EXPECT_EQ(settings[2], (eval::Setting{"rp3beta.neighbors", "200"}));
  for (const AlgoSpace& s : SearchSpaces()) {
    for (const ParamSpec& p : SpaceFor(s.algo).params) {
      EXPECT_TRUE(algo::CheckScorerSettings(s.algo, {{p.key, p.default_value}}).ok()) << p.key;
    }
  }
  EXPECT_TRUE(SpaceFor("popular").params.empty());
}

TEST(SearchSpace, DefaultSearchLeavesOutTheNeighbourhoodModels) {
  const std::vector<std::string> names = DefaultSearchAlgorithms();
  for (const char* kept : {"popular", "ease", "ials", "gfcf"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), kept), names.end()) << kept;
  }
  for (const char* left_out : {"itemcf", "rp3beta", "swing", "blend", "ranker"}) {
    EXPECT_EQ(std::find(names.begin(), names.end(), left_out), names.end()) << left_out;
  }
  // Left out of the default search, they are still searchable by name.
  EXPECT_EQ(SpaceFor("rp3beta").params.size(), 3u);
}

TEST(Tune, ChoosesTheBestTrialAndNeverPopularityOnGroupedData) {
  FakeClock clock;  // time stands still: only max_trials ends the search
  TuneOptions options;
  options.algorithms = {"popular", "rp3beta"};
  options.max_trials = 6;
  options.metric = "ndcg@5";
  options.clock = &clock;
  Result<TuneResult> result = Tune(GroupedDataset(), options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const TuneResult& r = *result;
  int singles = 0;
  double best = -1;
  for (const TrialRecord& t : r.trials) {
    singles += t.stage != "blend";
    if (!std::isnan(t.value)) best = std::max(best, t.value);
  }
  EXPECT_EQ(singles, 6);
  EXPECT_EQ(r.trials.front().algo, "popular");
  EXPECT_EQ(r.trials.front().stage, "default");
  EXPECT_DOUBLE_EQ(r.config.validation_value, best);
  EXPECT_NE(r.config.algo, "popular");
  EXPECT_EQ(r.config.metric, "ndcg@5");
  EXPECT_EQ(r.config.trials, static_cast<int>(r.trials.size()));
  EXPECT_TRUE(algo::CheckScorerSettings(r.config.algo, r.config.settings).ok());
  // Group co-occurrence is far better than popularity.
  EXPECT_GT(r.config.validation_value, 2 * r.trials.front().value);
}

TEST(Tune, StopsStartingTrialsWhenTheBudgetIsSpent) {
  SteppingClock clock(1'000'000);  // every clock reading is one second later
  TuneOptions options;
  options.algorithms = {"rp3beta", "itemcf"};
  options.budget_seconds = 150;
  options.clock = &clock;
  Result<TuneResult> result = Tune(GroupedDataset(), options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // A trial reads the clock about 8 times (and the budget checks more), so 150 "seconds"
  // leave room for a dozen trials.
  EXPECT_GE(result->trials.size(), 6u);
  EXPECT_LE(result->trials.size(), 25u);
  EXPECT_LE(result->config.seconds, 150 + 20);  // at most one trial (and the blend) past it
  bool refined = false;
  std::string stages;
  for (const TrialRecord& t : result->trials) {
    refined |= t.stage == "refine";
    stages += t.stage + " ";
  }
  EXPECT_TRUE(refined) << stages;
  // The blend trial writes its learned weights with at most four decimals, as the config does.
  int weight_lists = 0;
  for (const TrialRecord& t : result->trials) {
    if (t.stage != "blend") continue;
    for (const eval::Setting& s : t.settings) {
      if (s.first != "blend.weights" || s.second.empty()) continue;
      ++weight_lists;
      for (const std::string& w : algo::SplitList(s.second)) {
        const size_t dot = w.find('.');
        EXPECT_TRUE(dot == std::string::npos || w.size() - dot - 1 <= 4) << s.second;
      }
    }
  }
  EXPECT_EQ(weight_lists, 1);
}

TEST(Tune, IsDeterministicGivenTheSeed) {
  auto run = [](uint64_t seed) {
    FakeClock clock;
    TuneOptions options;
    options.algorithms = {"rp3beta", "itemcf"};
    options.max_trials = 5;
    options.seed = seed;
    options.clock = &clock;
    Result<TuneResult> result = Tune(GroupedDataset(), options);
    EXPECT_TRUE(result.ok());
    std::string trace;
    for (const TrialRecord& t : result->trials) {
      trace += t.algo + ":" + std::to_string(t.value) + ";";
      for (const eval::Setting& s : t.settings) trace += s.first + "=" + s.second + ",";
    }
    return trace;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Tune, BadOptionsAreErrors) {
  TuneOptions options;
  options.metric = "ndcg";
  EXPECT_EQ(Tune(GroupedDataset(), options).status().code(), StatusCode::kInvalidArgument);
  options.metric = "ndcg@20";
  options.algorithms = {"nope"};
  EXPECT_NE(Tune(GroupedDataset(), options).status().ToString().find("nope"), std::string::npos);
}

TEST(Tune, TrialLogIsJson) {
  FakeClock clock;
  TuneOptions options;
  options.algorithms = {"popular"};
  options.clock = &clock;
  Result<TuneResult> result = Tune(GroupedDataset(), options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->trials.size(), 1u);
  const std::string json = TrialsToJson(*result);
  EXPECT_NE(json.find("\"algorithm\":\"popular\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"stage\":\"default\""), std::string::npos) << json;
}

}  // namespace
}  // namespace reco::tune
