#include "training/trainer.h"

#include <gtest/gtest.h>

#include "content/text_embedder.h"
#include "data/testing/shop_store.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"

namespace reco::training {
namespace {

// The default shop with even/odd categories, item5 hidden and "star" feedback from every third
// user.
testing::FakeStore ShopStore() {
  testing::FakeStore store = testing::ShopStore({.star_every = 3});
  for (size_t i = 0; i < store.items.size(); ++i) {
    store.items[i].categories = {i % 2 == 0 ? "even" : "odd"};
    store.items[i].is_hidden = i == 5;
  }
  return store;
}

TEST(Trainer, TrainsWritesAndReloadsAllModels) {
  testing::FakeStore store = ShopStore();
  testing::TempDir dir("trainer");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  config.recommend.itemcf_neighbors = 3;
  Result<TrainReport> report = TrainModels(store, config, dir.path() / "models", clock);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->users, 8u);
  EXPECT_EQ(report->items, 6u);
  EXPECT_EQ(report->created, clock.NowMicros());
  // The items' categories are text enough for the built-in text embedder (on by default).
  ASSERT_EQ(report->models.size(), 4u);
  EXPECT_EQ(report->models[0].kind, "popularity");
  EXPECT_EQ(report->models[1].kind, "latest");
  EXPECT_EQ(report->models[2].kind, "itemcf");
  EXPECT_EQ(report->models[3].kind, "textvec");
  EXPECT_EQ(report->models[3].items, 6u);  // items with text
  // The text model carries the HNSW graph of its vectors, for the server to load.
  Result<content::TextEmbedder> textvec = content::TextEmbedder::Load(report->models[3].file);
  ASSERT_TRUE(textvec.ok()) << textvec.status().ToString();
  EXPECT_FALSE(textvec->graph().empty());
  EXPECT_EQ(textvec->graph_items().size(), 6u);
  EXPECT_EQ(textvec->graph_options().m, config.content.hnsw_m);
  EXPECT_EQ(report->models[1].entries, 5u);  // item5 is hidden
  for (const ModelTrainStats& stats : report->models) {
    EXPECT_TRUE(std::filesystem::exists(stats.file)) << stats.kind;
    EXPECT_EQ(stats.file.filename().string(), ModelFileName(stats.kind, clock.NowMicros()));
  }
  Result<ModelSet> set = LoadNewestModels(dir.path() / "models");
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(set->popularity && set->latest && set->itemcf);
  EXPECT_TRUE(set->rejected.empty());
  EXPECT_EQ(set->snapshot_id, report->snapshot_id);
  EXPECT_EQ(set->latest->item_ids()[set->latest->Top()[0].item], "item4");
  EXPECT_EQ(set->popularity->item_ids()[set->popularity->Top()[0].item], "item0");
  EXPECT_LE(set->itemcf->NeighborIds(0).size(), 3u);
  EXPECT_FALSE(set->itemcf->NeighborIds(0).empty());
}

TEST(Trainer, OneFeedbackRowDatedInTheFutureDoesNotPoisonPopularity) {
  testing::FakeStore store = testing::ShopStore();  // feedback at ~1000 s; item0 liked by all
  store.feedback.push_back(
      {"like", "user7", "item5", 1.0, ParseTimestamp("9999-12-31T00:00:00Z").value(), ""});
  testing::TempDir dir("trainer_future");
  FakeClock clock(2000 * kMicrosPerSecond);  // training time, shortly after the feedback
  RecoConfig config;
  config.recommend.popularity_half_life_days = 1;
  ASSERT_TRUE(TrainModels(store, config, dir.path(), clock).ok());
  Result<ModelSet> set = LoadNewestModels(dir.path());
  ASSERT_TRUE(set.ok() && set->popularity);
  const PopularityModel& popularity = *set->popularity;
  EXPECT_EQ(popularity.reference_time(), clock.NowMicros());
  std::span<const ScoredItem> top = popularity.Top();
  ASSERT_EQ(top.size(), 6u);
  EXPECT_EQ(popularity.item_ids()[top[0].item], "item0");
  EXPECT_GT(top[0].score, 7.9f);  // 8 likes about 1000 s old
  for (const ScoredItem& s : top) EXPECT_GT(s.score, 0.9f) << popularity.item_ids()[s.item];
}

TEST(Trainer, RetentionKeepsThreeRunsPerKind) {
  testing::FakeStore store = ShopStore();
  testing::TempDir dir("trainer");
  FakeClock clock(1'700'000'000'000'000);
  for (int run = 0; run < 5; ++run) {
    clock.Advance(kMicrosPerSecond);
    ASSERT_TRUE(TrainModels(store, RecoConfig{}, dir.path(), clock).ok());
  }
  Result<std::vector<ModelFile>> files = ListModelFiles(dir.path());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 12u);  // 3 per kind: popularity, latest, itemcf, textvec
}

TEST(Trainer, StoreFailureWritesNothing) {
  testing::FakeStore store = ShopStore();
  store.fail_scans = true;
  testing::TempDir dir("trainer");
  FakeClock clock(1);
  Result<TrainReport> report = TrainModels(store, RecoConfig{}, dir.path() / "models", clock);
  EXPECT_EQ(report.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "models"));
}

TEST(Trainer, BadConfigFailsBeforeWriting) {
  testing::FakeStore store = ShopStore();
  testing::TempDir dir("trainer");
  FakeClock clock(1);
  RecoConfig config;
  config.recommend.itemcf_neighbors = 0;
  Result<TrainReport> report = TrainModels(store, config, dir.path() / "models", clock);
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  Result<std::vector<ModelFile>> files = ListModelFiles(dir.path() / "models");
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

}  // namespace
}  // namespace reco::training
