// Item vectors end to end (docs/content.md) on a real `reco serve`: `reco train` fits the
// built-in text embedder with its default configuration; a brand-new item posted afterwards gets
// content neighbours at once, without retraining; supplied vectors are validated field by field
// and nothing of a refused batch is written.
#include <gtest/gtest.h>

#include <set>
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

class ContentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    fs::create_directories(data_);
    ASSERT_EQ(server_.Start(data_, {.args = {"--init"}}), "");
    client_ = std::make_unique<HttpClient>(server_.port());
    // Three families of titles, in English and in Chinese; users like items within a family.
    std::string items = "[";
    const std::vector<std::pair<std::string, std::string>> families = {
        {"Star Wars Episode", "scifi"}, {"Toy Story Part", "animation"}, {"红楼梦 第", "novel"}};
    int n = 0;
    for (const auto& [title, genre] : families) {
      for (int k = 1; k <= 6; ++k) {
        if (n++) items += ",";
        items += ItemJson(genre + std::to_string(k), title + " " + std::to_string(k), genre);
      }
    }
    items += "]";
    HttpResult r = client_->Post("/api/items", items);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string feedback = "[";
    int rows = 0;
    for (const auto& [title, genre] : families) {
      for (int u = 0; u < 4; ++u) {
        for (int k = 1; k <= 6; ++k) {
          if (rows++) feedback += ",";
          feedback += R"({"FeedbackType":"like","UserId":")" + genre + "_user" + std::to_string(u) +
                      R"(","ItemId":")" + genre + std::to_string(k) +
                      R"(","Timestamp":"2024-01-02T00:00:00Z"})";
        }
      }
    }
    feedback += "]";
    r = client_->Post("/api/feedback", feedback);
    ASSERT_EQ(r.status, 200) << r.body;
    const fs::path log = dir_.path() / "train.log";
    ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log).Ok()) << ReadFile(log);
    const std::string trained = ReadFile(log);
    ASSERT_NE(trained.find("textvec"), std::string::npos) << trained;
    r = client_->Post("/models/reload", "");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  TempDataDir dir_{"content"};
  fs::path data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ContentTest, ANewItemGetsContentNeighboursWithoutRetraining) {
  // Trained items with collaborative data answer from item-CF.
  HttpResult r = client_->Get("/api/item/scifi1/neighbors?n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-source"), "collaborative");
  ASSERT_FALSE(ScoreIds(r.body).empty()) << r.body;

  // A brand-new item: no feedback, not in any model.
  r = client_->Post("/api/item", ItemJson("scifi_new", "Star Wars Episode 7", "scifi"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->Get("/api/item/scifi_new/neighbors?n=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-source"), "text");
  std::vector<std::string> ids = ScoreIds(r.body);
  ASSERT_EQ(ids.size(), 5u) << r.body;
  for (const std::string& id : ids) EXPECT_EQ(id.rfind("scifi", 0), 0u) << r.body;
  // Collaborative alone has nothing for it.
  r = client_->Get("/api/item/scifi_new/neighbors?n=5&source=collaborative");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ScoreIds(r.body).empty()) << r.body;

  // Chinese titles without a word segmenter.
  r = client_->Post("/api/item", ItemJson("novel_new", "红楼梦 第 9", "novel"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->Get("/api/item/novel_new/neighbors?n=3&source=content");
  ASSERT_EQ(r.status, 200) << r.body;
  ids = ScoreIds(r.body);
  ASSERT_EQ(ids.size(), 3u) << r.body;
  for (const std::string& id : ids) EXPECT_EQ(id.rfind("novel", 0), 0u) << r.body;

  // A hidden item is never a neighbour; a deleted one leaves the index.
  ASSERT_EQ(client_->Patch("/api/item/scifi2", R"({"IsHidden":true})").status, 200);
  ASSERT_EQ(client_->Delete("/api/item/scifi3").status, 200);
  r = client_->Get("/api/item/scifi_new/neighbors?n=10&source=text");
  ASSERT_EQ(r.status, 200) << r.body;
  ids = ScoreIds(r.body);
  ASSERT_FALSE(ids.empty()) << r.body;
  for (const std::string& id : ids) {
    EXPECT_NE(id, "scifi2") << r.body;
    EXPECT_NE(id, "scifi3") << r.body;
  }
}

TEST_F(ContentTest, SourceIsValidated) {
  HttpResult r = client_->Get("/api/item/scifi1/neighbors?source=bogus");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("source"), std::string::npos) << r.body;
  // No item has a CLIP vector here (tests/integration/item_images_test.cc writes some).
  r = client_->Get("/api/item/scifi1/neighbors?source=clip");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ScoreIds(r.body).empty()) << r.body;
  EXPECT_EQ(r.Header("x-reco-degraded"), "content_vector_missing");
}

TEST_F(ContentTest, SuppliedVectorsAreValidatedAndServed) {
  HttpResult r = client_->Put("/api/item/scifi1/vector", R"({"Vector":[1,0,0]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->Put("/api/items/vectors", R"([{"ItemId":"scifi2","Vector":[0.9,0.1,0]},)"
                                         R"({"ItemId":"animation1","Vector":[0,0,1]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  // Wrong dimension: 400 naming the field, and nothing of the batch is written.
  r = client_->Put(
      "/api/items/vectors",
      R"([{"ItemId":"animation2","Vector":[0,1,0]},{"ItemId":"animation3","Vector":[0,1]}])");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("[1].Vector"), std::string::npos) << r.body;
  r = client_->Get("/api/item/animation2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("embedding"), std::string::npos) << "half a batch was written: " << r.body;
  // Values that are no finite numbers, and an unknown item.
  r = client_->Put("/api/item/animation2/vector", R"({"Vector":[1,"x",0]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("Vector[1]"), std::string::npos) << r.body;
  r = client_->Put("/api/item/animation2/vector", R"({"Vector":[1e300,0,0]})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = client_->Put("/api/item/no_such_item/vector", R"({"Vector":[1,0,0]})");
  EXPECT_EQ(r.status, 404) << r.body;
  // Gorse's convention on an item write: the labels' embedding, validated the same way.
  r = client_->Post("/api/item", R"({"ItemId":"toy9","Labels":{"title":"x","embedding":[0,0]}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("Labels.embedding"), std::string::npos) << r.body;
  r = client_->Post("/api/item",
                    R"({"ItemId":"toy9","Labels":{"title":"x","embedding":[0.1,0,0.95]}})");
  ASSERT_EQ(r.status, 200) << r.body;

  // The supplied vectors answer at once: scifi2 is scifi1's nearest, then toy9.
  r = client_->Get("/api/item/scifi1/neighbors?n=2&source=supplied");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-source"), "supplied");
  EXPECT_EQ(ScoreIds(r.body), (std::vector<std::string>{"scifi2", "toy9"})) << r.body;
  // And the labels hold them, the title kept.
  r = client_->Get("/api/item/scifi1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("embedding"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Star Wars Episode 1"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace reco::itest
