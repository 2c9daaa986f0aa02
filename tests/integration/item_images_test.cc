// CLIP image vectors end to end (docs/content.md) on a real `reco serve`: items name their images
// in a label, the item_images job embeds them with the tiny CLIP model of the ctest fixture
// clip_reference (src/clip/clip_reference.py, random weights of ViT-B/32's architecture), writes
// each vector into the item's `clip_embedding` label, and the server answers
// `/api/item/{id}/neighbors?source=clip` from them at once. A second run embeds only what
// changed; an item that stops naming an image loses its vector; a missing file is skipped and
// reported.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// The clip_embedding label of an item as numbers (empty when absent).
std::vector<double> ClipVector(HttpClient& client, const std::string& item) {
  std::vector<double> out;
  HttpResult r = client.Get("/api/item/" + item);
  if (r.status != 200) return out;
  Json doc(r.body);
  simdjson::dom::array array;
  if (doc["Labels"]["clip_embedding"].get_array().get(array) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : array) {
    double v = 0;
    if (e.get_double().get(v) == simdjson::SUCCESS) out.push_back(v);
  }
  return out;
}

// The item's labels without `key`, as JSON (its other labels, the clip vector included, kept).
std::string LabelsWithout(HttpClient& client, const std::string& item, std::string_view key) {
  Json doc(client.Get("/api/item/" + item).body);
  simdjson::dom::object labels;
  if (doc["Labels"].get_object().get(labels) != simdjson::SUCCESS) return "{}";
  std::string out = "{";
  for (auto field : labels) {
    if (field.key == key) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + std::string(field.key) + "\":" + simdjson::minify(field.value);
  }
  return out + "}";
}

// Triggers item_images and waits (bounded) for its end; the run's final JSON.
std::string RunItemImages(HttpClient& client) {
  HttpResult r = client.Post("/api/v1/jobs/item_images/run", "");
  if (r.status != 202) return "trigger answered " + std::to_string(r.status) + ": " + r.body;
  int64_t id = -1;
  if (Json(r.body)["run_id"].get_int64().get(id) != simdjson::SUCCESS) return r.body;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
  while (SteadyClock::now() < deadline) {
    r = client.Get("/api/v1/jobs/runs/" + std::to_string(id));
    const std::string status = StringField(Json(r.body).root(), "status");
    if (status != "queued" && status != "running") return r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "still running: " + r.body;
}

std::string ItemJson(const std::string& id, const std::string& image) {
  return R"({"ItemId":")" + id + R"(","Categories":["shop"],"Labels":{"title":"item )" + id +
         R"(","image":")" + image + R"("},"Timestamp":"2024-01-01T00:00:00Z"})";
}

class ItemImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* ref = std::getenv("RECO_CLIP_REFERENCE_DIR");
    if (ref == nullptr || !fs::exists(fs::path(ref) / "model" / "model.safetensors")) {
      GTEST_SKIP() << "the clip_reference fixture did not write a model (python3-torch missing?)";
    }
    model_ = fs::path(ref) / "model";
    images_ = dir_.path() / "images";
    fs::create_directories(images_ / "cdn");
    for (const char* name : {"rgb.png", "rgba.png", "gray.png", "palette.png"}) {
      fs::copy_file(fs::path(ref) / "images" / name, images_ / name);
    }
    fs::copy_file(fs::path(ref) / "images" / "gray16.png", images_ / "cdn" / "gray16.png");
    data_ = dir_.path() / "data";
    fs::create_directories(data_);
    ASSERT_EQ(server_.Start(data_, {.env = {{"CLIP_MODEL_PATH", model_.string()},
                                            {"RECO_CONTENT_IMAGE_DIR", images_.string()},
                                            {"RECO_WORKER_MAX_RETRIES", "0"}},
                                    .args = {"--init"}}),
              "");
    client_ = std::make_unique<HttpClient>(server_.port());
  }

  TempDataDir dir_{"reco_itest_item_images"};
  fs::path model_, images_, data_;
  TestServer server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ItemImagesTest, EmbedsChangedImagesAndServesClipNeighbours) {
  std::string items = "[" + ItemJson("red", "rgb.png") + "," + ItemJson("red2", "rgba.png") + "," +
                      ItemJson("grey", "gray.png") + "," + ItemJson("pal", "palette.png") + "," +
                      // a CDN URL: its path is looked up under the image folder
                      ItemJson("web", "https://cdn.example.com/cdn/gray16.png?w=200") + "," +
                      ItemJson("lost", "missing.png") + "]";
  HttpResult r = client_->Post("/api/items", items);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(client_->Post("/api/item", R"({"ItemId":"plain","Labels":{"title":"no image"}})").status,
            200);

  // Before any run: no clip vectors, a clear degraded answer (not an error).
  r = client_->Get("/api/item/red/neighbors?source=clip");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ScoreIds(r.body).empty()) << r.body;
  EXPECT_NE(r.Header("x-reco-degraded").find("content_vector_missing"), std::string::npos);

  std::string run = RunItemImages(*client_);
  ASSERT_EQ(StringField(Json(run).root(), "status"), "succeeded") << run << server_.log();
  const std::string log = server_.log();
  EXPECT_NE(log.find("event=item_images_done items_with_image=6 embedded=5 unchanged=0 "
                     "removed=0 failed=1"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("event=item_image_skipped item_id=lost"), std::string::npos) << log;

  const std::vector<double> red = ClipVector(*client_, "red");
  ASSERT_FALSE(red.empty());
  double norm = 0;
  for (double v : red) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-3);
  EXPECT_EQ(ClipVector(*client_, "web").size(), red.size());
  EXPECT_TRUE(ClipVector(*client_, "lost").empty());
  EXPECT_TRUE(ClipVector(*client_, "plain").empty());

  // Served at once, without a reload: every other embedded item, best first.
  r = client_->Get("/api/item/red/neighbors?source=clip&n=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-source"), "clip");
  std::vector<std::string> ids = ScoreIds(r.body);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"grey", "pal", "red2", "web"})) << r.body;
  // `content` takes the clip vector for an item without a supplied one.
  r = client_->Get("/api/item/red/neighbors?source=content&n=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-reco-source"), "clip");

  // Nothing changed: nothing embedded again.
  run = RunItemImages(*client_);
  ASSERT_EQ(StringField(Json(run).root(), "status"), "succeeded") << run;
  EXPECT_NE(server_.log().find("embedded=0 unchanged=5 removed=0 failed=1"), std::string::npos)
      << server_.log();

  // A replaced image file is embedded again; an item that no longer names an image loses its
  // vector and leaves the clip neighbours.
  fs::copy_file(images_ / "palette.png", images_ / "rgb.png", fs::copy_options::overwrite_existing);
  fs::last_write_time(images_ / "rgb.png",
                      fs::last_write_time(images_ / "rgb.png") + std::chrono::seconds(5));
  const std::string grey_labels = LabelsWithout(*client_, "grey", "image");
  ASSERT_NE(grey_labels.find("clip_embedding"), std::string::npos) << grey_labels;
  ASSERT_EQ(client_->Patch("/api/item/grey", R"({"Labels":)" + grey_labels + "}").status, 200);
  EXPECT_FALSE(ClipVector(*client_, "grey").empty());  // until the job sees it
  run = RunItemImages(*client_);
  ASSERT_EQ(StringField(Json(run).root(), "status"), "succeeded") << run;
  EXPECT_NE(server_.log().find("embedded=1 unchanged=3 removed=1 failed=1"), std::string::npos)
      << server_.log();
  const std::vector<double> red_after = ClipVector(*client_, "red");
  const std::vector<double> pal = ClipVector(*client_, "pal");
  ASSERT_EQ(red_after.size(), pal.size());
  for (size_t i = 0; i < pal.size(); ++i) EXPECT_NEAR(red_after[i], pal[i], 1e-5) << i;
  EXPECT_TRUE(ClipVector(*client_, "grey").empty());
  r = client_->Get("/api/item/red/neighbors?source=clip&n=10");
  ids = ScoreIds(r.body);
  ASSERT_FALSE(ids.empty()) << r.body;
  EXPECT_EQ(ids.front(), "pal") << r.body;  // the same picture now
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "grey"), ids.end()) << r.body;

  // A vector of another dimension in the clip label is refused like a supplied one.
  r = client_->Patch("/api/item/plain", R"({"Labels":{"clip_embedding":[1,0]}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("Labels.clip_embedding"), std::string::npos) << r.body;
}

TEST(ItemImages, WithoutAModelFolderTheRunFailsNamingWhatIsMissing) {
  TempDataDir dir("reco_itest_item_images_nomodel");
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  fs::create_directories(dir.path() / "clip");  // a folder without the model's files
  TestServer unset;
  ASSERT_EQ(unset.Start(dir.path() / "a", {.env = {{"CLIP_MODEL_PATH", ""},
                                                  {"RECO_WORKER_MAX_RETRIES", "0"}},
                                          .args = {"--init"}}),
            "");
  HttpClient client(unset.port());
  std::string run = RunItemImages(client);
  EXPECT_EQ(StringField(Json(run).root(), "status"), "failed") << run;
  EXPECT_NE(StringField(Json(run).root(), "error").find("set content.clip_model_path"),
            std::string::npos)
      << run;

  TestServer broken;
  ASSERT_EQ(broken.Start(dir.path() / "b",
                         {.env = {{"CLIP_MODEL_PATH", (dir.path() / "clip").string()},
                                  {"RECO_WORKER_MAX_RETRIES", "0"}},
                          .args = {"--init"}}),
            "");
  HttpClient client2(broken.port());
  run = RunItemImages(client2);
  EXPECT_EQ(StringField(Json(run).root(), "status"), "failed") << run;
  EXPECT_NE(StringField(Json(run).root(), "error").find("missing config.json, model.safetensors"),
            std::string::npos)
      << run;
}

}  // namespace
}  // namespace reco::itest
