#include "service/scenario_service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/testing/service_fixture.h"

namespace reco::service {
namespace {

class ScenarioServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(PutLikedBooks());
    scenarios_ = std::make_unique<ScenarioService>(*store_, *recommend_, clock_);
  }

  static ScenarioConfig Config(std::string_view json) {
    Result<ScenarioConfig> config = ParseNewScenario(json);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return config.ok() ? *config : ScenarioConfig{};
  }

  std::vector<std::string> Ids(std::string_view scenario, std::string_view user, int n,
                               std::string_view session = "") {
    ScenarioRecommendRequest request{.base = {.request_id = "r", .user_id = user, .n = n},
                                     .session = session};
    Result<RecommendResponse> response = scenarios_->Recommend(scenario, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    std::vector<std::string> out;
    if (response.ok()) {
      for (const ScoredId& item : response->result.items) out.push_back(item.id);
    }
    return out;
  }

  std::unique_ptr<ScenarioService> scenarios_;
};

TEST_F(ScenarioServiceTest, AChangeAppliesToTheNextRequest) {
  const TimestampUs created_at = clock_.NowMicros();
  auto created = scenarios_->Create(
      Config(R"({"name":"home","recall":[{"source":"popular"}],"fallback":[]})"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->created, created_at);
  EXPECT_EQ(Ids("home", "nobody", 5), (std::vector<std::string>{"i1", "i2"}));
  EXPECT_EQ(scenarios_->Create(Config(R"({"name":"home","recall":[{"source":"latest"}]})"))
                .status()
                .code(),
            StatusCode::kAlreadyExists);

  ASSERT_TRUE(scenarios_
                  ->Replace(Config(R"({"name":"home","recall":[{"source":"latest","quota":2}],
                                      "fallback":[]})"))
                  .ok());
  EXPECT_EQ(Ids("home", "nobody", 5), (std::vector<std::string>{"i0", "i1"}));

  ASSERT_TRUE(scenarios_->Delete("home").ok());
  Result<RecommendResponse> gone = scenarios_->Recommend("home", {});
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("\"home\""), std::string::npos);
  EXPECT_EQ(scenarios_->Delete("home").code(), StatusCode::kNotFound);
  EXPECT_EQ(scenarios_->Replace(Config(R"({"name":"home","recall":[{"source":"latest"}]})"))
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_F(ScenarioServiceTest, SessionPagesAndTheExposureLogNameTheScenario) {
  ASSERT_TRUE(scenarios_->Create(Config(R"({"name":"feed","recall":[{"source":"latest"}]})")).ok());
  EXPECT_EQ(Ids("feed", "u9", 2, "s"), (std::vector<std::string>{"i0", "i1"}));
  EXPECT_EQ(Ids("feed", "u9", 2, "s"), (std::vector<std::string>{"i2", "i3"}));
  EXPECT_EQ(Ids("feed", "u9", 2, "other"), (std::vector<std::string>{"i0", "i1"}));
  EXPECT_EQ(Ids("feed", "u9", 2), (std::vector<std::string>{"i0", "i1"}));  // no session
  std::vector<std::string> lines = ExposureLines();
  ASSERT_EQ(lines.size(), 4u);
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("\"scenario\":\"feed\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"user_id\":\"u9\""), std::string::npos) << line;
  }
}

TEST_F(ScenarioServiceTest, AStoredScenarioThatNoLongerParsesIsAnInternalError) {
  ASSERT_TRUE(
      store_->InsertScenario({"old", R"({"recall":[{"source":"retired_source"}]})", 1, 1}).ok());
  Result<ScenarioInfo> got = scenarios_->Get("old");
  EXPECT_EQ(got.status().code(), StatusCode::kInternal);
  EXPECT_NE(got.status().message().find("\"old\""), std::string::npos);
  EXPECT_EQ(scenarios_->List().status().code(), StatusCode::kInternal);
}

TEST_F(ScenarioServiceTest, TemplatesAreListedAndFound) {
  ASSERT_EQ(scenarios_->Templates().size(), 3u);
  EXPECT_TRUE(scenarios_->Template("new_user_onboarding").ok());
  EXPECT_EQ(scenarios_->Template("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::service
