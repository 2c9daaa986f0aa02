#include "serving/model_manager.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "core/file_util.h"
#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "registry/model_registry.h"
#include "registry/testing/record_run.h"
#include "serving/rollout.h"
#include "serving/window_counters.h"

namespace reco {
namespace {

using registry::ModelRegistry;

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

// A data dir with versions whose popular list starts with a chosen item, registered as runs.
class ModelManagerTest : public ::testing::Test {
 protected:
  ModelManagerTest() : clock_(kT0) {
    state_ = std::make_unique<OnlineState>(OnlineStateOptions{});
    for (int i = 0; i < 4; ++i) {
      Item item;
      item.item_id = testing::Id('i', i);
      state_->UpsertItem(item);
    }
  }

  std::filesystem::path data() const { return dir_.path(); }

  // Writes popularity + latest files where item `top` is the most liked, created now.
  std::vector<ModelFile> WriteFiles(int top) {
    std::vector<std::pair<int, int>> likes = {{0, top}, {1, top}, {2, top}, {0, (top + 1) % 4}};
    Dataset dataset = testing::LikesDataset(3, 4, likes);
    const TimestampUs created = clock_.NowMicros();
    clock_.Advance(kMicrosPerSecond);
    std::vector<ModelFile> files;
    auto pop = PopularityModel::Fit(dataset, {});
    auto latest = LatestModel::Fit(dataset, {});
    EXPECT_TRUE(pop.ok() && latest.ok());
    for (std::string kind : {"popularity", "latest"}) {
      auto path = data() / "models" / ModelFileName(kind, created);
      std::filesystem::create_directories(path.parent_path());
      Status st = kind == "popularity" ? pop->Save(path, created) : latest->Save(path, created);
      EXPECT_TRUE(st.ok()) << st.ToString();
      files.push_back({kind, created, path});
    }
    return files;
  }

  // Records a succeeded run for `files` and registers it.
  std::string Register(const std::vector<ModelFile>& files) {
    return testing::RecordRun(data(), files, clock_,
                              {.algorithm = "popularity+latest", .duration = kMicrosPerSecond});
  }

  // Registers run A (top item i1) and run B (top item i2), promotes A to production and returns
  // {A, B}.
  std::pair<std::string, std::string> ProductionAndCandidate() {
    std::string run_a = Register(WriteFiles(1));
    std::string run_b = Register(WriteFiles(2));
    EXPECT_TRUE(ModelRegistry(data(), clock_).Promote(run_a, "production").ok());
    return {run_a, run_b};
  }

  std::string TopPopular(const BundleHolder& holder) {
    auto bundle = holder.Get();
    if (bundle == nullptr || bundle->Popular("").empty()) return "";
    return state_->ItemId(bundle->Popular("")[0].item);
  }

  testing::TempDir dir_{"model_manager"};
  FakeClock clock_;
  std::unique_ptr<OnlineState> state_;
};

TEST_F(ModelManagerTest, WithoutARegistryLoadsTheNewestFiles) {
  WriteFiles(1);
  WriteFiles(2);
  ModelManager models(data() / "models", *state_, clock_);
  auto report = models.Reload(true);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->run_id, "");
  EXPECT_EQ(TopPopular(models.bundles()), "i2");
  EXPECT_EQ(models.bundles().Get()->version_label(), FormatTimestamp(report->created));
}

TEST_F(ModelManagerTest, LoadsTheProductionVersionNotTheNewestFiles) {
  std::string run_a = Register(WriteFiles(1));
  std::string run_b = Register(WriteFiles(2));
  WriteFiles(3);  // newest files, not registered
  ASSERT_TRUE(ModelRegistry(data(), clock_).Promote(run_a, "production").ok());
  ModelManager models(data() / "models", *state_, clock_);
  auto report = models.Reload(true);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->run_id, run_a);
  EXPECT_EQ(models.bundles().Get()->version_label(), run_a);
  EXPECT_EQ(TopPopular(models.bundles()), "i1");

  // Primary by run id: served and made production in the registry.
  auto b = models.Reload(ReloadRequest{.run_id = run_b, .mode = ServingVariant::kPrimary});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(TopPopular(models.bundles()), "i2");
  EXPECT_EQ(ModelRegistry(data(), clock_).Resolve("production")->run_id, run_b);
  EXPECT_EQ(ModelRegistry(data(), clock_).Resolve("previous")->run_id, run_a);
}

TEST_F(ModelManagerTest, AShaMismatchRejectsTheVersionAndKeepsServing) {
  std::string run_a = Register(WriteFiles(1));
  std::vector<ModelFile> files_b = WriteFiles(2);
  std::string run_b = Register(files_b);
  ASSERT_TRUE(ModelRegistry(data(), clock_).Promote(run_a, "production").ok());
  ModelManager models(data() / "models", *state_, clock_);
  ASSERT_TRUE(models.Reload(true).ok());
  // Same size, different bytes: only the sha256 tells.
  std::string bytes = *ReadFile(files_b[0].path);
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(files_b[0].path, std::ios::binary | std::ios::trunc) << bytes;

  auto report = models.Reload(ReloadRequest{.run_id = run_b, .mode = ServingVariant::kCanary});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(report.status().message().find(files_b[0].path.filename().string()), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(TopPopular(models.bundles()), "i1");
  EXPECT_EQ(models.canary_bundles().Get(), nullptr);
  EXPECT_FALSE(ModelRegistry(data(), clock_).Resolve("canary").ok());
}

TEST_F(ModelManagerTest, BadRequestsNameTheField) {
  std::string run_a = Register(WriteFiles(1));
  ModelManager models(data() / "models", *state_, clock_);
  auto bad = models.Reload(
      ReloadRequest{.run_id = run_a, .mode = ServingVariant::kCanary, .rollout = 1.5});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "rollout");
  auto unknown = models.Reload(ReloadRequest{.run_id = "nope", .mode = ServingVariant::kPrimary});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();
  EXPECT_EQ(ParseVariant("blue").status().field(), "mode");
  EXPECT_EQ(*ParseVariant("shadow"), ServingVariant::kShadow);
}

TEST_F(ModelManagerTest, CanarySplitsUsersAndIsWithdrawnByTheGuardrails) {
  const auto [run_a, run_b] = ProductionAndCandidate();
  ModelManager models(data() / "models", *state_, clock_);
  ASSERT_TRUE(models.Reload(true).ok());
  auto canary = models.Reload(
      ReloadRequest{.run_id = run_b, .mode = ServingVariant::kCanary, .rollout = 0.5});
  ASSERT_TRUE(canary.ok()) << canary.status().ToString();
  EXPECT_EQ(ModelRegistry(data(), clock_).Resolve("canary")->run_id, run_b);

  MetricsRegistry metrics;
  Recommender primary(*state_, models.bundles(), {}, {});
  Rollout rollout(
      models, primary, *state_, {}, nullptr, metrics, clock_,
      {.guardrails = {.min_exposures = 20, .max_error_rate = 0.5, .min_ctr_ratio = 0.8}});
  // Both reasons are series at zero before any rollback.
  EXPECT_NE(metrics.RenderText().find("canary_rollbacks_total{reason=\"ctr\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.RenderText().find("canary_rollbacks_total{reason=\"error_rate\"} 0"),
            std::string::npos);
  int canary_users = 0;
  std::vector<std::string> primary_users;
  for (int u = 0; u < 100; ++u) {
    std::string user = testing::Id('v', u);
    Rollout::Served served =
        rollout.Recommend(models.bundles().Get(), testing::Id('r', u), user, "", 2, 0);
    const bool expect_canary = InRollout(user, 0.5);
    EXPECT_EQ(served.variant, expect_canary ? ServingVariant::kCanary : ServingVariant::kPrimary);
    ASSERT_FALSE(served.result.items.empty());
    EXPECT_EQ(served.result.items[0].id, expect_canary ? "i2" : "i1") << user;
    EXPECT_EQ(served.model_version, expect_canary ? run_b : run_a);
    if (expect_canary) {
      ++canary_users;
    } else {
      primary_users.push_back(user);
    }
  }
  EXPECT_EQ(rollout.Counts(run_b, ServingVariant::kCanary).exposures, canary_users);
  EXPECT_EQ(canary_users, 49);  // of v0..v99 by hash
  // Primary users click what they were shown; canary users never do: CTR 0 < 0.8 x primary.
  std::vector<Feedback> clicks;
  for (const std::string& user : primary_users) clicks.push_back({"like", user, "i1", 1, 0, ""});
  rollout.OnFeedback(clicks);
  EXPECT_EQ(rollout.Counts(run_a, ServingVariant::kPrimary).clicks,
            static_cast<int64_t>(primary_users.size()));
  EXPECT_EQ(models.canary_bundles().Get(), nullptr);
  EXPECT_EQ(models.canary_rollout(), 0);
  EXPECT_FALSE(ModelRegistry(data(), clock_).Resolve("canary").ok());
  EXPECT_NE(metrics.RenderText().find("canary_rollbacks_total{reason=\"ctr\"} 1"),
            std::string::npos);
  // Everyone gets the primary now.
  EXPECT_EQ(rollout.Recommend(models.bundles().Get(), "r", testing::Id('v', 0), "", 2, 0).variant,
            ServingVariant::kPrimary);
}

// Counts shared with other replicas, held in memory (SharedCounts keeps them in Redis; its own
// tests run on a real redis-server).
class MapCounts final : public NamedCounts {
 public:
  void Add(std::string_view field, double delta) override {
    std::lock_guard lock(mu_);
    counts_[std::string(field)] += delta;
  }
  double Get(std::string_view field) const override {
    std::lock_guard lock(mu_);
    auto it = counts_.find(std::string(field));
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, double> counts_;
};

TEST_F(ModelManagerTest, WithSharedCountsTheGuardrailsJudgeEveryReplicasFigures) {
  const auto [run_a, run_b] = ProductionAndCandidate();
  ModelManager models(data() / "models", *state_, clock_);
  ASSERT_TRUE(models.Reload(true).ok());
  ASSERT_TRUE(models
                  .Reload(ReloadRequest{.run_id = run_b,
                                        .mode = ServingVariant::kCanary,
                                        .rollout = 1.0})
                  .ok());
  // The other replicas served the canary 30 times without a click, the primary 30 times with
  // 15 clicks.
  MapCounts shared;
  shared.Add("canary:" + run_b + ":requests", 30);
  shared.Add("canary:" + run_b + ":exposures", 30);
  shared.Add("primary:" + run_a + ":requests", 30);
  shared.Add("primary:" + run_a + ":exposures", 30);
  shared.Add("primary:" + run_a + ":clicks", 15);
  MetricsRegistry metrics;
  Recommender primary(*state_, models.bundles(), {}, {});
  Rollout rollout(models, primary, *state_, {}, nullptr, metrics, clock_,
                  {.guardrails = {.min_exposures = 20, .max_error_rate = 0.5,
                                  .min_ctr_ratio = 0.8},
                   .shared_counts = &shared});
  EXPECT_EQ(rollout.Counts(run_b, ServingVariant::kCanary).exposures, 30);
  // This replica's first canary list: its own count is 1, far below min_exposures, but the
  // deployment's CTR 0 is below 0.8 x 0.5.
  Rollout::Served served =
      rollout.Recommend(models.bundles().Get(), "r1", testing::Id('v', 1), "", 2, 0);
  EXPECT_EQ(served.variant, ServingVariant::kCanary);
  EXPECT_EQ(shared.Get("canary:" + run_b + ":exposures"), 31);
  EXPECT_EQ(shared.Get("canary:" + run_b + ":requests"), 31);
  EXPECT_EQ(models.canary_bundles().Get(), nullptr);
  EXPECT_NE(metrics.RenderText().find("canary_rollbacks_total{reason=\"ctr\"} 1"),
            std::string::npos);
}

// recommendations_served_degraded_total counts the answers with a degraded reason (here every
// one: the versions have no itemcf model), once per answer whatever the number of reasons.
TEST_F(ModelManagerTest, DegradedAnswersAreCountedOncePerAnswerByVersion) {
  const auto [run_a, run_b] = ProductionAndCandidate();
  ModelManager models(data() / "models", *state_, clock_);
  ASSERT_TRUE(models.Reload(true).ok());
  MetricsRegistry metrics;
  Recommender primary(*state_, models.bundles(), {}, {});
  Rollout rollout(models, primary, *state_, {}, nullptr, metrics, clock_, {});
  int degraded = 0;
  size_t reasons = 0;
  for (int u = 0; u < 10; ++u) {
    Rollout::Served served =
        rollout.Recommend(models.bundles().Get(), "r", testing::Id('v', u), "", 2, 0);
    if (!served.result.degraded.empty()) ++degraded;
    reasons += served.result.degraded.size();
  }
  ASSERT_GT(degraded, 0);
  EXPECT_GT(reasons, static_cast<size_t>(degraded)) << "several reasons per answer";
  const std::vector<std::string> labels = {"run_id", "variant"};
  EXPECT_EQ(metrics.AddCounter("recommendations_served_degraded_total", "", labels)
                ->WithLabels({run_a, "primary"})
                ->Value(),
            degraded);
  EXPECT_EQ(metrics.AddCounter("recommendations_served_total", "", labels)
                ->WithLabels({run_a, "primary"})
                ->Value(),
            10);
}

TEST_F(ModelManagerTest, ShadowIsScoredAndCountedButNeverServed) {
  const auto [run_a, run_b] = ProductionAndCandidate();
  ModelManager models(data() / "models", *state_, clock_);
  ASSERT_TRUE(models.Reload(true).ok());
  ASSERT_TRUE(
      models.Reload(ReloadRequest{.run_id = run_b, .mode = ServingVariant::kShadow, .rollout = 1.0})
          .ok());
  MetricsRegistry metrics;
  Recommender primary(*state_, models.bundles(), {}, {});
  Rollout rollout(models, primary, *state_, {}, nullptr, metrics, clock_);
  for (int u = 0; u < 10; ++u) {
    Rollout::Served served = rollout.Recommend(models.bundles().Get(), testing::Id('q', u),
                                               testing::Id('s', u), "", 2, 0);
    EXPECT_EQ(served.variant, ServingVariant::kPrimary);
    EXPECT_EQ(served.result.items[0].id, "i1");
  }
  EXPECT_EQ(rollout.Counts(run_b, ServingVariant::kShadow).exposures, 10);
  EXPECT_EQ(rollout.Counts(run_a, ServingVariant::kPrimary).exposures, 10);
  // A popular list is logged and counted in /metrics, but not judged (it has no user to click).
  RecommendResult popular;
  popular.items = {{"i1", 3}, {"i2", 1}};
  rollout.RecordServed(models.bundles().Get().get(), "p1", "", "popular", popular);
  EXPECT_EQ(rollout.Counts(run_a, ServingVariant::kPrimary).exposures, 10);
  EXPECT_NE(metrics.RenderText().find("model_exposures_total{run_id=\"" + run_a +
                                      "\",variant=\"primary\"} 11"),
            std::string::npos);
  rollout.SyncVersionInfo();
  std::string text = metrics.RenderText();
  EXPECT_NE(text.find("reco_model_version_info{run_id=\"" + run_b + "\",variant=\"shadow\"} 1"),
            std::string::npos)
      << text;
  // Promoting the shadow's run ends its shadow role.
  ASSERT_TRUE(models.Reload(ReloadRequest{.run_id = run_b}).ok());
  EXPECT_EQ(models.shadow_bundles().Get(), nullptr);
  rollout.SyncVersionInfo();
  text = metrics.RenderText();
  EXPECT_NE(text.find("reco_model_version_info{run_id=\"" + run_b + "\",variant=\"shadow\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("reco_model_version_info{run_id=\"" + run_b + "\",variant=\"primary\"} 1"),
            std::string::npos);
}

TEST_F(ModelManagerTest, ARestartResumesTheCanaryUntilItIsWithdrawn) {
  const auto [run_a, run_b] = ProductionAndCandidate();
  {
    ModelManager models(data() / "models", *state_, clock_);
    ASSERT_TRUE(models.Reload(true).ok());
    ASSERT_TRUE(
        models
            .Reload(ReloadRequest{.run_id = run_b, .mode = ServingVariant::kCanary, .rollout = 0.3})
            .ok());
  }
  {
    ModelManager restarted(data() / "models", *state_, clock_);
    ASSERT_TRUE(restarted.Reload(false).ok());
    EXPECT_EQ(restarted.RestoreVariants(), 1);
    ASSERT_NE(restarted.canary_bundles().Get(), nullptr);
    EXPECT_EQ(restarted.canary_bundles().Get()->run_id(), run_b);
    EXPECT_EQ(restarted.canary_rollout(), 0.3);
    EXPECT_EQ(restarted.shadow_bundles().Get(), nullptr);
    ASSERT_TRUE(restarted.WithdrawCanary("test").ok());
  }
  ModelManager again(data() / "models", *state_, clock_);
  ASSERT_TRUE(again.Reload(false).ok());
  EXPECT_EQ(again.RestoreVariants(), 0);
  EXPECT_EQ(again.canary_bundles().Get(), nullptr);
}

}  // namespace
}  // namespace reco
