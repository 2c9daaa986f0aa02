// The ranker's content features: hand-checked values, missing values as NaN (never 0), the same
// feature names with and without item content, and rankers trained with content serving items
// without it and the reverse.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "rank/features.h"
#include "rank/ranker.h"

namespace reco::rank {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

size_t Col(const FeatureSchema& schema, const std::string& name) {
  for (size_t i = 0; i < schema.size(); ++i) {
    if (schema.names()[i] == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

// Four items: i0 = (1, 0), i1 = (0.6, 0.8), i2 = (0, 1), i3 without a vector. Words (ids with
// idf 1, 2, 3, 4): i0 {0, 1}, i1 {1, 2}, i2 none, i3 {3}.
ItemContent FourItems() {
  ItemContent c;
  c.dimension = 2;
  c.vectors = {1, 0, 0.6f, 0.8f, 0, 1, 0, 0};
  c.has_vector = {1, 1, 1, 0};
  c.word_offsets = {0, 2, 4, 4, 5};
  c.words = {0, 1, 1, 2, 3};
  c.word_idf = {1, 2, 3, 4};
  return c;
}

CandidateSet Candidates(std::vector<uint32_t> items) {
  CandidateSet c;
  c.num_sources = 1;
  c.items = items;
  c.scores.assign(items.size(), 1.0f);
  c.ranks.assign(items.size(), 1.0f);
  return c;
}

TEST(ContentFeatures, HandCheckedValuesAndMissingValues) {
  const ItemContent content = FourItems();
  FeatureSchema schema({"itemcf"});
  std::vector<uint32_t> history = {0, 2};
  std::vector<uint32_t> recent = {2, 0};
  FeatureInputs inputs;
  inputs.content = &content;
  std::vector<float> f =
      ComputeFeatures(schema, Candidates({1, 3}), UserContext{history, recent}, inputs);
  ASSERT_EQ(f.size(), 2 * schema.size());
  const float* i1 = f.data();
  const float* i3 = f.data() + schema.size();
  // cos(i1, i2) = 0.8, cos(i1, i0) = 0.6.
  EXPECT_NEAR(i1[Col(schema, "content_sim_recent_max")], 0.8f, 1e-6);
  EXPECT_NEAR(i1[Col(schema, "content_sim_recent_mean")], 0.7f, 1e-6);
  // i1's words {1, 2} (idf 2 + 3); the recent items have word 1.
  EXPECT_NEAR(i1[Col(schema, "text_match")], 2.0f / 5.0f, 1e-6);
  // i3 has no vector: missing, not 0. Its word 3 is in no recent item: a real 0.
  EXPECT_TRUE(std::isnan(i3[Col(schema, "content_sim_recent_max")]));
  EXPECT_TRUE(std::isnan(i3[Col(schema, "content_sim_recent_mean")]));
  EXPECT_FLOAT_EQ(i3[Col(schema, "text_match")], 0.0f);

  // No recent items, or recent items without vector or words: missing.
  std::vector<uint32_t> wordless = {2};
  for (const std::vector<uint32_t>& r : {std::vector<uint32_t>{}, wordless}) {
    std::vector<float> g =
        ComputeFeatures(schema, Candidates({1}), UserContext{history, r}, inputs);
    EXPECT_TRUE(std::isnan(g[Col(schema, "text_match")])) << r.size();
    EXPECT_EQ(std::isnan(g[Col(schema, "content_sim_recent_max")]), r.empty()) << r.size();
  }
  // No content at all: every content column is missing.
  std::vector<float> h =
      ComputeFeatures(schema, Candidates({1}), UserContext{history, recent}, FeatureInputs{});
  for (const char* name : {"content_sim_recent_max", "content_sim_recent_mean", "text_match"}) {
    EXPECT_TRUE(std::isnan(h[Col(schema, name)])) << name;
  }
}

TEST(ItemContent, WritesAndReadsBack) {
  const ItemContent c = FourItems();
  BinaryWriter w;
  c.Write(w);
  BinaryReader r(w.data());
  Result<ItemContent> back = ItemContent::Read(r);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(r.ExpectEnd().ok());
  EXPECT_EQ(back->has_vector, c.has_vector);
  EXPECT_EQ(back->Vector(1).size(), 2u);
  EXPECT_FLOAT_EQ(back->Vector(1)[1], 0.8f);
  EXPECT_TRUE(back->Vector(3).empty());
  EXPECT_EQ(back->words, c.words);
  EXPECT_EQ(back->word_idf, c.word_idf);
}

constexpr int kUsers = 60;
constexpr int kItems = 30;

TimestampUs Day(int d) { return TimestampUs{d} * 86400 * kMicrosPerSecond; }

// Two tastes: even users like even items, odd users odd items, in random order over time.
Dataset TwoTastes() {
  std::mt19937_64 rng(5);
  DatasetBuilder b;
  for (int i = 0; i < kItems; ++i) b.AddItem(testing::Id('i', i));
  for (int u = 0; u < kUsers; ++u) {
    const uint32_t user = b.AddUser(testing::Id('u', u));
    std::vector<uint32_t> mine;
    for (int i = u % 2; i < kItems; i += 2) mine.push_back(static_cast<uint32_t>(i));
    for (size_t i = mine.size(); i > 1; --i) std::swap(mine[i - 1], mine[rng() % i]);
    for (int k = 0; k < 8; ++k) b.AddPositive(user, mine[k], Day(1 + k));
  }
  return std::move(b).Build();
}

// Vectors that tell the tastes apart for the items below `with_vectors`; no words.
std::shared_ptr<const ItemContent> TasteVectors(int with_vectors) {
  auto c = std::make_shared<ItemContent>();
  c->dimension = 2;
  c->vectors.assign(kItems * 2, 0.0f);
  c->has_vector.assign(kItems, 0);
  for (int i = 0; i < with_vectors; ++i) {
    c->vectors[i * 2 + (i % 2)] = 1.0f;
    c->has_vector[i] = 1;
  }
  c->word_offsets.assign(kItems + 1, 0);
  return c;
}

RankerOptions Small() {
  RankerOptions o;
  o.sources = {"popular", "itemcf"};
  o.quota = 20;
  o.rounds = 10;
  o.depth = 3;
  o.label_fraction = 0.25;
  o.num_threads = 1;
  o.source_options.itemcf.num_threads = 1;
  return o;
}

// Scores every user; each must have scored candidates, all finite.
void ExpectScoresEveryone(const RankerModel& m, const Dataset& d) {
  std::vector<float> scores(m.num_items());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    ASSERT_TRUE(m.ScoreItems(u, d.UserItems(u), scores).ok());
    size_t candidates = 0;
    for (float s : scores) {
      if (s == RankerModel::kNotCandidate) continue;
      ++candidates;
      ASSERT_TRUE(std::isfinite(s)) << "user " << u;
    }
    ASSERT_GT(candidates, 0u) << "user " << u;
  }
}

TEST(RankerContent, TrainedWithContentServesItemsWithoutVectorsAndTheReverse) {
  const Dataset d = TwoTastes();
  RankerOptions with = Small();
  with.content = TasteVectors(kItems / 2);  // half the items have no vector
  Result<RankerModel> a = RankerModel::Fit(d, with);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Result<RankerModel> b = RankerModel::Fit(d, Small());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  // The same feature names whether the training had content or not.
  EXPECT_EQ(a->schema().names(), b->schema().names());
  EXPECT_EQ(b->content(), nullptr);
  ExpectScoresEveryone(*a, d);
  ExpectScoresEveryone(*b, d);

  // Trained with vectors, served without any: every content column is missing.
  RankerModel& trained_with = *a;
  ASSERT_TRUE(trained_with.SetContent(nullptr).ok());
  ExpectScoresEveryone(trained_with, d);
  // Trained without vectors, served with them for every item.
  RankerModel& trained_without = *b;
  ASSERT_TRUE(trained_without.SetContent(TasteVectors(kItems)).ok());
  ExpectScoresEveryone(trained_without, d);
  const CandidateSet c = trained_without.Candidates(d.UserItems(0));
  ASSERT_GT(c.size(), 0u);
  const std::vector<float> f = trained_without.Features(0, d.UserItems(0), c);
  EXPECT_FALSE(std::isnan(f[Col(trained_without.schema(), "content_sim_recent_max")]));
  // Content of another catalogue is refused.
  auto wrong = std::make_shared<ItemContent>(FourItems());
  EXPECT_EQ(trained_without.SetContent(wrong).code(), StatusCode::kInvalidArgument);
}

TEST(RankerContent, ContentTravelsWithTheModelFile) {
  const Dataset d = TwoTastes();
  RankerOptions with = Small();
  with.content = TasteVectors(kItems);
  Result<RankerModel> m = RankerModel::Fit(d, with);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Result<RankerModel> back = RankerModel::Deserialize(m->Serialize());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_NE(back->content(), nullptr);
  EXPECT_EQ(back->content()->has_vector, with.content->has_vector);
  EXPECT_EQ(back->schema().names(), m->schema().names());
  std::vector<float> s1(m->num_items()), s2(m->num_items());
  ASSERT_TRUE(m->ScoreItems(3, d.UserItems(3), s1).ok());
  ASSERT_TRUE(back->ScoreItems(3, d.UserItems(3), s2).ok());
  EXPECT_EQ(s1, s2);
  // Content that does not cover the data is refused before fitting.
  with.content = std::make_shared<ItemContent>(FourItems());
  EXPECT_EQ(RankerModel::Fit(d, with).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::rank
