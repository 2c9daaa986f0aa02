// User-to-item vector recall on a real `reco serve` (docs/content.md): after `reco train` (the
// built-in text embedder is on by default) a scenario with the source "vector" recommends items
// close to the user's recent likes — a brand-new item among them at once, without retraining —
// and content.user_recall_share gives vector recall a share of the plain route.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

std::string ItemJson(const std::string& id, const std::string& title, const std::string& genre) {
  return R"({"ItemId":")" + id + R"(","Categories":[")" + genre + R"("],"Labels":{"title":")" +
         title + R"("},"Timestamp":"2024-01-01T00:00:00Z"})";
}

std::string Like(const std::string& user, const std::string& item) {
  return R"({"FeedbackType":"like","UserId":")" + user + R"(","ItemId":")" + item +
         R"(","Timestamp":"2024-01-02T00:00:00Z"})";
}

class VectorRecallTest : public ::testing::Test {
 protected:
  void Start(Env env = {}) {
    data_ = dir_.path() / "data";
    fs::create_directories(data_);
    ASSERT_EQ(server_.Start(data_, {.env = std::move(env), .args = {"--init"}}), "");
    client_ = std::make_unique<HttpClient>(server_.port());
    // Three families of titles; users like items within a family.
    std::string items = "[";
    std::string feedback = "[";
    const std::vector<std::pair<std::string, std::string>> families = {
        {"Star Wars Episode", "scifi"}, {"Toy Story Part", "animation"}, {"红楼梦 第", "novel"}};
    for (const auto& [title, genre] : families) {
      for (int k = 1; k <= 6; ++k) {
        if (items.size() > 1) items += ",";
        items += ItemJson(genre + std::to_string(k), title + " " + std::to_string(k), genre);
        for (int u = 0; u < 4; ++u) {
          if (feedback.size() > 1) feedback += ",";
          feedback += Like(genre + "_user" + std::to_string(u), genre + std::to_string(k));
        }
      }
    }
    ASSERT_EQ(client_->Post("/api/items", items + "]").status, 200);
    ASSERT_EQ(client_->Post("/api/feedback", feedback + "]").status, 200);
    const fs::path log = dir_.path() / "train.log";
    ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log).Ok()) << ReadFile(log);
    HttpResult r = client_->Post("/models/reload", "");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  TempDataDir dir_{"vector_recall"};
  fs::path data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(VectorRecallTest, ScenarioRecallsANewItemCloseToTheUsersLikes) {
  ASSERT_NO_FATAL_FAILURE(Start());
  HttpResult r = client_->Post(
      "/api/v1/scenarios",
      R"({"name":"similar_content","recall":[{"source":"vector","quota":50}],"fallback":[]})");
  ASSERT_EQ(r.status, 201) << r.body;
  // A new user who liked two Star Wars episodes; then a brand-new episode, in no model.
  ASSERT_EQ(client_->Post("/api/feedback", "[" + Like("fan", "scifi1") + "," +
                                               Like("fan", "scifi2") + "]")
                .status,
            200);
  r = client_->Post("/api/item", ItemJson("scifi_new", "Star Wars Episode 7", "scifi"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->Get("/api/recommend/fan?scenario=similar_content&n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids = StringArray(r.body);
  ASSERT_EQ(ids.size(), 5u) << r.body;
  for (const std::string& id : ids) {
    EXPECT_EQ(id.rfind("scifi", 0), 0u) << r.body;
    EXPECT_NE(id, "scifi1") << "seen items are not served: " << r.body;
    EXPECT_NE(id, "scifi2") << "seen items are not served: " << r.body;
  }
  EXPECT_NE(std::find(ids.begin(), ids.end(), "scifi_new"), ids.end()) << r.body;
  // A hidden item is never recalled.
  ASSERT_EQ(client_->Patch("/api/item/scifi_new", R"({"IsHidden":true})").status, 200);
  r = client_->Get("/api/recommend/fan?scenario=similar_content&n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  ids = StringArray(r.body);
  ASSERT_FALSE(ids.empty()) << r.body;
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "scifi_new"), ids.end()) << r.body;
  // A user without history: empty, and the reason says why.
  r = client_->Get("/api/recommend/stranger?scenario=similar_content&n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(StringArray(r.body).empty()) << r.body;
  EXPECT_NE(r.Header("x-reco-degraded").find("cold_user"), std::string::npos)
      << r.Header("x-reco-degraded");
}

TEST_F(VectorRecallTest, ShareOfThePlainRouteIsConfigurable) {
  ASSERT_NO_FATAL_FAILURE(Start({{"RECO_CONTENT_USER_RECALL_SHARE", "0.5"}}));
  // A user who has liked the whole Toy Story family: item-CF has nothing left to offer, and no
  // model knows the part posted now. Vector recall, with its share of the plain route, finds it
  // first; without it the chain would fill the page with popular items of other families.
  std::string likes = "[";
  for (int k = 1; k <= 6; ++k) {
    if (k > 1) likes += ",";
    likes += Like("kid", "animation" + std::to_string(k));
  }
  ASSERT_EQ(client_->Post("/api/feedback", likes + "]").status, 200);
  HttpResult r =
      client_->Post("/api/item", ItemJson("animation_new", "Toy Story Part 9", "animation"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->Get("/api/recommend/kid?n=4");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids = StringArray(r.body);
  ASSERT_EQ(ids.size(), 4u) << r.body;
  EXPECT_EQ(ids[0], "animation_new") << r.body;
}

}  // namespace
}  // namespace reco::itest
