#include "rank/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace reco::rank {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TimestampUs Day(int d) { return TimestampUs{d} * 86400 * kMicrosPerSecond; }

// i0 {A}, i1 {A, B}, i2 {B}, i3 no category.
// u0: i0@day1 i1@day3   u1: i0@day2 i2@day5   u2: i3@day10.
Dataset Catalogue() {
  DatasetBuilder b;
  b.AddItem("i0", false, 0, {"A"});
  b.AddItem("i1", false, 0, {"A", "B"});
  b.AddItem("i2", false, 0, {"B"});
  b.AddItem("i3");
  for (const char* u : {"u0", "u1", "u2"}) b.AddUser(u);
  b.AddPositive(0, 0, Day(1));
  b.AddPositive(0, 1, Day(3));
  b.AddPositive(1, 0, Day(2));
  b.AddPositive(1, 2, Day(5));
  b.AddPositive(2, 3, Day(10));
  return std::move(b).Build();
}

// Candidates i1 (returned by the one source: score 0.5, rank 1) and i3 (by none).
CandidateSet TwoCandidates() {
  CandidateSet c;
  c.num_sources = 1;
  c.items = {1, 3};
  c.scores = {0.5f, kNaN};
  c.ranks = {1.0f, kNaN};
  return c;
}

size_t Col(const FeatureSchema& schema, const std::string& name) {
  for (size_t i = 0; i < schema.size(); ++i) {
    if (schema.names()[i] == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TEST(FeatureSchema, NamesPerSourceThenCommonFeatures) {
  FeatureSchema schema({"itemcf", "popular"});
  EXPECT_EQ(schema.names(),
            (std::vector<std::string>{"itemcf_score", "itemcf_rank", "popular_score",
                                      "popular_rank", "num_sources", "item_popularity",
                                      "item_age_days", "item_last_seen_days", "user_activity",
                                      "category_match", "sim_recent_max", "sim_recent_mean",
                                      "content_sim_recent_max", "content_sim_recent_mean",
                                      "text_match"}));
  // The columns of version 1 ranker payloads, which had no content features.
  FeatureSchema v1({"itemcf"}, /*content_features=*/false);
  EXPECT_EQ(v1.size(), 2u + 8u);
  EXPECT_EQ(v1.names().back(), "sim_recent_mean");
}

TEST(ItemStats, TakesPopularityAndTimesAtTheCut) {
  ItemStats s = ItemStats::FromDataset(Catalogue());
  EXPECT_EQ(s.cut_time, Day(10));
  EXPECT_EQ(s.popularity, (std::vector<float>{2, 1, 1, 1}));
  EXPECT_EQ(s.first_time, (std::vector<TimestampUs>{Day(1), Day(3), Day(5), Day(10)}));
  EXPECT_EQ(s.last_time, (std::vector<TimestampUs>{Day(2), Day(3), Day(5), Day(10)}));
  EXPECT_EQ(s.num_categories, 2u);
  EXPECT_EQ(s.Categories(1).size(), 2u);
  EXPECT_TRUE(s.Categories(3).empty());

  BinaryWriter w;
  s.Write(w);
  BinaryReader r(w.data());
  Result<ItemStats> back = ItemStats::Read(r);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->first_time, s.first_time);
  EXPECT_EQ(back->categories, s.categories);
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(ComputeFeatures, HandCheckedValues) {
  Dataset d = Catalogue();
  ItemStats items = ItemStats::FromDataset(d);
  ItemCfOptions o;
  o.shrinkage = 0;
  o.num_threads = 1;
  Result<ItemCfModel> sim = ItemCfModel::Fit(d, o);
  ASSERT_TRUE(sim.ok());
  FeatureSchema schema({"itemcf"});
  std::vector<uint32_t> history = {0, 2};
  std::vector<uint32_t> recent = {2, 0};
  std::vector<float> f = ComputeFeatures(schema, TwoCandidates(), UserContext{history, recent},
                                         FeatureInputs{&items, &*sim});
  ASSERT_EQ(f.size(), 2 * schema.size());
  const float* i1 = f.data();
  const float* i3 = f.data() + schema.size();
  EXPECT_FLOAT_EQ(i1[Col(schema, "itemcf_score")], 0.5f);
  EXPECT_FLOAT_EQ(i1[Col(schema, "itemcf_rank")], 1.0f);
  EXPECT_FLOAT_EQ(i1[Col(schema, "num_sources")], 1.0f);
  EXPECT_NEAR(i1[Col(schema, "item_popularity")], std::log(2.0f), 1e-6);
  EXPECT_FLOAT_EQ(i1[Col(schema, "item_age_days")], 7.0f);
  EXPECT_FLOAT_EQ(i1[Col(schema, "item_last_seen_days")], 7.0f);
  EXPECT_NEAR(i1[Col(schema, "user_activity")], std::log(3.0f), 1e-6);
  // History: half A (i0), half B (i2); i1 is A and B.
  EXPECT_FLOAT_EQ(i1[Col(schema, "category_match")], 0.5f);
  // sim(i0, i1) = 1 / sqrt(2 * 1); i2 and i1 share no user.
  EXPECT_NEAR(i1[Col(schema, "sim_recent_max")], 0.70711f, 1e-5);
  EXPECT_NEAR(i1[Col(schema, "sim_recent_mean")], 0.35355f, 1e-5);

  EXPECT_TRUE(std::isnan(i3[Col(schema, "itemcf_score")]));
  EXPECT_TRUE(std::isnan(i3[Col(schema, "itemcf_rank")]));
  EXPECT_FLOAT_EQ(i3[Col(schema, "num_sources")], 0.0f);
  EXPECT_FLOAT_EQ(i3[Col(schema, "item_age_days")], 0.0f);
  EXPECT_TRUE(std::isnan(i3[Col(schema, "category_match")]));
  EXPECT_FLOAT_EQ(i3[Col(schema, "sim_recent_max")], 0.0f);
}

TEST(ComputeFeatures, AbsentOptionalGroupsAreMissingValuesNotErrors) {
  FeatureSchema schema({"itemcf"});
  std::vector<uint32_t> history = {0, 2};
  std::vector<float> f =
      ComputeFeatures(schema, TwoCandidates(), UserContext{history, {}}, FeatureInputs{});
  ASSERT_EQ(f.size(), 2 * schema.size());
  for (const char* name : {"item_popularity", "item_age_days", "item_last_seen_days",
                           "category_match", "sim_recent_max", "sim_recent_mean"}) {
    EXPECT_TRUE(std::isnan(f[Col(schema, name)])) << name;
  }
  EXPECT_FLOAT_EQ(f[Col(schema, "itemcf_score")], 0.5f);
  EXPECT_NEAR(f[Col(schema, "user_activity")], std::log(3.0f), 1e-6);

  // A dataset without times: ages are missing, popularity is not.
  DatasetBuilder b;
  b.AddItem("i0");
  b.AddUser("u0");
  b.AddPositive(0, 0, 0);
  ItemStats untimed = ItemStats::FromDataset(std::move(b).Build());
  CandidateSet one;
  one.num_sources = 1;
  one.items = {0};
  one.scores = {1.0f};
  one.ranks = {1.0f};
  std::vector<float> g = ComputeFeatures(schema, one, UserContext{}, FeatureInputs{&untimed});
  EXPECT_TRUE(std::isnan(g[Col(schema, "item_age_days")]));
  EXPECT_TRUE(std::isnan(g[Col(schema, "category_match")]));
  EXPECT_NEAR(g[Col(schema, "item_popularity")], std::log(2.0f), 1e-6);
}

}  // namespace
}  // namespace reco::rank
