#include "scheduler/default_jobs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "data/testing/shop_store.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "models/user_recs.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "training/trainer.h"
#include "training/training_run.h"

namespace reco {
namespace {

testing::FakeStore Store() {
  return testing::ShopStore({.items = 6,
                             .users = 8,
                             .likes_cycle = 5,
                             .item_prefix = "i",
                             .user_prefix = "u",
                             .list_users = false,
                             .timed_items = false,
                             .feedback_seconds_per_user = 0});
}

// `next` has as many files as `prev` and shares every one of them but those of kind `replaced`.
void ExpectSharesAllFilesBut(const registry::ModelVersion& next, const registry::ModelVersion& prev,
                             std::string_view replaced) {
  ASSERT_EQ(next.artifacts.size(), prev.artifacts.size());
  for (const auto& a : next.artifacts) {
    bool shared = false;
    for (const auto& b : prev.artifacts) shared = shared || a.path == b.path;
    EXPECT_EQ(shared, a.kind != replaced) << a.path;
  }
}

Status RunJob(const JobCatalog& catalog, std::string_view name) {
  JobContext context(1, std::string(name), 1, 0, std::make_shared<std::atomic<bool>>(false));
  return catalog.at(std::string(name))(context);
}

// A production version trained and promoted in `data_dir`; its run id.
std::string TrainProduction(testing::FakeStore& store, const RecoConfig& config,
                            const std::filesystem::path& data_dir, const Clock& clock) {
  Result<training::TrainedVersion> trained =
      training::TrainAndRegister(store, config, data_dir, clock);
  EXPECT_TRUE(trained.ok()) << trained.status().ToString();
  if (!trained.ok()) return "";
  registry::ModelRegistry reg(data_dir, clock);
  EXPECT_TRUE(reg.Promote(trained->run.run_id, "production").ok());
  return trained->run.run_id;
}

TEST(DefaultJobs, ItemVectorsPublishesANewProductionVersionWithTheRegistry) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  const std::string trained = TrainProduction(store, config, dir.path(), clock);
  ASSERT_FALSE(trained.empty());
  registry::ModelRegistry reg(dir.path(), clock);

  clock.Advance(60 * kMicrosPerSecond);
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  ASSERT_TRUE(RunJob(catalog, kJobItemVectors).ok());
  Result<registry::ModelVersion> production = reg.Resolve("production");
  ASSERT_TRUE(production.ok());
  EXPECT_NE(production->run_id, trained);
  Result<registry::ModelVersion> previous = reg.Resolve("previous");
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ(previous->run_id, trained);
  // Same popularity and latest files, a new item-CF file; all verify.
  ASSERT_NO_FATAL_FAILURE(ExpectSharesAllFilesBut(*production, *previous, "itemcf"));
  EXPECT_TRUE(reg.VerifyArtifacts(*production).ok());
}

TEST(DefaultJobs, CacheCleanupNeverDeletesFilesOfRegisteredVersions) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  ASSERT_FALSE(TrainProduction(store, config, dir.path(), clock).empty());
  registry::ModelRegistry reg(dir.path(), clock);
  // Five unregistered trainings afterwards: plain per-kind retention would drop the first run.
  for (int k = 0; k < 5; ++k) {
    clock.Advance(kMicrosPerSecond);
    training::TrainOptions keep_all;
    keep_all.keep_files = 100;
    ASSERT_TRUE(training::TrainModels(store, config, dir.path() / "models", clock, keep_all).ok());
  }
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  ASSERT_TRUE(RunJob(catalog, kJobCacheCleanup).ok());
  EXPECT_TRUE(reg.VerifyArtifacts(*reg.Resolve("production")).ok());
  Result<std::vector<ModelFile>> files = ListModelFiles(dir.path() / "models");
  ASSERT_TRUE(files.ok());
  // 3 files of the production version + the newest 3 unregistered per kind (3 kinds).
  EXPECT_EQ(files->size(), 3u + 9u);
}

const registry::RunArtifact* FindKind(const registry::ModelVersion& version,
                                      std::string_view kind) {
  for (const auto& a : version.artifacts) {
    if (a.kind == kind) return &a;
  }
  return nullptr;
}

TEST(DefaultJobs, PrecomputeWritesTheTunedAlgorithmsListsAndPublishesThem) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  const std::string trained = TrainProduction(store, config, dir.path(), clock);
  ASSERT_FALSE(trained.empty());
  std::ofstream(dir.path() / "tuned.toml") << "[algorithm]\nname = \"popular\"\n[settings]\n";
  config.recommend.model_config = "tuned.toml";
  config.recommend.recs_per_user = 3;

  clock.Advance(60 * kMicrosPerSecond);
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  Status status = RunJob(catalog, kJobPrecompute);
  ASSERT_TRUE(status.ok()) << status.ToString();
  registry::ModelRegistry reg(dir.path(), clock);
  Result<registry::ModelVersion> first = reg.Resolve("production");
  ASSERT_TRUE(first.ok());
  EXPECT_NE(first->run_id, trained);
  EXPECT_EQ(reg.Resolve("previous")->run_id, trained);
  // The trained version had no recs file: popularity, latest and item-CF shared, recs added.
  const registry::RunArtifact* recs_artifact = FindKind(*first, "recs");
  ASSERT_NE(recs_artifact, nullptr);
  EXPECT_EQ(recs_artifact->path, "models/" + ModelFileName("recs", clock.NowMicros()));
  EXPECT_EQ(first->artifacts.size(), reg.Resolve("previous")->artifacts.size() + 1);
  EXPECT_TRUE(reg.VerifyArtifacts(*first).ok());
  Result<registry::RunRecord> run = registry::RunTracker(dir.path(), clock).Get(first->run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->params.at("eval.algo"), "popular");
  EXPECT_EQ(run->params.at("precompute.based_on"), trained);

  // Popularity i0:8 i1:6 i2:4 i3:2 i4:1; u0 liked i0 only, so its 3 items are i1, i2, i3.
  Result<UserRecsModel> recs = UserRecsModel::Load(reg.ArtifactPath(*recs_artifact));
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  EXPECT_EQ(recs->algorithm(), "popular");
  EXPECT_EQ(recs->num_users(), 8u);
  uint32_t u0 = 0;
  while (u0 < recs->num_users() && recs->user_ids()[u0] != "u0") ++u0;
  ASSERT_LT(u0, recs->num_users());
  std::vector<std::string> items;
  for (uint32_t i : recs->Items(u0)) items.push_back(recs->item_ids()[i]);
  EXPECT_EQ(items, (std::vector<std::string>{"i1", "i2", "i3"}));

  // A second run replaces the recs file and shares every other file.
  clock.Advance(4 * 3600 * kMicrosPerSecond);
  ASSERT_TRUE(RunJob(catalog, kJobPrecompute).ok());
  Result<registry::ModelVersion> second = reg.Resolve("production");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(reg.Resolve("previous")->run_id, first->run_id);
  ASSERT_NO_FATAL_FAILURE(ExpectSharesAllFilesBut(*second, *first, "recs"));
  EXPECT_TRUE(reg.VerifyArtifacts(*second).ok());
}

TEST(DefaultJobs, PrecomputeWithoutAModelConfigFailsNamingTheKey) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  Status status = RunJob(catalog, kJobPrecompute);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "precompute needs recommend.model_config (a CONFIG.toml from reco tune)");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "models"));
}

TEST(DefaultJobs, PrecomputeWithAMissingModelConfigFileNamesTheKey) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  config.recommend.model_config = "missing.toml";
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  Status status = RunJob(catalog, kJobPrecompute);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("recommend.model_config"), std::string::npos)
      << status.ToString();
  EXPECT_NE(status.message().find("missing.toml"), std::string::npos) << status.ToString();
}

TEST(DefaultJobs, PrecomputeStopsWhenCancelled) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  std::ofstream(dir.path() / "tuned.toml") << "[algorithm]\nname = \"popular\"\n[settings]\n";
  config.recommend.model_config = "tuned.toml";
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  JobContext context(1, std::string(kJobPrecompute), 1, 0,
                     std::make_shared<std::atomic<bool>>(true));
  Status status = catalog.at(std::string(kJobPrecompute))(context);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "models"));
}

}  // namespace
}  // namespace reco
