#include "console/console_assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace reco::console {
namespace {

std::string ReadSourceAsset(const std::string& name) {
  std::ifstream in(std::filesystem::path(RECO_SOURCE_DIR) / "src/console/assets" / name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConsoleAssets, EveryFileOfTheAssetsFolderIsEmbeddedByteForByte) {
  size_t on_disk = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(RECO_SOURCE_DIR) /
                                           "src/console/assets")) {
    ++on_disk;
    const std::string name = entry.path().filename().string();
    const Asset* asset = FindAsset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_EQ(asset->body, ReadSourceAsset(name)) << name;
    EXPECT_EQ(asset->etag.size(), 18u) << name;
    EXPECT_EQ(asset->etag.front(), '"');
    EXPECT_EQ(asset->etag.back(), '"');
  }
  EXPECT_EQ(AllAssets().size(), on_disk);
  EXPECT_GT(on_disk, 0u);
}

TEST(ConsoleAssets, IndexIsHtmlAndUnknownNamesAreNotFound) {
  const Asset* index = FindAsset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<html"), std::string_view::npos);
  EXPECT_EQ(FindAsset("missing.js"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("../index.html"), nullptr);
}

}  // namespace
}  // namespace reco::console
