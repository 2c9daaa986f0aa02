#include "content/image_vectors.h"

#include <gtest/gtest.h>

#include "content/vectors.h"

namespace reco::content {
namespace {

TEST(ResolveImagePath, PathsAndUrlsAreLookedUpUnderTheImageFolder) {
  const std::filesystem::path dir = "/srv/images";
  EXPECT_EQ(*ResolveImagePath(dir, "p/42.jpg"), "/srv/images/p/42.jpg");
  EXPECT_EQ(*ResolveImagePath(dir, "/mnt/other/42.png"), "/mnt/other/42.png");
  // A CDN URL: its path under the folder, without host, query or fragment.
  EXPECT_EQ(*ResolveImagePath(dir, "https://cdn.example.com/p/42.jpg?w=200#x"),
            "/srv/images/p/42.jpg");
  EXPECT_EQ(*ResolveImagePath(dir, "http://cdn/a.png"), "/srv/images/a.png");

  for (const char* bad : {"", "../etc/passwd", "p/../../x.jpg", "https://cdn.example.com",
                          "s3://bucket/x.jpg", "https://cdn/../x.jpg"}) {
    Result<std::filesystem::path> r = ResolveImagePath(dir, bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Labels, StringLabelAndWithoutLabel) {
  EXPECT_EQ(StringLabel(R"({"image":"a.jpg","n":1})", "image"), "a.jpg");
  EXPECT_EQ(StringLabel(R"({"n":1})", "image"), std::nullopt);
  EXPECT_EQ(StringLabel(R"({"image":3})", "image"), std::nullopt);
  EXPECT_EQ(StringLabel(R"(["image"])", "image"), std::nullopt);
  EXPECT_EQ(WithoutLabel(R"({"a":1,"clip_embedding":[1,2],"b":"x"})", "clip_embedding"),
            R"({"a":1,"b":"x"})");
  EXPECT_EQ(WithoutLabel(R"({"a":1})", "clip_embedding"), R"({"a":1})");
  EXPECT_EQ(WithoutLabel("null", "clip_embedding"), "null");
}

}  // namespace
}  // namespace reco::content
