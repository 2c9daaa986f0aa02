#include "models/model_files.h"

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

Dataset TinyDataset(const std::string& extra_item) {
  DatasetBuilder b;
  b.AddItem("a", false, 5 * kMicrosPerSecond);
  b.AddItem(extra_item, false, 9 * kMicrosPerSecond);
  for (const std::string& item : {std::string("a"), extra_item}) {
    Feedback f;
    f.feedback_type = "like";
    f.user_id = "u";
    f.item_id = item;
    b.AddFeedback(f);
  }
  return std::move(b).Build();
}

TEST(ModelFiles, NameEncodesKindAndCreationTime) {
  Result<TimestampUs> ts = ParseTimestamp("2024-01-02T03:04:05.000006Z");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ModelFileName("itemcf", *ts), "itemcf-20240102T030405000006Z.rmdl");
  std::optional<ModelFile> parsed = ParseModelFileName("/x/itemcf-20240102T030405000006Z.rmdl");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->kind, "itemcf");
  EXPECT_EQ(parsed->created, *ts);
  for (const char* bad :
       {"itemcf-20240102T030405000006Z.rmdl.tmp.1.2", "itemcf.rmdl", "-20240102T030405000006Z.rmdl",
        "itemcf-20241302T030405000006Z.rmdl", "itemcf-2024010XT030405000006Z.rmdl",
        "Item-20240102T030405000006Z.rmdl"}) {
    EXPECT_FALSE(ParseModelFileName(bad).has_value()) << bad;
  }
}

TEST(ModelFiles, MissingDirectoryGivesAnEmptySet) {
  testing::TempDir dir("model_files");
  Result<ModelSet> set = LoadNewestModels(dir.path() / "absent");
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(set->popularity || set->latest || set->itemcf);
  EXPECT_TRUE(set->files.empty());
}

TEST(ModelFiles, LoadNewestSkipsACorruptNewestFile) {
  testing::TempDir dir("model_files");
  Dataset old_data = TinyDataset("old");
  Dataset new_data = TinyDataset("new");
  Result<LatestModel> old_latest = LatestModel::Fit(old_data, {});
  Result<LatestModel> new_latest = LatestModel::Fit(new_data, {});
  Result<ItemCfModel> itemcf = ItemCfModel::Fit(new_data, {});
  ASSERT_TRUE(old_latest.ok() && new_latest.ok() && itemcf.ok());
  const TimestampUs t1 = 1'700'000'000'000'000, t2 = t1 + 1, t3 = t1 + 2;
  ASSERT_TRUE(old_latest->Save(dir.path() / ModelFileName("latest", t1), t1).ok());
  ASSERT_TRUE(new_latest->Save(dir.path() / ModelFileName("latest", t2), t2).ok());
  ASSERT_TRUE(itemcf->Save(dir.path() / ModelFileName("itemcf", t2), t2).ok());
  // The newest latest file is truncated, as if a copy had been cut short.
  auto corrupt = dir.path() / ModelFileName("latest", t3);
  std::string bytes = *ReadFile(dir.path() / ModelFileName("latest", t2));
  ASSERT_TRUE(WriteFileAtomic(corrupt, bytes.substr(0, bytes.size() - 3)).ok());

  Result<ModelSet> set = LoadNewestModels(dir.path());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_TRUE(set->latest.has_value());
  EXPECT_EQ(set->latest->item_ids()[set->latest->Top()[0].item], "new");
  EXPECT_EQ(set->latest->info().created, t2);
  ASSERT_TRUE(set->itemcf.has_value());
  EXPECT_FALSE(set->popularity.has_value());
  ASSERT_EQ(set->rejected.size(), 1u);
  EXPECT_NE(set->rejected[0].find(corrupt.string()), std::string::npos);
  EXPECT_NE(set->rejected[0].find("truncated"), std::string::npos);
  EXPECT_EQ(set->files.size(), 2u);
  EXPECT_EQ(set->snapshot_id, new_data.snapshot_id());
  EXPECT_EQ(set->created, t2);
}

TEST(ModelFiles, RetentionKeepsTheNewestFilesPerKind) {
  testing::TempDir dir("model_files");
  Dataset d = TinyDataset("b");
  Result<LatestModel> latest = LatestModel::Fit(d, {});
  ASSERT_TRUE(latest.ok());
  for (TimestampUs t = 1; t <= 5; ++t) {
    ASSERT_TRUE(latest->Save(dir.path() / ModelFileName("latest", t), t).ok());
  }
  ASSERT_TRUE(latest->Save(dir.path() / ModelFileName("other", 1), 1).ok());
  Result<std::vector<std::filesystem::path>> removed = ApplyRetention(dir.path(), 3);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 2u);
  Result<std::vector<ModelFile>> files = ListModelFiles(dir.path());
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].created, 5);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ModelFileName("latest", 1)));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ModelFileName("latest", 2)));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / ModelFileName("latest", 3)));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / ModelFileName("other", 1)));
}

TEST(ModelFiles, LoadModelFilesLoadsExactlyTheGivenFiles) {
  testing::TempDir dir("model_files");
  Dataset old_data = TinyDataset("old");
  Dataset new_data = TinyDataset("new");
  Result<LatestModel> old_latest = LatestModel::Fit(old_data, {});
  Result<LatestModel> new_latest = LatestModel::Fit(new_data, {});
  ASSERT_TRUE(old_latest.ok() && new_latest.ok());
  const TimestampUs t1 = 1'700'000'000'000'000, t2 = t1 + 1;
  auto old_path = dir.path() / ModelFileName("latest", t1);
  auto new_path = dir.path() / ModelFileName("latest", t2);
  auto other = dir.path() / ModelFileName("ials", t1);  // a kind the server does not load
  ASSERT_TRUE(old_latest->Save(old_path, t1).ok());
  ASSERT_TRUE(new_latest->Save(new_path, t2).ok());
  ASSERT_TRUE(WriteFileAtomic(other, "not read").ok());

  // The older file although a newer one exists: a version is its own files.
  Result<ModelSet> set = LoadModelFiles({old_path, other});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_TRUE(set->latest.has_value());
  EXPECT_EQ(set->latest->item_ids()[set->latest->Top()[0].item], "old");
  EXPECT_EQ(set->files, std::vector<std::string>{old_path.string()});
  EXPECT_EQ(set->created, t1);

  Result<ModelSet> twice = LoadModelFiles({old_path, new_path});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("two model files of kind latest"), std::string::npos);
  Result<ModelSet> bad_name = LoadModelFiles({dir.path() / "latest.rmdl"});
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  Result<ModelSet> none = LoadModelFiles({other});
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  Result<ModelSet> missing = LoadModelFiles({dir.path() / ModelFileName("latest", t2 + 5)});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(ModelFileName("latest", t2 + 5)), std::string::npos)
      << missing.status().ToString();
}

}  // namespace
}  // namespace reco
