#include "service/realtime_service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

bool Has(const std::string& line, const std::string& needle) {
  return line.find(needle) != std::string::npos;
}

std::string Ids(const RecommendResponse& response) {
  std::string out;
  for (const ScoredId& item : response.result.items) {
    out += item.id + "=" + std::to_string(static_cast<int>(item.score)) + " ";
  }
  return out;
}

// The fixture's services with the real-time counters of the default configuration plus one
// leaderboard, fed by the feedback service and the rollout as in reco serve.
class RealtimeServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    RecoConfig config;
    config.realtime.leaderboards = {{"liked_1h", "1h", {"like"}}};
    Result<RealtimeOptions> options = RealtimeOptionsFromConfig(config);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    auto made = Realtime::Create(*std::move(options), clock_);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    realtime_ = std::move(made).value();
    recommend_.reset();
    feedback_.reset();
    rollout_ = std::make_unique<Rollout>(*models_, *recommender_, *state_, RecommenderOptions{},
                                         log_.get(), metrics_, clock_,
                                         RolloutOptions{.realtime = realtime_.get()});
    MakeServices({.realtime = realtime_.get()});
    service_ = std::make_unique<RealtimeService>(realtime_.get(), *state_, primary_, *rollout_);
    ASSERT_NO_FATAL_FAILURE(PutLikedBooks());  // like: i1 twice, i2 once
  }

  std::unique_ptr<Realtime> realtime_;
  std::unique_ptr<RealtimeService> service_;
};

TEST_F(RealtimeServiceTest, PopularInAWindowServesTheHotItems) {
  Result<RecommendResponse> hot = service_->Popular({.request_id = "r1", .name = "1h", .n = 10});
  ASSERT_TRUE(hot.ok()) << hot.status().ToString();
  EXPECT_EQ(Ids(*hot), "i1=2 i2=1 ");
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"popular@1h\"")) << lines[0];
  EXPECT_TRUE(Has(lines[0], "\"request_id\":\"r1\"")) << lines[0];

  // The hour slides: the likes written at kT0 leave the hour window, not the day's.
  clock_.Advance(3600 * kMicrosPerSecond);
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .n = 10})), "");
  EXPECT_EQ(Ids(*service_->Popular({.name = "24h", .n = 10})), "i1=2 i2=1 ");
}

TEST_F(RealtimeServiceTest, ListsLeaveOutSeenHiddenAndOtherCategoryItems) {
  // u1 liked i1: left out for u1.
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .user_id = "u1", .n = 10})), "i2=1 ");
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .n = 10, .offset = 1})), "i2=1 ");
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .category = "books", .n = 1})), "i1=2 ");
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .category = "films", .n = 10})), "");
  ASSERT_TRUE(catalogue_->PatchItem("i1", {.is_hidden = true}).ok());
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .n = 10})), "i2=1 ");
}

TEST_F(RealtimeServiceTest, NamedLeaderboardsAndUnknownNames) {
  std::vector<Feedback> clicks = {Row("click", "u3", "i3"), Row("click", "u4", "i3"),
                                  Row("click", "u5", "i3")};
  ASSERT_TRUE(feedback_->Write({.rows = clicks}).ok());
  // liked_1h counts likes only; the hot list every positive type.
  EXPECT_EQ(Ids(*service_->NonPersonalized({.name = "liked_1h", .n = 10})), "i1=2 i2=1 ");
  EXPECT_EQ(Ids(*service_->Popular({.name = "1h", .n = 10})), "i3=3 i1=2 i2=1 ");
  EXPECT_EQ(service_->NonPersonalized({.name = "nope"}).status().code(), StatusCode::kNotFound);
  Result<RecommendResponse> bad = service_->Popular({.name = "2h"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "window");
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(Has(lines[0], "\"scenario\":\"non-personalized/liked_1h\"")) << lines[0];
}

TEST_F(RealtimeServiceTest, ServedListsAndClicksMakeTheReport) {
  auto served = recommend_->Recommend({.request_id = "r2", .user_id = "u9", .n = 3});
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_EQ(served->result.items.size(), 3u);  // latest items: no model is loaded
  const std::string clicked = served->result.items[1].id;
  clock_.Advance(10 * kMicrosPerSecond);
  ASSERT_TRUE(feedback_->Write({.rows = std::vector<Feedback>{Row("click", "u9", clicked)}}).ok());

  Result<RealtimeReport> scenarios = service_->Report("1h", "scenario", 10);
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  ASSERT_EQ(scenarios->rows.size(), 1u);
  EXPECT_EQ(scenarios->rows[0].key, "recommend");
  EXPECT_EQ(scenarios->rows[0].impressions, 3);
  EXPECT_EQ(scenarios->rows[0].clicks, 1);

  Result<RealtimeReport> versions = service_->Report("", "model_version", 10);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->window, "1h");  // the first window by default
  ASSERT_EQ(versions->rows.size(), 1u);
  EXPECT_EQ(versions->rows[0].key, "");  // no model loaded
  EXPECT_EQ(versions->rows[0].clicks, 1);

  Result<RealtimeReport> items = service_->Report("decay", "", 10);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->by, RealtimeDimension::kItem);
  EXPECT_EQ(items->rows.size(), 3u);
  EXPECT_EQ(service_->Report("1h", "user", 10).status().field(), "by");
}

using RealtimeServiceOffTest = testing::ServiceFixture;

TEST_F(RealtimeServiceOffTest, AnswersClearly) {
  RealtimeService service(nullptr, *state_, primary_, *rollout_);
  EXPECT_FALSE(service.enabled());
  EXPECT_EQ(service.Popular({.name = "1h"}).status().field(), "window");
  EXPECT_EQ(service.NonPersonalized({.name = "x"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service.Report("1h", "item", 10).status().code(), StatusCode::kUnavailable);
}

TEST(RealtimeOptionsFromConfig, DefaultsToThePositiveTypes) {
  RecoConfig config;
  config.recommend.feedback_types.positive = {"star"};
  config.realtime.click_feedback_types = {"click"};
  Result<RealtimeOptions> o = RealtimeOptionsFromConfig(config);
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o->windows.size(), 2u);
  EXPECT_EQ(o->windows[0].name, "1h");
  EXPECT_EQ(o->windows[0].bucket_s, 60);
  EXPECT_EQ(o->windows[1].name, "24h");
  EXPECT_EQ(o->windows[1].bucket_s, 600);
  EXPECT_EQ(o->hot_types, std::vector<std::string>{"star"});
  EXPECT_EQ(o->click_types, std::vector<std::string>{"click"});
  EXPECT_EQ(o->half_life_s, 3600);
}

}  // namespace
}  // namespace reco::service
