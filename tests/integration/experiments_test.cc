// A/B experiments over REST on a real `reco serve`: create with validation, edit, start, ramp,
// assignment, results from exposure lines joined with feedback posted through the API, stop,
// delete; the admin guard on changes and the OpenAPI entries.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

constexpr const char* kKey = "experiments-admin-key";
const Headers kAdmin = {{"X-API-Key", kKey}};

std::string Definition(std::string_view id, double traffic, std::string_view weight = "1") {
  return R"({"id":")" + std::string(id) + R"(","name":"ranker test","layer":"home","traffic":)" +
         std::to_string(traffic) +
         R"(,"variants":[{"name":"control","weight":1,"target_kind":"scenario","target":"home_feed"},)"
         R"({"name":"treatment","weight":)" +
         std::string(weight) +
         R"(,"target_kind":"model_version","target":"run-2"}],"click_types":["click"],)"
         R"("conversion_types":["purchase"]})";
}

// Appends `lines` to the live exposure log the way the recommend path writes it (O_APPEND, whole
// lines), while the server holds it open.
void AppendExposureLines(const std::filesystem::path& data_dir, const std::string& lines) {
  const auto path = data_dir / "evaluation" / "exposure_log.jsonl";
  std::filesystem::create_directories(path.parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
  ::close(fd);
}

class ExperimentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = server_.Start(dir_.path(), {.env = {{"RECO_SERVER_API_KEY", kKey}}});
    ASSERT_EQ(error, "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }
  void TearDown() override {
    client_.reset();
    server_.Stop(SIGTERM);
  }

  TempDataDir dir_{"experiments"};
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ExperimentsTest, BadInputIsA400NamingTheFieldAndWritesNothing) {
  HttpResult r = client_->Post("/api/v1/experiments", Definition("exp1", 0.5, "0"), kAdmin);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorField(r.body), "variants[1].weight");
  EXPECT_EQ(ErrorMessage(r.body), "variants[1].weight: must be > 0");
  r = client_->Post("/api/v1/experiments", R"({"id":"exp1","colour":"red"})", kAdmin);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r.body), "colour");
  r = client_->Post("/api/v1/experiments", Definition("exp1", 1.5), kAdmin);
  EXPECT_EQ(ErrorField(r.body), "traffic");
  r = client_->Post("/api/v1/experiments", R"({"variants":[{"name":1}]})", kAdmin);
  EXPECT_EQ(ErrorField(r.body), "variants[0].name");
  r = client_->Post("/api/v1/experiments", "[1]", kAdmin);
  EXPECT_EQ(ErrorField(r.body), "body");
  r = client_->Get("/api/v1/experiments", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonArraySize(Json(r.body)["experiments"]), 0);
}

TEST_F(ExperimentsTest, ChangesNeedTheAdminKey) {
  HttpResult r = client_->Post("/api/v1/experiments", Definition("exp1", 0.5));
  EXPECT_EQ(r.status, 401) << r.body;
  r = client_->Post("/api/v1/experiments", Definition("exp1", 0.5), {{"X-API-Key", "wrong"}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(client_->Get("/api/v1/experiments/exp1", kAdmin).status, 404);
  EXPECT_EQ(client_->Get("/api/v1/experiments").status, 401);  // reads take the API key
}

TEST_F(ExperimentsTest, LifecycleAssignmentAndResults) {
  HttpResult r = client_->Post("/api/v1/experiments", Definition("exp1", 0.2), kAdmin);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(StringField(Json(r.body).root(), "status"), "draft");
  EXPECT_EQ(client_->Post("/api/v1/experiments", Definition("exp1", 0.2), kAdmin).status, 409);
  // A draft is edited freely; the id comes from the path.
  r = client_->Put("/api/v1/experiments/exp1", Definition("exp1", 1.0), kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_DOUBLE_EQ(JsonNumber(Json(r.body)["traffic"]), 1.0);
  EXPECT_EQ(client_->Put("/api/v1/experiments/exp1", Definition("other", 1.0), kAdmin).status, 400);

  r = client_->Post("/api/v1/experiments/exp1/start", "", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StringField(Json(r.body).root(), "status"), "running");
  EXPECT_EQ(client_->Post("/api/v1/experiments/exp1/start", "", kAdmin).status, 409);
  r = client_->Put("/api/v1/experiments/exp1", Definition("exp1", 1.0, "2"), kAdmin);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorField(r.body), "variants");
  EXPECT_EQ(client_->Delete("/api/v1/experiments/exp1", kAdmin).status, 409);

  // Sticky assignment: every user is in the experiment (traffic 1) in one variant, every time.
  std::string lines;
  std::vector<std::string> feedback;
  const std::string exposed_at = TimeText(-600), clicked_at = TimeText(-300);
  for (int i = 0; i < 40; ++i) {
    const std::string user = "u" + std::to_string(i);
    r = client_->Get("/api/v1/experiments/assignment/" + user, kAdmin);
    ASSERT_EQ(r.status, 200) << r.body;
    Json body(r.body);
    ASSERT_EQ(JsonArraySize(body["assignments"]), 1) << r.body;
    const std::string variant = StringField(body["assignments"].at(0), "variant");
    EXPECT_EQ(
        StringField(
            Json(client_->Get("/api/v1/experiments/assignment/" + user, kAdmin).body)["assignments"]
                .at(0),
            "variant"),
        variant);
    lines += R"({"ts":")" + exposed_at + R"(","request_id":"r","user_id":")" + user +
             R"(","scenario":"home_feed","model_version":"m","variant":"primary",)"
             R"("experiments":{"exp1":")" +
             variant + R"("},"items":["i1","i2"]})" + "\n";
    // Treatment users all click i1; control users every other one.
    if (variant == "treatment" || i % 2 == 0)
      feedback.push_back(FeedbackJson("click", user, "i1", clicked_at));
    if (i % 4 == 0) feedback.push_back(FeedbackJson("purchase", user, "i9", clicked_at));
  }
  ASSERT_NO_FATAL_FAILURE(AppendExposureLines(dir_.path(), lines));
  std::string batch = "[";
  for (size_t i = 0; i < feedback.size(); ++i) batch += (i ? "," : "") + feedback[i];
  r = client_->Post("/api/feedback", batch + "]", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;

  r = client_->Get("/api/v1/experiments/exp1/results", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  Json results(r.body);
  ASSERT_EQ(JsonArraySize(results["variants"]), 2) << r.body;
  int64_t users = 0, exposures = 0, clicks = 0;
  for (size_t v = 0; v < 2; ++v) {
    simdjson::dom::element summary = results["variants"].at(v).value();
    users += summary["users"].get_int64().value();
    exposures += summary["exposures"].get_int64().value();
    clicks += summary["clicks"].get_int64().value();
  }
  EXPECT_EQ(users, 40);
  EXPECT_EQ(exposures, 40);
  EXPECT_GE(clicks, 20);
  EXPECT_DOUBLE_EQ(JsonNumber(results["variants"].at(1)["ctr"]), 1.0);
  ASSERT_EQ(JsonArraySize(results["comparisons"]), 1);
  EXPECT_EQ(StringField(results["comparisons"].at(0), "variant"), "treatment");
  EXPECT_GT(JsonNumber(results["comparisons"].at(0)["ctr"]["difference"]), 0.3);
  EXPECT_GE(JsonNumber(results["comparisons"].at(0)["ctr"]["sequential_p_value"]),
            JsonNumber(results["comparisons"].at(0)["ctr"]["p_value"]));
  EXPECT_DOUBLE_EQ(JsonNumber(results["variants"].at(1)["clicked_user_rate"]), 1.0);
  EXPECT_GE(JsonNumber(results["comparisons"].at(0)["conversions_per_exposure"]["p_value"]), 0);
  EXPECT_GE(JsonNumber(results["srm"]["p_value"]), 0);
  EXPECT_EQ(results["log"]["lines"].get_int64().value(), 40);

  r = client_->Post("/api/v1/experiments/exp1/stop", "", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StringField(Json(r.body).root(), "status"), "stopped");
  EXPECT_EQ(
      JsonArraySize(Json(client_->Get("/api/v1/experiments/assignment/u1", kAdmin).body)["assignments"]),
      0);
  EXPECT_EQ(client_->Get("/api/v1/experiments/exp1/results", kAdmin).status, 200);
  r = client_->Delete("/api/v1/experiments/exp1", kAdmin);
  EXPECT_EQ(RowAffected(r.body), 1) << r.body;
  EXPECT_EQ(client_->Get("/api/v1/experiments/exp1", kAdmin).status, 404);
  EXPECT_EQ(client_->Get("/api/v1/experiments/exp1/results", kAdmin).status, 404);
}

TEST_F(ExperimentsTest, ExperimentsSurviveARestartAndAreInTheOpenApiDocument) {
  ASSERT_EQ(client_->Post("/api/v1/experiments", Definition("exp1", 0.5), kAdmin).status, 201);
  ASSERT_EQ(client_->Post("/api/v1/experiments/exp1/start", "", kAdmin).status, 200);
  const std::string before = client_->Get("/api/v1/experiments/assignment/someone", kAdmin).body;
  client_.reset();
  ASSERT_TRUE(server_.Stop(SIGTERM).Ok());
  ASSERT_EQ(server_.Start(dir_.path(), {.env = {{"RECO_SERVER_API_KEY", kKey}}}), "");
  client_ = std::make_unique<HttpClient>(server_.port());
  EXPECT_EQ(client_->Get("/api/v1/experiments/assignment/someone", kAdmin).body, before);
  EXPECT_EQ(
      StringField(Json(client_->Get("/api/v1/experiments/exp1", kAdmin).body).root(), "status"),
      "running");
  const std::string openapi = client_->Get("/api/v1/openapi.json", kAdmin).body;
  for (std::string path : {"/api/v1/experiments\"", "/api/v1/experiments/{id}\"",
                           "/api/v1/experiments/{id}/start", "/api/v1/experiments/{id}/results",
                           "/api/v1/experiments/assignment/{user_id}", "ExperimentResults"}) {
    EXPECT_NE(openapi.find(path), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace reco::itest
