#include "data/dataset.h"

#include <gtest/gtest.h>

#include "data/testing/fake_store.h"

namespace reco {
namespace {

Feedback Fb(std::string type, std::string user, std::string item, TimestampUs ts) {
  Feedback f;
  f.feedback_type = std::move(type);
  f.user_id = std::move(user);
  f.item_id = std::move(item);
  f.timestamp = ts;
  return f;
}

std::vector<std::string> Ids(const Dataset& d, std::span<const uint32_t> items) {
  std::vector<std::string> out;
  for (uint32_t i : items) out.push_back(d.item_ids()[i]);
  return out;
}

testing::FakeStore SmallStore() {
  testing::FakeStore store;
  for (const char* id : {"u1", "u2", "u3"}) {
    User user;
    user.user_id = id;
    store.users.push_back(user);
  }
  Item a;
  a.item_id = "a";
  a.categories = {"x", "y", "x"};
  a.timestamp = 100;
  Item b;
  b.item_id = "b";
  b.is_hidden = true;
  b.categories = {"y"};
  Item c;
  c.item_id = "c";
  store.items = {a, b, c};
  store.feedback = {Fb("like", "u1", "a", 10),    Fb("star", "u1", "a", 30),
                    Fb("like", "u1", "b", 5),     Fb("read", "u2", "a", 40),
                    Fb("dislike", "u2", "c", 50), Fb("click", "u2", "c", 20),
                    Fb("mystery", "u3", "a", 99), Fb("like", "u4", "d", 15)};
  return store;
}

TEST(Dataset, FromStoreBuildsDeduplicatedCsrBothWays) {
  testing::FakeStore store = SmallStore();
  Result<Dataset> result = Dataset::FromStore(store, FeedbackTypes{});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Dataset& d = *result;
  EXPECT_EQ(d.num_users(), 4u);      // u4 comes from feedback
  EXPECT_EQ(d.num_items(), 4u);      // d comes from feedback
  EXPECT_EQ(d.num_positives(), 4u);  // (u1,a) (u1,b) (u2,c) (u4,d)
  uint32_t u1 = d.UserIndex("u1");
  ASSERT_NE(u1, Dataset::kNoIndex);
  EXPECT_EQ(Ids(d, d.UserItems(u1)), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(d.UserItemTimes(u1).size(), 2u);
  EXPECT_EQ(d.UserItemTimes(u1)[0], 30);  // latest of the two positives on a
  uint32_t a = d.ItemIndex("a");
  ASSERT_EQ(d.ItemUsers(a).size(), 1u);
  EXPECT_EQ(d.ItemUsers(a)[0], u1);
  EXPECT_EQ(d.ItemUserTimes(a)[0], 30);
  EXPECT_TRUE(d.UserItems(d.UserIndex("u3")).empty());
  EXPECT_EQ(d.ItemIndex("zzz"), Dataset::kNoIndex);
  EXPECT_TRUE(d.UserItems(1000).empty());
}

TEST(Dataset, RecordsItemAttributesCountsAndSnapshotId) {
  testing::FakeStore store = SmallStore();
  Result<Dataset> result = Dataset::FromStore(store, FeedbackTypes{});
  ASSERT_TRUE(result.ok());
  const Dataset& d = *result;
  uint32_t a = d.ItemIndex("a");
  uint32_t b = d.ItemIndex("b");
  EXPECT_FALSE(d.item_hidden(a));
  EXPECT_TRUE(d.item_hidden(b));
  EXPECT_EQ(d.item_timestamp(a), 100);
  ASSERT_EQ(d.ItemCategories(a).size(), 2u);  // duplicates removed
  EXPECT_EQ(d.category_names()[d.ItemCategories(a)[0]], "x");
  EXPECT_EQ(d.category_names()[d.ItemCategories(a)[1]], "y");
  EXPECT_EQ(d.num_read_feedback(), 1);
  EXPECT_EQ(d.num_negative_feedback(), 1);
  EXPECT_EQ(d.max_feedback_seq(), 8);
  EXPECT_EQ(d.max_feedback_timestamp(), 50);  // "mystery" is ignored
  EXPECT_EQ(d.snapshot_id(), "seq8-u4-i4-p4");
}

TEST(Dataset, ItemUserListsAreSortedByUserIndex) {
  DatasetBuilder builder;
  for (int u = 0; u < 50; ++u) {
    std::string id = "u";
    id += std::to_string(u);
    builder.AddUser(id);
  }
  builder.AddItem("i0");
  builder.AddItem("i1");
  for (int u = 49; u >= 0; --u) {
    builder.AddPositive(static_cast<uint32_t>(u), static_cast<uint32_t>(u % 2), u);
  }
  Dataset d = std::move(builder).Build();
  EXPECT_EQ(d.num_positives(), 50u);
  for (uint32_t i = 0; i < 2; ++i) {
    auto users = d.ItemUsers(i);
    ASSERT_EQ(users.size(), 25u);
    EXPECT_TRUE(std::is_sorted(users.begin(), users.end()));
    for (size_t k = 0; k < users.size(); ++k) EXPECT_EQ(d.ItemUserTimes(i)[k], users[k]);
  }
}

TEST(Dataset, FromStorePropagatesScanErrors) {
  testing::FakeStore store = SmallStore();
  store.fail_scans = true;
  Result<Dataset> result = Dataset::FromStore(store, FeedbackTypes{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("scanning users"), std::string::npos);
}

}  // namespace
}  // namespace reco
