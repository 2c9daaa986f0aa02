#include "content/ann_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace reco::content {
namespace {

// n unit-length Gaussian vectors of dimension d, seeded: row-major n × d.
std::vector<float> RandomVectors(size_t n, size_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> out(n * d);
  for (float& v : out) v = g(rng);
  return out;
}

std::vector<uint32_t> Labels(size_t n, uint32_t first = 0) {
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = first + static_cast<uint32_t>(i);
  return out;
}

TEST(AnnIndex, RecallAt10AgainstExactSearchOnSyntheticVectors) {
  constexpr size_t kN = 5000, kD = 32, kQueries = 200;
  AnnIndex index(kD, {.m = 16, .ef_construction = 200, .ef_search = 64});
  const std::vector<float> data = RandomVectors(kN, kD, 1);
  ASSERT_TRUE(index.AddBatch(Labels(kN), data, 2).ok());
  ASSERT_EQ(index.size(), kN);
  const std::vector<float> queries = RandomVectors(kQueries, kD, 2);
  size_t hits = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    std::span<const float> query(queries.data() + q * kD, kD);
    std::vector<float> unit(query.begin(), query.end());
    float norm = 0;
    for (float v : unit) norm += v * v;
    for (float& v : unit) v /= std::sqrt(norm);
    const std::vector<AnnHit> exact = index.ExactSearch(unit, 10);
    const std::vector<AnnHit> approx = index.Search(unit, 10);
    ASSERT_EQ(exact.size(), 10u);
    ASSERT_EQ(approx.size(), 10u);
    std::set<uint32_t> truth;
    for (const AnnHit& h : exact) truth.insert(h.label);
    for (const AnnHit& h : approx) hits += truth.count(h.label);
  }
  const double recall = static_cast<double>(hits) / (kQueries * 10);
  EXPECT_GE(recall, 0.95);
}

TEST(AnnIndex, FiltersByOverFetchingAndNeverReturnsRejectedLabels) {
  constexpr size_t kN = 2000, kD = 16;
  AnnIndex index(kD);
  ASSERT_TRUE(index.AddBatch(Labels(kN), RandomVectors(kN, kD, 3), 1).ok());
  const std::vector<float> q = *index.Vector(7);
  // Only one label in 100 is accepted: the search must widen until it has 10.
  auto accept = [](uint32_t label) { return label % 100 == 0; };
  const std::vector<AnnHit> hits = index.Search(q, 10, accept);
  ASSERT_EQ(hits.size(), 10u);
  for (const AnnHit& h : hits) EXPECT_EQ(h.label % 100, 0u) << h.label;
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  // A filter nothing passes gives nothing, after scanning everything.
  EXPECT_TRUE(index.Search(q, 10, [](uint32_t) { return false; }).empty());
}

TEST(AnnIndex, UpsertReplacesAndRemoveHidesWithoutRebuilding) {
  AnnIndex index(3);
  ASSERT_TRUE(index.Upsert(1, std::vector<float>{1, 0, 0}).ok());
  ASSERT_TRUE(index.Upsert(2, std::vector<float>{0, 1, 0}).ok());
  ASSERT_TRUE(index.Upsert(3, std::vector<float>{0, 0, 2}).ok());  // normalised
  EXPECT_NEAR((*index.Vector(3))[2], 1.0f, 1e-6f);
  std::vector<AnnHit> hits = index.Search(std::vector<float>{1, 0.1f, 0}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, 1u);
  // Item 2 changes: now it points where 1 does, a little closer to the query.
  ASSERT_TRUE(index.Upsert(2, std::vector<float>{1, 0.1f, 0}).ok());
  hits = index.Search(std::vector<float>{1, 0.1f, 0}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, 2u);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5f);
  EXPECT_TRUE(index.Remove(2));
  EXPECT_FALSE(index.Remove(2));
  EXPECT_FALSE(index.Contains(2));
  EXPECT_EQ(index.size(), 2u);
  hits = index.Search(std::vector<float>{1, 0.1f, 0}, 3);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].label, 1u);
  // Re-added after removal: found again.
  ASSERT_TRUE(index.Upsert(2, std::vector<float>{0, 1, 0}).ok());
  EXPECT_EQ(index.Search(std::vector<float>{0, 1, 0}, 1).at(0).label, 2u);
}

TEST(AnnIndex, GrowsPastItsInitialCapacityOneAddAtATime) {
  constexpr size_t kN = 3000, kD = 8;
  AnnIndex index(kD);
  const std::vector<float> data = RandomVectors(kN, kD, 5);
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_TRUE(index.Upsert(static_cast<uint32_t>(i), {data.data() + i * kD, kD}).ok()) << i;
  }
  EXPECT_EQ(index.size(), kN);
  const std::vector<float> q = *index.Vector(2999);
  EXPECT_EQ(index.Search(q, 1).at(0).label, 2999u);
}

TEST(AnnIndex, RejectsBadVectorsAndDuplicateBatchLabels) {
  AnnIndex index(2);
  EXPECT_EQ(index.Upsert(1, std::vector<float>{1, 2, 3}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index.Upsert(1, std::vector<float>{0, 0}).code(), StatusCode::kInvalidArgument);
  const std::vector<uint32_t> labels = {4, 4};
  EXPECT_FALSE(index.AddBatch(labels, std::vector<float>{1, 0, 0, 1}).ok());
  EXPECT_EQ(index.size(), 0u);
  ASSERT_TRUE(index.Upsert(9, std::vector<float>{1, 0}).ok());
  const std::vector<uint32_t> again = {9};
  EXPECT_FALSE(index.AddBatch(again, std::vector<float>{1, 0}).ok());
  EXPECT_EQ(index.size(), 1u);
}

TEST(AnnIndex, ASavedGraphLoadsWithNewLabelsAndDropsWhatIsGone) {
  const size_t n = 600, d = 16;
  const std::vector<float> data = RandomVectors(n, d, 11);
  AnnIndex index(d);
  ASSERT_TRUE(index.AddBatch(Labels(n), data, 2).ok());
  ASSERT_TRUE(index.Remove(7));
  Result<std::string> bytes = index.SaveGraph();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  // The serving process numbers the items differently: label l becomes l + 1000, and every
  // tenth item no longer exists.
  auto relabel = [](uint32_t l) -> std::optional<uint32_t> {
    if (l % 10 == 3) return std::nullopt;
    return l + 1000;
  };
  Result<std::unique_ptr<AnnIndex>> loaded = AnnIndex::LoadGraph(d, {}, *bytes, relabel);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  AnnIndex& copy = **loaded;
  EXPECT_EQ(copy.size(), n - 1 - n / 10);
  EXPECT_FALSE(copy.Contains(1007));  // removed before saving
  EXPECT_FALSE(copy.Contains(1003));  // dropped
  ASSERT_TRUE(copy.Contains(1005));
  const std::vector<float> five = *index.Vector(5);
  EXPECT_EQ(*copy.Vector(1005), five);

  // Same answers as the original under the new labels, and never a dropped vector.
  size_t same = 0, total = 0;
  for (uint32_t q = 0; q < 50; ++q) {
    const std::span<const float> query(data.data() + q * d, d);
    std::vector<AnnHit> before = index.Search(query, 10);
    std::vector<AnnHit> after = copy.Search(query, 10);
    ASSERT_EQ(after.size(), 10u);
    std::set<uint32_t> expected;
    for (const AnnHit& h : before) {
      if (h.label % 10 != 3) expected.insert(h.label + 1000);
    }
    for (const AnnHit& h : after) {
      EXPECT_NE(h.label % 10, 3u) << h.label;
      EXPECT_GE(h.label, 1000u);
      same += expected.count(h.label);
    }
    total += expected.size();
  }
  ASSERT_GT(total, 400u);
  EXPECT_GE(static_cast<double>(same) / total, 0.95);

  // Still incremental: it grows past what was saved.
  const std::vector<float> more = RandomVectors(50, d, 12);
  for (uint32_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(copy.Upsert(5000 + i, std::span<const float>(more.data() + i * d, d)).ok());
  }
  EXPECT_EQ(copy.Search(std::span<const float>(more.data() + 3 * d, d), 1)[0].label, 5003u);
  EXPECT_EQ(copy.size(), n - 1 - n / 10 + 50);

  // Another dimension or other bytes: DataLoss, never a half-loaded index.
  Result<std::unique_ptr<AnnIndex>> wrong = AnnIndex::LoadGraph(d * 2, {}, *bytes, relabel);
  EXPECT_EQ(wrong.status().code(), StatusCode::kDataLoss) << wrong.status().ToString();
  Result<std::unique_ptr<AnnIndex>> junk =
      AnnIndex::LoadGraph(d, {}, bytes->substr(0, bytes->size() / 3), relabel);
  EXPECT_EQ(junk.status().code(), StatusCode::kDataLoss) << junk.status().ToString();
}

TEST(AnnIndexOptions, ValidationNamesTheKey) {
  EXPECT_EQ(ValidateAnnOptions({.m = 1}).field(), "content.hnsw_m");
  EXPECT_EQ(ValidateAnnOptions({.m = 16, .ef_construction = 8}).field(),
            "content.hnsw_ef_construction");
  EXPECT_EQ(ValidateAnnOptions({.m = 16, .ef_construction = 100, .ef_search = 0}).field(),
            "content.hnsw_ef_search");
  EXPECT_TRUE(ValidateAnnOptions({}).ok());
}

}  // namespace
}  // namespace reco::content
