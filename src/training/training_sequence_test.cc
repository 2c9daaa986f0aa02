// The training sequence end to end on a real SQLite store: what a run records, when, and which
// files it leaves.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "models/user_recs.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "store/testing/temp_sqlite_store.h"
#include "training/algorithm_choice.h"
#include "training/trainer.h"
#include "training/training_run.h"

namespace reco::training {
namespace {

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

// 12 users and 8 items in a real store: user u likes items u % 8 and (u + 1) % 8 and (u + 3) % 8.
class TrainingOnSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    std::vector<Item> items;
    for (int i = 0; i < 8; ++i) {
      Item item;
      item.item_id = "i" + std::to_string(i);
      item.timestamp = kT0 - 3600 * kMicrosPerSecond;
      items.push_back(item);
    }
    ASSERT_TRUE(store_->InsertItems(items).ok());
    std::vector<Feedback> feedback;
    for (int u = 0; u < 12; ++u) {
      for (int step : {0, 1, 3}) {
        feedback.push_back({"like", "u" + std::to_string(u), "i" + std::to_string((u + step) % 8),
                            1.0, kT0 - (60 - u) * kMicrosPerSecond, ""});
      }
    }
    ASSERT_TRUE(store_->InsertFeedback(feedback, {}).ok());
    config_.recommend.recs_per_user = 4;
  }

  // The only run of the data dir as stored now.
  registry::RunRecord StoredRun() const {
    Result<std::vector<registry::RunRecord>> runs =
        registry::RunTracker(dir_.path(), clock_).List();
    EXPECT_TRUE(runs.ok());
    EXPECT_EQ(runs.ok() ? runs->size() : 0u, 1u);
    return runs.ok() && runs->size() == 1 ? runs->front() : registry::RunRecord{};
  }

  reco::testing::TempDir dir_{"training_sequence"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{kT0};
  RecoConfig config_;
};

const registry::RunArtifact* FindKind(const registry::RunRecord& run, std::string_view kind) {
  for (const registry::RunArtifact& a : run.artifacts) {
    if (a.kind == kind) return &a;
  }
  return nullptr;
}

TEST_F(TrainingOnSqlite, TheRunHasItsParamsBeforeItIsFinal) {
  const AlgorithmChoice choice{"popular", {}, "test"};
  TrainOptions options;
  options.num_threads = 1;
  options.recs = choice;
  std::vector<registry::RunRecord> seen;  // the stored run at each step of the training
  options.checkpoint = [&](std::string_view) {
    seen.push_back(StoredRun());
    return Status::Ok();
  };
  TrainingRunInputs inputs;
  inputs.params = ChoiceParams(choice);
  inputs.params["pipeline_run"] = "p-1";
  Result<TrainedVersion> trained =
      TrainAndRegister(*store_, config_, dir_.path(), clock_, options, inputs);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();

  ASSERT_EQ(seen.size(), 3u);  // after the dataset, after fitting popular, before writing
  for (const registry::RunRecord& during : seen) {
    EXPECT_EQ(during.status, registry::RunStatus::kRunning);
    EXPECT_EQ(during.params.at("eval.algo"), "popular");
    EXPECT_EQ(during.params.at("pipeline_run"), "p-1");
    EXPECT_EQ(during.params.at("itemcf_neighbors"),
              std::to_string(config_.recommend.itemcf_neighbors));
    EXPECT_EQ(during.params.at("num_threads"), "1");
  }
  registry::RunRecord final_run = StoredRun();
  EXPECT_EQ(final_run.status, registry::RunStatus::kSucceeded);
  EXPECT_EQ(final_run.params, seen.front().params);
  EXPECT_EQ(final_run.params, trained->run.params);
}

TEST_F(TrainingOnSqlite, ARegisteredRunNamesEveryFileItWrote) {
  TrainOptions options;
  options.recs = AlgorithmChoice{"itemcf", {{"itemcf.neighbors", "5"}}, "test"};
  Result<TrainedVersion> trained = TrainAndRegister(*store_, config_, dir_.path(), clock_, options);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  EXPECT_EQ(trained->run.algorithm, "popularity+latest+itemcf+recs");
  EXPECT_EQ(trained->run.data.row_counts.at("users"), 12);
  ASSERT_EQ(trained->run.artifacts.size(), 4u);
  registry::ModelRegistry registry(dir_.path(), clock_);
  Result<registry::ModelVersion> version = registry.Get(trained->run.run_id);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->artifacts.size(), 4u);
  EXPECT_TRUE(registry.VerifyArtifacts(*version).ok());
  for (const registry::RunArtifact& a : trained->run.artifacts) {
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / a.path)) << a.path;
  }
}

TEST_F(TrainingOnSqlite, ListsArePrecomputedOnlyWhenAsked) {
  Result<TrainedVersion> plain = TrainAndRegister(*store_, config_, dir_.path(), clock_);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(FindKind(plain->run, "recs"), nullptr);
  EXPECT_EQ(plain->run.artifacts.size(), 3u);

  clock_.Advance(60 * kMicrosPerSecond);
  TrainOptions options;
  options.recs = AlgorithmChoice{"popular", {}, "test"};
  Result<TrainedVersion> with_lists =
      TrainAndRegister(*store_, config_, dir_.path(), clock_, options);
  ASSERT_TRUE(with_lists.ok()) << with_lists.status().ToString();
  const registry::RunArtifact* recs = FindKind(with_lists->run, "recs");
  ASSERT_NE(recs, nullptr);
  Result<UserRecsModel> lists = UserRecsModel::Load(dir_.path() / recs->path);
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  EXPECT_EQ(lists->algorithm(), "popular");
  EXPECT_EQ(lists->num_users(), 12u);
  for (uint32_t u = 0; u < lists->num_users(); ++u) {
    EXPECT_EQ(lists->Items(u).size(), 4u) << lists->user_ids()[u];  // recs_per_user
  }
}

TEST_F(TrainingOnSqlite, ListsAloneWriteOneFile) {
  TrainOptions options;
  options.builtin = {.popularity = false, .latest = false, .itemcf = false};
  options.recs = AlgorithmChoice{"popular", {}, "test"};
  Result<TrainReport> report =
      TrainModels(*store_, config_, dir_.path() / "models", clock_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->models.size(), 1u);
  EXPECT_EQ(report->models[0].kind, "recs");
  EXPECT_TRUE(std::filesystem::exists(report->models[0].file));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() / "models"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(TrainingOnSqlite, ItemCfAloneWritesOneFile) {
  TrainOptions options;
  options.builtin = {.popularity = false, .latest = false, .itemcf = true};
  Result<TrainReport> report =
      TrainModels(*store_, config_, dir_.path() / "models", clock_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->models.size(), 1u);
  EXPECT_EQ(report->models[0].kind, "itemcf");
  EXPECT_EQ(report->models[0].items, 8u);
  EXPECT_EQ(report->models[0].file.filename().string(),
            ModelFileName("itemcf", clock_.NowMicros()));
  Result<std::vector<ModelFile>> files = ListModelFiles(dir_.path() / "models");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);
}

TEST_F(TrainingOnSqlite, ACheckpointThatFailsStopsBeforeAnythingIsWritten) {
  TrainOptions options;
  options.recs = AlgorithmChoice{"popular", {}, "test"};
  std::vector<std::string> steps;
  options.checkpoint = [&](std::string_view step) {
    steps.emplace_back(step);
    return step == "after fitting popular" ? Unavailable("stopped") : Status::Ok();
  };
  Result<TrainReport> report =
      TrainModels(*store_, config_, dir_.path() / "models", clock_, options);
  EXPECT_EQ(report.status().code(), StatusCode::kUnavailable) << report.status().ToString();
  EXPECT_EQ(report.status().message(), "stopped");
  EXPECT_EQ(steps,
            (std::vector<std::string>{"after loading the dataset", "after fitting popular"}));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "models"));
}

TEST_F(TrainingOnSqlite, AFailedRunIsFinalWithItsParams) {
  const AlgorithmChoice choice{"ease", {{"ease.max_memory_gib", "0.0000001"}}, "test"};
  TrainOptions options;
  options.recs = choice;
  TrainingRunInputs inputs;
  inputs.params = ChoiceParams(choice);
  Result<TrainedVersion> trained =
      TrainAndRegister(*store_, config_, dir_.path(), clock_, options, inputs);
  EXPECT_EQ(trained.status().code(), StatusCode::kResourceExhausted) << trained.status().ToString();
  registry::RunRecord run = StoredRun();
  EXPECT_EQ(run.status, registry::RunStatus::kFailed);
  EXPECT_EQ(run.params.at("eval.algo"), "ease");
  EXPECT_EQ(run.params.at("eval.ease.max_memory_gib"), "0.0000001");
  EXPECT_TRUE(registry::ModelRegistry(dir_.path(), clock_).Load()->versions.empty());
}

}  // namespace
}  // namespace reco::training
