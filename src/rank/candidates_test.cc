#include "rank/candidates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "data/testing/synthetic_dataset.h"

namespace reco::rank {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(TopItems, SkipsHistoryZeroAndNonFiniteScoresAndBreaksTiesByIndex) {
  std::vector<float> scores = {3, 5, 0, 2, kNaN, 2, 9, -1};
  std::vector<uint32_t> history = {6};
  EXPECT_EQ(TopItems(scores, history, 4), (std::vector<uint32_t>{1, 0, 3, 5}));
  EXPECT_EQ(TopItems(scores, history, 10), (std::vector<uint32_t>{1, 0, 3, 5, 7}));
  EXPECT_TRUE(TopItems(scores, history, 0).empty());
}

// u0: i0 i1   u1: i0 i1 i2   u2: i0 i3. Popularity: i0 3, i1 2, i2 1, i3 1.
// Item-CF without shrinkage, history {i1}: i0 2/sqrt(6) = 0.8165, i2 1/sqrt(2) = 0.7071.
Dataset FourItems() {
  return testing::LikesDataset(3, 4, {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 3}});
}

TEST(GenerateCandidates, MergesSourcesKeepingEachSourcesScoreAndRank) {
  Dataset d = FourItems();
  SourceOptions o;
  o.itemcf.shrinkage = 0;
  o.itemcf.num_threads = 1;
  Result<RecallSource> itemcf = RecallSource::Fit("itemcf", d, o);
  ASSERT_TRUE(itemcf.ok()) << itemcf.status().ToString();
  RecallSource popular = RecallSource::Popular(d);
  std::vector<const RecallSource*> sources = {&popular, &*itemcf};
  std::vector<int> quotas = {2, 1};
  std::vector<uint32_t> history = {1};
  CandidateSet c = GenerateCandidates(sources, quotas, history);
  ASSERT_EQ(c.num_sources, 2u);
  // popular: i0 (3), then i2 and i3 tie at 1 -> i2. itemcf quota 1: i0.
  ASSERT_EQ(c.items, (std::vector<uint32_t>{0, 2}));
  EXPECT_FLOAT_EQ(c.scores[0], 3.0f);
  EXPECT_NEAR(c.scores[1], 0.8165f, 1e-4);
  EXPECT_FLOAT_EQ(c.scores[2], 1.0f);
  EXPECT_TRUE(std::isnan(c.scores[3]));
  EXPECT_EQ(c.ranks[0], 1.0f);
  EXPECT_EQ(c.ranks[1], 1.0f);
  EXPECT_EQ(c.ranks[2], 2.0f);
  EXPECT_TRUE(std::isnan(c.ranks[3]));
}

TEST(GenerateCandidates, ASourceReturningNothingLeavesOnlyOthersCandidates) {
  Dataset d = FourItems();
  Result<RecallSource> itemcf = RecallSource::Fit("itemcf", d, SourceOptions{});
  ASSERT_TRUE(itemcf.ok());
  std::vector<const RecallSource*> sources = {&*itemcf};
  std::vector<int> quotas = {5};
  // i3's only user also liked i0: with history {i0, i1, i2, i3} nothing is left to return.
  std::vector<uint32_t> history = {0, 1, 2, 3};
  EXPECT_EQ(GenerateCandidates(sources, quotas, history).size(), 0u);
}

TEST(RecallSource, SerializedSourcesScoreLikeTheOriginal) {
  Dataset d = testing::RandomLikesDataset(30, 20, 6, 7);
  SourceOptions o;
  o.ials.factors = 4;
  o.ials.num_threads = 1;
  o.itemcf.num_threads = 1;
  o.rp3beta.num_threads = 1;
  o.ease.num_threads = 1;
  std::vector<uint32_t> history = {1, 4, 9};
  for (const std::string& kind : KnownSourceKinds()) {
    Result<RecallSource> s = RecallSource::Fit(kind, d, o);
    ASSERT_TRUE(s.ok()) << kind << ": " << s.status().ToString();
    Result<RecallSource> back = RecallSource::Deserialize(s->Serialize());
    ASSERT_TRUE(back.ok()) << kind << ": " << back.status().ToString();
    EXPECT_EQ(back->kind(), kind);
    std::vector<float> a(20), b(20);
    s->Score(history, a);
    back->Score(history, b);
    EXPECT_EQ(a, b) << kind;
  }
  EXPECT_EQ(RecallSource::Fit("swing2", d, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RecallSource::Deserialize("junk").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace reco::rank
