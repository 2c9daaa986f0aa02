#include "scheduler/default_jobs.h"

#include <gtest/gtest.h>

#include "data/testing/fake_store.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "registry/model_registry.h"
#include "registry/training_run.h"

namespace reco {
namespace {

testing::FakeStore Store() {
  testing::FakeStore store;
  for (int i = 0; i < 6; ++i) {
    Item item;
    item.item_id = "i" + std::to_string(i);
    store.items.push_back(item);
  }
  for (int u = 0; u < 8; ++u) {
    for (int i = 0; i <= u % 5; ++i) {
      store.feedback.push_back({"like", "u" + std::to_string(u), "i" + std::to_string(i), 1,
                                1000 * kMicrosPerSecond, ""});
    }
  }
  return store;
}

Status RunJob(const JobCatalog& catalog, std::string_view name) {
  JobContext context(1, std::string(name), 1, 0, std::make_shared<std::atomic<bool>>(false));
  return catalog.at(std::string(name))(context);
}

TEST(DefaultJobs, ItemVectorsPublishesANewProductionVersionWithTheRegistry) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  Result<registry::TrainedVersion> trained =
      registry::TrainAndRegister(store, config, dir.path(), clock);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  registry::ModelRegistry reg(dir.path(), clock);
  ASSERT_TRUE(reg.Promote(trained->run.run_id, "production").ok());

  clock.Advance(60 * kMicrosPerSecond);
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  ASSERT_TRUE(RunJob(catalog, kJobItemVectors).ok());
  Result<registry::ModelVersion> production = reg.Resolve("production");
  ASSERT_TRUE(production.ok());
  EXPECT_NE(production->run_id, trained->run.run_id);
  Result<registry::ModelVersion> previous = reg.Resolve("previous");
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ(previous->run_id, trained->run.run_id);
  // Same popularity and latest files, a new item-CF file; all verify.
  ASSERT_EQ(production->artifacts.size(), previous->artifacts.size());
  for (const auto& a : production->artifacts) {
    bool shared = false;
    for (const auto& b : previous->artifacts) shared = shared || a.path == b.path;
    EXPECT_EQ(shared, a.kind != "itemcf") << a.path;
  }
  EXPECT_TRUE(reg.VerifyArtifacts(*production).ok());
}

TEST(DefaultJobs, CacheCleanupNeverDeletesFilesOfRegisteredVersions) {
  testing::FakeStore store = Store();
  testing::TempDir dir("default_jobs");
  FakeClock clock(1'700'000'000'000'000);
  RecoConfig config;
  Result<registry::TrainedVersion> first =
      registry::TrainAndRegister(store, config, dir.path(), clock);
  ASSERT_TRUE(first.ok());
  registry::ModelRegistry reg(dir.path(), clock);
  ASSERT_TRUE(reg.Promote(first->run.run_id, "production").ok());
  // Five unregistered trainings afterwards: plain per-kind retention would drop the first run.
  for (int k = 0; k < 5; ++k) {
    clock.Advance(kMicrosPerSecond);
    TrainOptions keep_all;
    keep_all.keep_files = 100;
    ASSERT_TRUE(TrainModels(store, config, dir.path() / "models", clock, keep_all).ok());
  }
  JobCatalog catalog = BuiltinJobCatalog(store, config, dir.path(), clock);
  ASSERT_TRUE(RunJob(catalog, kJobCacheCleanup).ok());
  EXPECT_TRUE(reg.VerifyArtifacts(*reg.Resolve("production")).ok());
  Result<std::vector<ModelFile>> files = ListModelFiles(dir.path() / "models");
  ASSERT_TRUE(files.ok());
  // 3 files of the production version + the newest 3 unregistered per kind (3 kinds).
  EXPECT_EQ(files->size(), 3u + 9u);
}

}  // namespace
}  // namespace reco
