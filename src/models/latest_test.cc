#include "models/latest.h"

#include <gtest/gtest.h>

#include "data/testing/temp_dir.h"

namespace reco {
namespace {

Dataset LatestDataset() {
  DatasetBuilder b;
  b.AddItem("old", false, 10 * kMicrosPerSecond, {"x"});
  b.AddItem("new", false, 30 * kMicrosPerSecond, {"y"});
  b.AddItem("hidden", true, 99 * kMicrosPerSecond, {"x"});
  b.AddItem("mid_b", false, 20 * kMicrosPerSecond, {"x"});
  b.AddItem("mid_a", false, 20 * kMicrosPerSecond);
  return std::move(b).Build();
}

std::vector<std::string> Names(const LatestModel& m, std::string_view category = "") {
  std::vector<std::string> out;
  for (const ScoredItem& s : m.Top(category)) out.push_back(m.item_ids()[s.item]);
  return out;
}

TEST(Latest, OrdersByTimestampNewestFirstWithoutHiddenItems) {
  Result<LatestModel> m = LatestModel::Fit(LatestDataset(), LatestOptions{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Names(*m), (std::vector<std::string>{"new", "mid_a", "mid_b", "old"}));
  EXPECT_FLOAT_EQ(m->Top()[0].score, 30.0f);  // seconds
  EXPECT_EQ(Names(*m, "x"), (std::vector<std::string>{"mid_b", "old"}));
  EXPECT_EQ(Names(*m, "y"), (std::vector<std::string>{"new"}));
  EXPECT_TRUE(m->Top("z").empty());
}

TEST(Latest, ListSizeCapsEveryList) {
  Result<LatestModel> m = LatestModel::Fit(LatestDataset(), LatestOptions{.list_size = 2});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Names(*m), (std::vector<std::string>{"new", "mid_a"}));
  EXPECT_EQ(Names(*m, "x"), (std::vector<std::string>{"mid_b", "old"}));
  EXPECT_EQ(LatestModel::Fit(LatestDataset(), LatestOptions{.list_size = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Latest, SaveLoadGivesIdenticalLists) {
  Result<LatestModel> m = LatestModel::Fit(LatestDataset(), LatestOptions{});
  ASSERT_TRUE(m.ok());
  testing::TempDir dir("latest");
  auto path = dir.path() / "l.rmdl";
  ASSERT_TRUE(m->Save(path, 7).ok());
  Result<LatestModel> loaded = LatestModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Names(*loaded), Names(*m));
  EXPECT_EQ(Names(*loaded, "x"), Names(*m, "x"));
  EXPECT_EQ(loaded->Top()[0].score, m->Top()[0].score);
  EXPECT_EQ(loaded->categories(), (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace reco
