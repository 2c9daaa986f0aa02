#include "models/user_recs.h"

#include <gtest/gtest.h>

#include "data/testing/temp_dir.h"

namespace reco {
namespace {

UserRecsModel TwoUsers() {
  std::vector<std::vector<std::pair<uint32_t, float>>> lists = {{{2, 3.0f}, {0, 1.5f}}, {}};
  return std::move(UserRecsModel::Build({"u1", "u2"}, {"i0", "i1", "i2"}, lists, "rp3beta",
                                        {{"rp3beta.beta", "0.2"}}))
      .value();
}

TEST(UserRecs, BuildsListsPerUser) {
  UserRecsModel m = TwoUsers();
  ASSERT_EQ(m.num_users(), 2u);
  EXPECT_EQ(m.num_entries(), 2u);
  ASSERT_EQ(m.Items(0).size(), 2u);
  EXPECT_EQ(m.Items(0)[0], 2u);
  EXPECT_FLOAT_EQ(m.Scores(0)[1], 1.5f);
  EXPECT_TRUE(m.Items(1).empty());
  EXPECT_TRUE(m.Items(7).empty());
}

TEST(UserRecs, RejectsOutOfRangeItems) {
  std::vector<std::vector<std::pair<uint32_t, float>>> lists = {{{5, 1.0f}}};
  EXPECT_EQ(UserRecsModel::Build({"u"}, {"i0"}, lists, "x", {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(UserRecs, SaveLoadRoundTripKeepsListsAndProvenance) {
  testing::TempDir dir("user_recs");
  UserRecsModel m = TwoUsers();
  auto path = dir.path() / "recs.rmdl";
  ASSERT_TRUE(m.Save(path, 99).ok());
  Result<UserRecsModel> loaded = UserRecsModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->user_ids(), m.user_ids());
  EXPECT_EQ(loaded->item_ids(), m.item_ids());
  EXPECT_EQ(std::vector<uint32_t>(loaded->Items(0).begin(), loaded->Items(0).end()),
            (std::vector<uint32_t>{2, 0}));
  EXPECT_EQ(loaded->algorithm(), "rp3beta");
  ASSERT_EQ(loaded->settings().size(), 1u);
  EXPECT_EQ(loaded->settings()[0].second, "0.2");
  EXPECT_EQ(loaded->info().created, 99);
}

TEST(UserRecs, TruncatedPayloadIsDataLoss) {
  std::string payload = TwoUsers().Serialize();
  for (size_t cut : {size_t{0}, payload.size() / 2, payload.size() - 1}) {
    EXPECT_EQ(UserRecsModel::Deserialize(payload.substr(0, cut)).status().code(),
              StatusCode::kDataLoss)
        << cut;
  }
}

}  // namespace
}  // namespace reco
