#include "training/precompute.h"

#include <gtest/gtest.h>

#include "algo/scorer.h"
#include "data/testing/shop_store.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "training/trainer.h"

namespace reco::training {
namespace {

// 3 items; i0 liked by everyone, i1 by u0 and u1, i2 hidden and liked by u2.
Dataset ThreeItems() {
  DatasetBuilder b;
  b.AddItem("i0");
  b.AddItem("i1");
  b.AddItem("i2", /*is_hidden=*/true);
  for (const char* u : {"u0", "u1", "u2", "u3"}) b.AddFeedback({"like", u, "i0", 1, 0, ""});
  b.AddFeedback({"like", "u0", "i1", 1, 0, ""});
  b.AddFeedback({"like", "u1", "i1", 1, 0, ""});
  b.AddFeedback({"like", "u2", "i2", 1, 0, ""});
  return std::move(b).Build();
}

TEST(Precompute, ListsExcludeTrainingAndHiddenItemsBestFirst) {
  Dataset d = ThreeItems();
  algo::PopularityScorer popular(d);
  PrecomputeOptions options;
  options.list_size = 5;
  options.num_threads = 2;
  Result<UserRecsModel> recs = PrecomputeUserRecs(popular, d, "popular", {}, options);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  auto list = [&](const char* user) {
    std::vector<std::string> out;
    for (uint32_t i : recs->Items(d.UserIndex(user))) out.push_back(recs->item_ids()[i]);
    return out;
  };
  EXPECT_TRUE(list("u0").empty());                        // has i0, i1; i2 is hidden
  EXPECT_EQ(list("u2"), std::vector<std::string>{"i1"});  // i1 (2 likes)
  EXPECT_EQ(list("u3"), std::vector<std::string>{"i1"});  // never i2 (hidden)
  EXPECT_FLOAT_EQ(recs->Scores(d.UserIndex("u3"))[0], 2.0f);
  EXPECT_EQ(recs->algorithm(), "popular");
  EXPECT_EQ(recs->info().snapshot_id, d.snapshot_id());
}

testing::FakeStore Store() {
  return testing::ShopStore({.items = 5,
                             .users = 6,
                             .likes_cycle = 4,
                             .list_users = false,
                             .timed_items = false,
                             .feedback_seconds = 0,
                             .feedback_seconds_per_user = 0});
}

TEST(RecsTrainer, TrainWritesListsThatServingLoadsUntilARunWithoutThem) {
  testing::FakeStore store = Store();
  testing::TempDir dir("recs_trainer");
  FakeClock clock(1'700'000'000'000'000);
  TrainOptions options;
  options.recs = AlgorithmChoice{"rp3beta", {{"rp3beta.beta", "0.3"}}, "test"};
  Result<TrainReport> report = TrainModels(store, RecoConfig{}, dir.path(), clock, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->models.size(), 4u);
  EXPECT_EQ(report->models[3].kind, "recs");
  Result<ModelSet> set = LoadNewestModels(dir.path());
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(set->recs.has_value());
  EXPECT_EQ(set->recs->algorithm(), "rp3beta");
  // user0 liked item0 only: its list holds other items, never item0.
  uint32_t u0 = 0;
  while (set->recs->user_ids()[u0] != "user0") ++u0;
  ASSERT_FALSE(set->recs->Items(u0).empty());
  for (uint32_t i : set->recs->Items(u0)) EXPECT_NE(set->recs->item_ids()[i], "item0");

  // A later run without a tuned algorithm makes the old lists stale: they are not served.
  clock.Advance(kMicrosPerSecond);
  ASSERT_TRUE(TrainModels(store, RecoConfig{}, dir.path(), clock).ok());
  set = LoadNewestModels(dir.path());
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(set->recs.has_value());
}

TEST(RecsTrainer, FailingAlgorithmWritesNothing) {
  testing::FakeStore store = Store();
  testing::TempDir dir("recs_trainer");
  FakeClock clock(1);
  TrainOptions options;
  options.recs = AlgorithmChoice{"ease", {{"ease.max_memory_gib", "0.0000001"}}, "test"};
  Result<TrainReport> report = TrainModels(store, RecoConfig{}, dir.path() / "m", clock, options);
  EXPECT_EQ(report.status().code(), StatusCode::kResourceExhausted) << report.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m"));
}

}  // namespace
}  // namespace reco::training
