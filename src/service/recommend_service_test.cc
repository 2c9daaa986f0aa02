#include "service/recommend_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "models/model_files.h"
#include "service/experiment_service.h"
#include "service/testing/service_fixture.h"
#include "serving/version_bundles.h"

namespace reco::service {
namespace {

// A bundle of run `run_id` over items i0..i3 (i1 the most liked); without a popularity model
// when `popularity` is false. It has no item-CF model either way.
std::shared_ptr<const ModelBundle> MakeBundle(OnlineState& state, const std::string& run_id,
                                              bool popularity) {
  Dataset dataset = reco::testing::LikesDataset(3, 4, {{0, 1}, {1, 1}, {2, 1}, {0, 2}});
  ModelSet set;
  set.run_id = run_id;
  set.created = testing::kT0;
  auto latest = LatestModel::Fit(dataset, {});
  EXPECT_TRUE(latest.ok());
  if (latest.ok()) set.latest = std::move(latest).value();
  if (popularity) {
    auto pop = PopularityModel::Fit(dataset, {});
    EXPECT_TRUE(pop.ok());
    if (pop.ok()) set.popularity = std::move(pop).value();
  }
  return ModelBundle::Build(set, state, testing::kT0);
}

bool Has(const std::string& line, const std::string& needle) {
  return line.find(needle) != std::string::npos;
}

class RecommendServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(PutLikedBooks());
  }

  // The first degraded answer swaps `next` in as the primary bundle, in the middle of the
  // request that is being answered: what a reload on another thread may do at any time.
  void SwapOnFirstDegraded(std::shared_ptr<const ModelBundle> next) {
    on_degraded = [this, next](std::string_view) {
      if (swaps_ == 0) primary_.Set(next);
      ++swaps_;
    };
  }

  int swaps_ = 0;
};

TEST_F(RecommendServiceTest, PopularIsLoggedUnderTheSnapshotThatProducedIt) {
  auto v1 = MakeBundle(*state_, "v1", /*popularity=*/false);  // degrades: popularity missing
  auto v2 = MakeBundle(*state_, "v2", /*popularity=*/true);
  primary_.Set(v1);
  SwapOnFirstDegraded(v2);

  RecommendResponse response = recommend_->Popular({.request_id = "req-1", .n = 2});

  ASSERT_GE(swaps_, 1) << "the reload did not happen during the request";
  EXPECT_EQ(primary_.Get()->run_id(), "v2");
  ASSERT_FALSE(response.result.items.empty());
  EXPECT_EQ(response.bundle, v1);
  EXPECT_EQ(response.model_version, "v1");
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Has(lines[0], "\"model_version\":\"v1\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"request_id\":\"req-1\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"popular\"")) << lines[0];
}

TEST_F(RecommendServiceTest, RecommendIsLoggedUnderTheSnapshotThatProducedIt) {
  auto v1 = MakeBundle(*state_, "v1", /*popularity=*/true);  // degrades: no item-CF model
  auto v2 = MakeBundle(*state_, "v2", /*popularity=*/true);
  primary_.Set(v1);
  SwapOnFirstDegraded(v2);

  auto served = recommend_->Recommend({.request_id = "req-2", .user_id = "u1", .n = 2});

  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_GE(swaps_, 1) << "the reload did not happen during the request";
  EXPECT_EQ(primary_.Get()->run_id(), "v2");
  ASSERT_FALSE(served->result.items.empty());
  EXPECT_EQ(served->bundle, v1);
  EXPECT_EQ(served->model_version, "v1");
  EXPECT_EQ(served->variant, ServingVariant::kPrimary);
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Has(lines[0], "\"model_version\":\"v1\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"recommend\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"user_id\":\"u1\"")) << lines[0];
  EXPECT_EQ(rollout_->Counts("v1", ServingVariant::kPrimary).exposures, 1);
  EXPECT_EQ(rollout_->Counts("v2", ServingVariant::kPrimary).requests, 0);
}

TEST_F(RecommendServiceTest, WriteBackIsFeedbackLikeAnyOther) {
  const double positive_before = Ingested("positive");
  clock_.Advance(5 * kMicrosPerSecond);
  auto served = recommend_->Recommend({.request_id = "req-3",
                                       .user_id = "u3",
                                       .n = 2,
                                       .write_back_type = "like",
                                       .write_back_delay = 60 * kMicrosPerSecond});
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_EQ(served->result.items.size(), 2u);

  // Stored, dated now + delay, mirrored into the online state, counted, and joined to the
  // exposure it came from (one click per exposure).
  auto rows = feedback_->Find({.feedback_type = "like", .user_id = "u3"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  std::set<std::string> written;
  for (const Feedback& f : *rows) {
    written.insert(f.item_id);
    EXPECT_EQ(f.timestamp, testing::kT0 + 65 * kMicrosPerSecond);
  }
  EXPECT_EQ(written,
            (std::set<std::string>{served->result.items[0].id, served->result.items[1].id}));
  EXPECT_EQ(state_->GetUser("u3").recent_positive.size(), 2u);
  EXPECT_EQ(Ingested("positive") - positive_before, 2);
  EXPECT_EQ(rollout_->Counts("", ServingVariant::kPrimary).clicks, 1);
}

TEST_F(RecommendServiceTest, WriteBackFollowsTheAutoInsertSettings) {
  MakeServices({.auto_insert_users = false, .auto_insert_items = true});
  auto served = recommend_->Recommend(
      {.request_id = "req-4", .user_id = "stranger", .n = 2, .write_back_type = "read"});
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalogue_->GetUser("stranger").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(state_->GetUser("stranger").known);

  // Without a write-back the same user is answered.
  auto plain = recommend_->Recommend({.request_id = "req-5", .user_id = "stranger", .n = 2});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->result.items.size(), 2u);
}

TEST_F(RecommendServiceTest, LatestIsLoggedPerCategory) {
  primary_.Set(MakeBundle(*state_, "v1", true));
  RecommendResponse latest =
      recommend_->Latest({.request_id = "req-6", .category = "books", .n = 2});
  ASSERT_EQ(latest.result.items.size(), 2u);
  EXPECT_EQ(latest.result.items[0].id, "i0");  // the newest item
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"latest/books\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"model_version\":\"v1\"")) << lines[0];
}

TEST_F(RecommendServiceTest, SessionExcludesItsItems) {
  Feedback late = Row("like", "x", "i1");
  late.timestamp = testing::kT0 + 10;
  Feedback early = Row("read", "x", "i3");
  RecommendResponse session = recommend_->SessionRecommend({.rows = {late, early}, .n = 4});
  ASSERT_FALSE(session.result.items.empty());
  for (const ScoredId& item : session.result.items) {
    EXPECT_NE(item.id, "i1");
    EXPECT_NE(item.id, "i3");
  }
}

TEST_F(RecommendServiceTest, NeighboursAndDetailNameTheirSnapshot) {
  auto v1 = MakeBundle(*state_, "v1", true);
  primary_.Set(v1);
  auto unknown = recommend_->ItemNeighbors({.id = "nope", .n = 3});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  auto similar = recommend_->ItemNeighbors({.id = "i1", .n = 3});
  ASSERT_TRUE(similar.ok());
  EXPECT_EQ(similar->created_text(), v1->created_text());
  auto detail = recommend_->ItemDetail({.id = "i1", .user_id = "u2", .n = 3});
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->created_text(), v1->created_text());
  EXPECT_FALSE(detail->created_text().empty());
  RecommendResponse users = recommend_->UserNeighbors({.id = "u1", .n = 3});
  ASSERT_EQ(users.result.items.size(), 1u);
  EXPECT_EQ(users.result.items[0].id, "u2");
}

TEST_F(RecommendServiceTest, ExperimentsChangedByAnotherProcessApplyAfterTheRefresh) {
  primary_.Set(MakeBundle(*state_, "v1", /*popularity=*/true));
  const ExperimentServiceOptions options{.exposure_log = log_->path()};
  ExperimentService experiments(*store_, clock_, options);
  VersionBundles versions(
      [this](std::string_view run_id) -> Result<std::shared_ptr<const ModelBundle>> {
        if (run_id != "v-exp") return NotFound("no version " + std::string(run_id));
        return MakeBundle(*state_, "v-exp", /*popularity=*/true);
      },
      clock_, &metrics_);
  RecommendService service(*recommender_, primary_, *state_, *rollout_, *feedback_, clock_,
                           &experiments, &versions);
  auto recommend = [&](std::string_view request_id) {
    auto served = service.Recommend({.request_id = request_id, .user_id = "u1", .n = 2});
    EXPECT_TRUE(served.ok());
    return served.ok() ? std::move(served).value() : RecommendResponse{};
  };
  EXPECT_TRUE(recommend("r0").experiments.empty());

  // Another process on the same store starts a model-version experiment over every user.
  ExperimentService other(*store_, clock_, options);
  ExperimentDefinition definition{
      .id = "exp",
      .name = "n",
      .layer = "ranking",
      .traffic = 1.0,
      .variants = {{"A", 1, "model_version", "v-exp"}, {"B", 1, "model_version", "v-exp"}},
      .click_types = {"click"}};
  ASSERT_TRUE(other.Create(definition).ok());
  ASSERT_TRUE(other.Start("exp").ok());
  RecommendResponse before = recommend("r1");
  EXPECT_TRUE(before.experiments.empty()) << "not refreshed yet";
  EXPECT_EQ(before.model_version, "v1");

  ASSERT_TRUE(service.RefreshExperiments().ok());
  EXPECT_EQ(versions.Loaded(), std::vector<std::string>{"v-exp"}) << "loaded by the refresh";
  RecommendResponse during = recommend("r2");
  ASSERT_EQ(during.experiments.size(), 1u);
  EXPECT_EQ(during.experiments[0].experiment_id, "exp");
  EXPECT_EQ(during.model_version, "v-exp");
  EXPECT_EQ(during.variant, ServingVariant::kExperiment);
  EXPECT_EQ(std::count(during.result.degraded.begin(), during.result.degraded.end(),
                       kExperimentVersionUnavailable),
            0);

  ASSERT_TRUE(other.Stop("exp").ok());
  ASSERT_TRUE(service.RefreshExperiments().ok());
  EXPECT_TRUE(versions.Loaded().empty()) << "dropped: no running experiment names it";
  RecommendResponse after = recommend("r3");
  EXPECT_TRUE(after.experiments.empty());
  EXPECT_EQ(after.model_version, "v1");

  const std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_FALSE(Has(lines[1], "\"experiments\"")) << lines[1];
  EXPECT_TRUE(Has(lines[2], "\"experiments\":{\"exp\":\"" + during.experiments[0].variant))
      << lines[2];
  EXPECT_TRUE(Has(lines[2], "\"variant\":\"experiment\"")) << lines[2];
  EXPECT_TRUE(Has(lines[2], "\"model_version\":\"v-exp\"")) << lines[2];
  EXPECT_FALSE(Has(lines[3], "\"experiments\"")) << lines[3];
}

}  // namespace
}  // namespace reco::service

namespace reco::service {
namespace {

TEST_F(RecommendServiceTest, NewUsersGetTheExplorationMixLoggedUnderTheRoute) {
  primary_.Set(MakeBundle(*state_, "v1", /*popularity=*/true));
  // u1 liked i1 (one positive: enough with min_history 1); "newcomer" has none.
  Explorer explorer(*state_, *recommender_, clock_,
                    ExploreOptions{.min_history = 1, .share = 0, .refresh_seconds = 0, .seed = 3},
                    /*counts=*/{}, /*chosen=*/{});
  recommend_->SetExplorer(&explorer);

  auto mixed = recommend_->Recommend({.request_id = "req-new", .user_id = "newcomer", .n = 2});
  auto usual = recommend_->Recommend({.request_id = "req-old", .user_id = "u1", .n = 2});
  recommend_->SetExplorer(nullptr);  // the explorer dies first

  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(mixed->policy, kExplorePolicy);
  EXPECT_EQ(mixed->model_version, "v1");
  ASSERT_EQ(mixed->result.items.size(), 2u);
  EXPECT_EQ(mixed->result.items[0].id, "i1");  // the most liked book
  ASSERT_TRUE(usual.ok()) << usual.status().ToString();
  EXPECT_EQ(usual->policy, "");
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(Has(lines[0], "\"request_id\":\"req-new\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"recommend\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"user_id\":\"newcomer\"")) << lines[0];
  // Logged, but only the collaborative answer counts for the canary guardrails.
  EXPECT_EQ(rollout_->Counts("v1", ServingVariant::kPrimary).exposures, 1);
}

}  // namespace
}  // namespace reco::service
