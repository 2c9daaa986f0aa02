#include "rank/ranker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco::rank {
namespace {

constexpr int kUsers = 80;
constexpr int kHead = 20;  // items 0..19: liked early by everyone
constexpr int kTail = 20;  // items 20..39: each user's latest items

TimestampUs Day(int d) { return TimestampUs{d} * 86400 * kMicrosPerSecond; }

// Every user likes 10 random head items (days 1..10), then one random tail item (day 50), then
// two more tail items (days 100, 101). Head items are far more popular, yet what users like
// last are tail items: a ranker must learn to prefer the less popular, recently seen candidates.
Dataset HeadThenTail() {
  std::mt19937_64 rng(11);
  DatasetBuilder b;
  for (int i = 0; i < kHead + kTail; ++i) b.AddItem(testing::Id('i', i));
  for (int u = 0; u < kUsers; ++u) {
    const uint32_t user = b.AddUser(testing::Id('u', u));
    std::vector<uint32_t> head(kHead), tail(kTail);
    for (int i = 0; i < kHead; ++i) head[i] = static_cast<uint32_t>(i);
    for (int i = 0; i < kTail; ++i) tail[i] = static_cast<uint32_t>(kHead + i);
    for (size_t i = head.size(); i > 1; --i) std::swap(head[i - 1], head[rng() % i]);
    for (size_t i = tail.size(); i > 1; --i) std::swap(tail[i - 1], tail[rng() % i]);
    for (int k = 0; k < 10; ++k) b.AddPositive(user, head[k], Day(1 + k));
    b.AddPositive(user, tail[0], Day(50));
    b.AddPositive(user, tail[1], Day(100));
    b.AddPositive(user, tail[2], Day(101));
  }
  return std::move(b).Build();
}

RankerOptions SmallOptions(std::vector<std::string> sources) {
  RankerOptions o;
  o.sources = std::move(sources);
  o.quota = 30;
  o.rounds = 20;
  o.depth = 3;
  o.label_fraction = 2.0 / 13.0;
  o.num_threads = 1;
  o.source_options.itemcf.num_threads = 1;
  o.source_options.rp3beta.num_threads = 1;
  return o;
}

std::vector<float> ScoreUser(const RankerModel& m, const Dataset& d, uint32_t u) {
  std::vector<float> scores(m.num_items());
  Status st = m.ScoreItems(u, d.UserItems(u), scores);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return scores;
}

uint32_t Best(const std::vector<float>& scores) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return best;
}

TEST(RankerModel, LearnsToPreferWhatUsersLikeLastOverPopularity) {
  Dataset d = HeadThenTail();
  Result<RankerModel> m = RankerModel::Fit(d, SmallOptions({"popular"}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->fit_stats().groups, static_cast<size_t>(kUsers));
  int tail_first = 0;
  for (uint32_t u = 0; u < kUsers; ++u) {
    std::vector<float> scores = ScoreUser(*m, d, u);
    for (uint32_t h : d.UserItems(u)) EXPECT_EQ(scores[h], RankerModel::kNotCandidate);
    tail_first += Best(scores) >= kHead ? 1 : 0;
  }
  // Popularity alone would put a head item first for every user.
  EXPECT_GE(tail_first, kUsers * 9 / 10);
}

TEST(RankerModel, SaveLoadRoundTripScoresEqualTheOriginal) {
  Dataset d = HeadThenTail();
  Result<RankerModel> m = RankerModel::Fit(d, SmallOptions({"itemcf", "rp3beta", "popular"}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  testing::TempDir dir("ranker_test");
  const auto path = dir.path() / "ranker.model";
  ASSERT_TRUE(m->Save(path, 1234).ok());
  Result<RankerModel> back = RankerModel::Load(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->info().created, 1234);
  EXPECT_EQ(back->schema().names(), m->schema().names());
  for (uint32_t u = 0; u < kUsers; u += 7) EXPECT_EQ(ScoreUser(*back, d, u), ScoreUser(*m, d, u));

  std::string payload = m->Serialize();
  EXPECT_FALSE(RankerModel::Deserialize(payload.substr(0, payload.size() / 2)).ok());
}

TEST(RankerModel, SameSeedGivesIdenticalScores) {
  Dataset d = HeadThenTail();
  Result<RankerModel> a = RankerModel::Fit(d, SmallOptions({"itemcf", "popular"}));
  Result<RankerModel> b = RankerModel::Fit(d, SmallOptions({"itemcf", "popular"}));
  ASSERT_TRUE(a.ok() && b.ok());
  for (uint32_t u = 0; u < kUsers; u += 5) EXPECT_EQ(ScoreUser(*a, d, u), ScoreUser(*b, d, u));
}

TEST(RankerModel, ScoresWithoutTheSimilarityGroupAndForUnknownUsers) {
  Dataset d = HeadThenTail();
  // No item-CF source: the sim_recent_* features are missing everywhere.
  RankerOptions o = SmallOptions({"rp3beta", "popular"});
  o.quota = 40;  // popular returns every item that has a positive
  Result<RankerModel> m = RankerModel::Fit(d, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<float> scores(m->num_items());
  std::vector<uint32_t> history = {0, 1, 25};
  ASSERT_TRUE(m->ScoreItems(Dataset::kNoIndex, history, scores).ok());
  int candidates = 0;
  for (float s : scores) candidates += s > RankerModel::kNotCandidate ? 1 : 0;
  EXPECT_EQ(candidates, kHead + kTail - 3);
  EXPECT_EQ(scores[25], RankerModel::kNotCandidate);
  // An empty history still gets the popular candidates.
  ASSERT_TRUE(m->ScoreItems(0, {}, scores).ok());
  EXPECT_GT(scores[0], RankerModel::kNotCandidate);
}

TEST(RankerModel, RejectsBadOptionsNamingThem) {
  RankerOptions o;
  o.sources = {"itemcf", "nope"};
  EXPECT_NE(CheckRankerOptions(o).message().find("nope"), std::string::npos);
  o.sources = {"itemcf", "itemcf"};
  EXPECT_NE(CheckRankerOptions(o).message().find("twice"), std::string::npos);
  o = RankerOptions{};
  o.quotas = {10};
  EXPECT_NE(CheckRankerOptions(o).message().find("ranker.quota"), std::string::npos);
  o = RankerOptions{};
  o.label_fraction = 1.0;
  EXPECT_NE(CheckRankerOptions(o).message().find("label_fraction"), std::string::npos);
  o = RankerOptions{};
  o.eta = 0;
  EXPECT_EQ(RankerModel::Fit(HeadThenTail(), o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::rank
