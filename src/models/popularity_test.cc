#include "models/popularity.h"

#include <gtest/gtest.h>

#include "data/testing/temp_dir.h"

namespace reco {
namespace {

constexpr TimestampUs kDay = 86400 * kMicrosPerSecond;
constexpr TimestampUs kRef = 1000 * kDay;

Dataset PopularityDataset() {
  DatasetBuilder b;
  b.AddItem("a", false, 0, {"x"});
  b.AddItem("b", false, 0, {"y"});
  b.AddItem("c", /*is_hidden=*/true, 0, {"x"});
  b.AddItem("d", false, 0, {"x"});
  b.AddItem("e", false, 0, {"x", "y"});
  b.AddItem("f");
  auto like = [&](const char* user, const char* item, TimestampUs ts) {
    Feedback f;
    f.feedback_type = "like";
    f.user_id = user;
    f.item_id = item;
    f.timestamp = ts;
    b.AddFeedback(f);
  };
  like("u1", "a", kRef);
  like("u2", "a", kRef - kDay);
  like("u1", "b", kRef - 2 * kDay);
  like("u1", "c", kRef);
  like("u2", "c", kRef);
  like("u3", "c", kRef);
  like("u3", "f", kRef);
  like("u4", "e", kRef);
  return std::move(b).Build();
}

std::vector<std::pair<std::string, float>> Named(const PopularityModel& m,
                                                 std::string_view category = "") {
  std::vector<std::pair<std::string, float>> out;
  for (const ScoredItem& s : m.Top(category)) out.emplace_back(m.item_ids()[s.item], s.score);
  return out;
}

PopularityOptions DayHalfLife() {
  PopularityOptions options;
  options.half_life_days = 1.0;
  return options;
}

TEST(Popularity, DecaysByHalfLifeFromTheLatestFeedback) {
  Dataset d = PopularityDataset();
  Result<PopularityModel> m = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->reference_time(), kRef);
  auto top = Named(*m);
  ASSERT_EQ(top.size(), 4u);  // c hidden, d has no feedback
  EXPECT_EQ(top[0].first, "a");
  EXPECT_NEAR(top[0].second, 1.5, 1e-6);
  EXPECT_EQ(top[1].first, "e");  // tie with f, broken by id
  EXPECT_NEAR(top[1].second, 1.0, 1e-6);
  EXPECT_EQ(top[2].first, "f");
  EXPECT_EQ(top[3].first, "b");
  EXPECT_NEAR(top[3].second, 0.25, 1e-6);
  EXPECT_EQ(m->info().snapshot_id, d.snapshot_id());
}

TEST(Popularity, ReferenceTimeOptionOverridesTheDataset) {
  Dataset d = PopularityDataset();
  PopularityOptions options = DayHalfLife();
  options.reference_time = kRef + kDay;
  Result<PopularityModel> m = PopularityModel::Fit(d, options);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(Named(*m)[0].second, 0.75, 1e-6);  // a: 0.5 + 0.25
}

TEST(Popularity, AFutureRowWeighsLikeOneAtTrainingTimeAndAgesNothingElse) {
  DatasetBuilder b;
  for (const char* id : {"a", "b", "z"}) b.AddItem(id);
  auto like = [&](const char* user, const char* item, TimestampUs ts) {
    b.AddFeedback(Feedback{"like", user, item, 1.0, ts, ""});
  };
  like("u1", "a", kRef - kDay);
  like("u2", "a", kRef - kDay);
  like("u3", "a", kRef - kDay);
  like("u4", "b", kRef);
  like("u5", "z", ParseTimestamp("9999-12-31T00:00:00Z").value());
  Dataset d = std::move(b).Build();
  PopularityOptions options = DayHalfLife();
  options.now = kRef;  // the training time
  Result<PopularityModel> m = PopularityModel::Fit(d, options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->reference_time(), kRef);
  auto top = Named(*m);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].first, "a");
  EXPECT_NEAR(top[0].second, 1.5, 1e-6);  // 3 x 0.5
  EXPECT_EQ(top[1].first, "b");           // tie with z at 1.0, broken by id
  EXPECT_NEAR(top[1].second, 1.0, 1e-6);
  EXPECT_EQ(top[2].first, "z");
  EXPECT_NEAR(top[2].second, 1.0, 1e-6);  // counted as if liked at training time
}

TEST(Popularity, ADatasetWhoseNewestEventIsOldDecaysFromThatEvent) {
  // An evaluation dataset (MovieLens, Gowalla) trained years after its last event: measured from
  // the training time every score would underflow to 0; from the newest event they do not.
  Dataset d = PopularityDataset();
  PopularityOptions options = DayHalfLife();
  options.now = kRef + 20 * 365 * kDay;
  Result<PopularityModel> m = PopularityModel::Fit(d, options);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->reference_time(), kRef);
  Result<PopularityModel> without_now = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(without_now.ok());
  EXPECT_EQ(Named(*m), Named(*without_now));
  EXPECT_NEAR(Named(*m)[0].second, 1.5, 1e-6);
}

TEST(Popularity, KeepsPerCategoryListsAndListSize) {
  Dataset d = PopularityDataset();
  PopularityOptions options = DayHalfLife();
  options.list_size = 1;
  Result<PopularityModel> m = PopularityModel::Fit(d, options);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(Named(*m).size(), 1u);
  EXPECT_EQ(Named(*m)[0].first, "a");
  ASSERT_EQ(Named(*m, "y").size(), 1u);
  EXPECT_EQ(Named(*m, "y")[0].first, "e");
  EXPECT_TRUE(m->Top("unknown").empty());

  Result<PopularityModel> full = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(full.ok());
  auto x = Named(*full, "x");
  ASSERT_EQ(x.size(), 2u);  // a, e (c hidden, d unpopular)
  EXPECT_EQ(x[0].first, "a");
  EXPECT_EQ(x[1].first, "e");
}

TEST(Popularity, RejectsBadOptions) {
  Dataset d = PopularityDataset();
  PopularityOptions options;
  options.half_life_days = 0;
  EXPECT_EQ(PopularityModel::Fit(d, options).status().code(), StatusCode::kInvalidArgument);
  options = {};
  options.list_size = 0;
  EXPECT_EQ(PopularityModel::Fit(d, options).status().code(), StatusCode::kInvalidArgument);
}

TEST(Popularity, SaveLoadGivesIdenticalLists) {
  Dataset d = PopularityDataset();
  Result<PopularityModel> m = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("popularity");
  auto path = dir.path() / "p.rmdl";
  ASSERT_TRUE(m->Save(path, 42).ok());
  Result<PopularityModel> loaded = PopularityModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Named(*loaded), Named(*m));
  EXPECT_EQ(Named(*loaded, "x"), Named(*m, "x"));
  EXPECT_EQ(Named(*loaded, "y"), Named(*m, "y"));
  EXPECT_EQ(loaded->reference_time(), kRef);
  EXPECT_EQ(loaded->info().created, 42);
  EXPECT_EQ(loaded->info().snapshot_id, d.snapshot_id());
  EXPECT_EQ(loaded->info().file, path);
}

TEST(Popularity, LoadRejectsAnotherKind) {
  Dataset d = PopularityDataset();
  Result<PopularityModel> m = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("popularity");
  auto path = dir.path() / "p.rmdl";
  ArtifactHeader header;
  header.kind = "latest";
  ASSERT_TRUE(WriteArtifact(path, header, m->Serialize()).ok());
  Result<PopularityModel> loaded = PopularityModel::Load(path);
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
}

TEST(Popularity, TruncatedPayloadsNeverDecode) {
  Dataset d = PopularityDataset();
  Result<PopularityModel> m = PopularityModel::Fit(d, DayHalfLife());
  ASSERT_TRUE(m.ok());
  std::string payload = m->Serialize();
  for (size_t len = 0; len < payload.size(); ++len) {
    EXPECT_FALSE(PopularityModel::Deserialize(std::string_view(payload).substr(0, len)).ok());
  }
}

}  // namespace
}  // namespace reco
