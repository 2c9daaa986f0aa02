#include "service/experiment_service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "data/testing/temp_dir.h"
#include "serving/exposure_log.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::service {
namespace {

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z
constexpr TimestampUs kHour = 3600LL * kMicrosPerSecond;

ExperimentDefinition Definition(std::string id, std::string layer = "home", double traffic = 1.0) {
  ExperimentDefinition d;
  d.id = std::move(id);
  d.name = "ranker";
  d.layer = std::move(layer);
  d.traffic = traffic;
  d.variants = {{"control", 1, "scenario", "home_feed"},
                {"treatment", 1, "model_version", "run-2"}};
  d.click_types = {"click"};
  d.conversion_types = {"purchase"};
  return d;
}

class ExperimentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    service_ = std::make_unique<ExperimentService>(
        *store_, clock_, ExperimentServiceOptions{.exposure_log = LogPath()});
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
  }
  std::filesystem::path LogPath() const {
    return dir_.path() / "evaluation" / "exposure_log.jsonl";
  }

  reco::testing::TempDir dir_{"experiment_service"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{kT0};
  std::unique_ptr<ExperimentService> service_;
};

TEST_F(ExperimentServiceTest, LifecycleDraftRunningStopped) {
  auto created = service_->Create(Definition("exp1"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->status, "draft");
  EXPECT_EQ(created->created_at, kT0);
  EXPECT_EQ(service_->Create(Definition("exp1")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(service_->Assign("u1")->empty());  // a draft assigns nobody

  clock_.Advance(kHour);
  auto started = service_->Start("exp1");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->status, "running");
  EXPECT_EQ(started->started_at, kT0 + kHour);
  EXPECT_EQ(service_->Start("exp1").status().field(), "status");
  ASSERT_EQ(service_->Assign("u1")->size(), 1u);
  EXPECT_EQ(service_->Delete("exp1").code(), StatusCode::kFailedPrecondition);

  auto stopped = service_->Stop("exp1");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status, "stopped");
  EXPECT_TRUE(service_->Assign("u1")->empty());
  EXPECT_EQ(service_->Stop("exp1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->Update("exp1", Definition("exp1")).status().field(), "status");
  EXPECT_TRUE(service_->Delete("exp1").ok());
  EXPECT_EQ(service_->Get("exp1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->Start("ghost").status().code(), StatusCode::kNotFound);
}

TEST_F(ExperimentServiceTest, BadDefinitionsAreRejectedAndNothingIsWritten) {
  ExperimentDefinition d = Definition("exp1");
  d.variants[1].weight = 0;
  Status st = service_->Create(d).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "variants[1].weight");
  EXPECT_TRUE(service_->List()->empty());
}

TEST_F(ExperimentServiceTest, RampingKeepsUsersAndLayersFillUp) {
  ASSERT_TRUE(service_->Create(Definition("a", "home", 0.2)).ok());
  ASSERT_TRUE(service_->Start("a").ok());
  std::map<std::string, std::string> before;
  for (int i = 0; i < 3000; ++i) {
    auto got = service_->Assign("u" + std::to_string(i));
    ASSERT_TRUE(got.ok());
    if (!got->empty()) before["u" + std::to_string(i)] = (*got)[0].variant;
  }
  ASSERT_GT(before.size(), 400u);
  // Ramp to 60 %: everyone who was in stays in, in the same variant.
  ASSERT_TRUE(service_->Update("a", Definition("a", "home", 0.6)).ok());
  for (const auto& [user, variant] : before) {
    auto got = service_->Assign(user);
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].variant, variant);
  }
  // A running experiment keeps its variants.
  ExperimentDefinition changed = Definition("a", "home", 0.6);
  changed.variants[0].weight = 5;
  EXPECT_EQ(service_->Update("a", changed).status().field(), "variants");
  // The layer has 40 % left.
  ASSERT_TRUE(service_->Create(Definition("b", "home", 0.5)).ok());
  EXPECT_EQ(service_->Start("b").status().field(), "traffic");
  ASSERT_TRUE(service_->Update("b", Definition("b", "home", 0.4)).ok());
  ASSERT_TRUE(service_->Start("b").ok());
  EXPECT_EQ(service_->Get("b")->bucket_offset, 6000);
  // Another layer is independent of "home".
  ASSERT_TRUE(service_->Create(Definition("c", "detail")).ok());
  ASSERT_TRUE(service_->Start("c").ok());
  for (int i = 0; i < 200; ++i) {
    auto got = service_->Assign("u" + std::to_string(i));
    ASSERT_EQ(got->size(), 2u);               // "a" and "b" cover the whole home layer
    EXPECT_EQ((*got)[0].experiment_id, "c");  // ordered by layer
  }
}

TEST_F(ExperimentServiceTest, ResultsJoinTheExposureLogWithFeedback) {
  ASSERT_TRUE(service_->Create(Definition("exp1")).ok());
  ASSERT_TRUE(service_->Start("exp1").ok());
  {
    auto log = ExposureLog::Open({.path = LogPath()});
    ASSERT_TRUE(log.ok());
    std::vector<Feedback> feedback;
    for (int i = 0; i < 400; ++i) {
      const std::string user = "u" + std::to_string(i);
      auto assigned = service_->Assign(user);
      ASSERT_EQ(assigned->size(), 1u);
      const std::string variant = (*assigned)[0].variant;
      const std::string item = "i" + std::to_string(i % 7);
      ExposureRecord record{.ts = kT0 + kHour * (i % 48),
                            .request_id = "r",
                            .user_id = user,
                            .scenario = "recommend",
                            .model_version = "m",
                            .variant = "primary",
                            .items = {item, "other"},
                            .experiments = {{"exp1", variant}}};
      ASSERT_TRUE((*log)->Append(record));
      // Treatment users click twice as often.
      const int period = variant == "treatment" ? 2 : 4;
      if (i % period == 0) {
        feedback.push_back({"click", user, item, 1.0, record.ts + 60 * kMicrosPerSecond, ""});
      }
      if (i % 10 == 0) feedback.push_back({"purchase", user, "i99", 1.0, record.ts + kHour, ""});
    }
    // A line of another experiment and one without experiments are not counted.
    ASSERT_TRUE((*log)->Append(ExposureRecord{
        .ts = kT0, .user_id = "x", .items = {"i1"}, .experiments = {{"other", "a"}}}));
    ASSERT_TRUE((*log)->Append(ExposureRecord{.ts = kT0, .user_id = "y", .items = {"i1"}}));
    (*log)->Flush();
    ASSERT_TRUE(store_->InsertFeedback(feedback, {}).ok());
  }
  clock_.Set(kT0 + 3 * 24 * kHour);
  auto report = service_->Results("exp1");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& r = report->results;
  ASSERT_EQ(r.variants.size(), 2u);
  EXPECT_EQ(r.variants[0].users + r.variants[1].users, 400);
  EXPECT_EQ(r.variants[0].exposures + r.variants[1].exposures, 400);
  EXPECT_EQ(r.variants[0].conversions + r.variants[1].conversions, 40);
  EXPECT_NEAR(r.variants[0].ctr, 0.25, 0.1);
  EXPECT_NEAR(r.variants[1].ctr, 0.5, 0.1);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_GT(r.comparisons[0].ctr.test.difference, 0.1);
  EXPECT_LT(r.comparisons[0].ctr.test.p_value, 0.01);
  EXPECT_EQ(report->log_lines, 402);
  EXPECT_EQ(report->window_start, kT0);
  EXPECT_EQ(r.looks, 4);  // the ends of days 1, 2 and 3 (= now), and now
  EXPECT_FALSE(r.srm.mismatch);
}

TEST_F(ExperimentServiceTest, AnotherServiceOnTheStoreSeesChangesAfterRefresh) {
  // Two replicas on one store: the second sees the first's start once it refreshes.
  ExperimentService other(*store_, clock_, ExperimentServiceOptions{.exposure_log = LogPath()});
  EXPECT_TRUE(other.Assign("u1")->empty());
  ASSERT_TRUE(service_->Create(Definition("exp1")).ok());
  ASSERT_TRUE(service_->Start("exp1").ok());
  EXPECT_TRUE(other.Assign("u1")->empty());  // its snapshot is older
  ASSERT_TRUE(other.Refresh().ok());
  auto seen = other.Assign("u1");
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].variant, (*service_->Assign("u1"))[0].variant);
  EXPECT_EQ(other.Assign("").status().field(), "user_id");
}

}  // namespace
}  // namespace reco::service
