// The behaviour every Store backend must have. Value-parameterised over a backend factory:
// add a backend by adding a StoreBackend to the INSTANTIATE_TEST_SUITE_P list at the bottom.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/testing/store_fixture.h"

namespace reco {
namespace {

Feedback Fb(std::string type, std::string user, std::string item, double value = 1.0,
            TimestampUs ts = 0) {
  Feedback f;
  f.feedback_type = std::move(type);
  f.user_id = std::move(user);
  f.item_id = std::move(item);
  f.value = value;
  f.timestamp = ts;
  return f;
}

Item MakeItem(std::string id, std::vector<std::string> categories = {}, bool hidden = false) {
  Item item;
  item.item_id = std::move(id);
  item.categories = std::move(categories);
  item.is_hidden = hidden;
  return item;
}

FeedbackFilter Filter(std::optional<std::string> type, std::optional<std::string> user,
                      std::optional<std::string> item) {
  FeedbackFilter filter;
  filter.feedback_type = std::move(type);
  filter.user_id = std::move(user);
  filter.item_id = std::move(item);
  return filter;
}

User U(std::string id, std::string labels = "null", std::string comment = "") {
  return User{std::move(id), std::move(labels), std::move(comment)};
}

std::string Key(const Feedback& f) { return f.feedback_type + "/" + f.user_id + "/" + f.item_id; }

class StoreConformanceTest : public testing::StoreFixture {
 protected:
  void Insert(std::vector<Feedback> rows, bool overwrite = false) {
    InsertFeedbackOptions options;
    options.overwrite = overwrite;
    auto r = store_->InsertFeedback(rows, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Every feedback row matching `filter`, paging with `n`; fails on a row seen twice.
  std::vector<Feedback> ListAll(const FeedbackFilter& filter, int n = 2) {
    std::vector<Feedback> out;
    std::set<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      auto r = store_->ListFeedback(filter, cursor, n);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      EXPECT_LE(r->rows.size(), static_cast<size_t>(n));
      for (auto& f : r->rows) {
        EXPECT_TRUE(seen.insert(Key(f)).second) << "listed twice: " << Key(f);
        out.push_back(f);
      }
      cursor = r->next_cursor;
      if (cursor.empty()) break;
    }
    return out;
  }
  std::set<std::string> Keys(const std::vector<Feedback>& rows) {
    std::set<std::string> keys;
    for (const auto& f : rows) keys.insert(Key(f));
    return keys;
  }
  StoreCounts Counts() {
    auto c = store_->Counts();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : StoreCounts{};
  }
};

TEST_P(StoreConformanceTest, InsertedUserReadsBackAndReplaces) {
  User u{"alice", R"({"age":30})", "first"};
  ASSERT_EQ(store_->InsertUsers(std::vector<User>{u}).value(), 1);
  auto got = store_->GetUser("alice");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->labels_json, R"({"age":30})");
  EXPECT_EQ(got->comment, "first");
  u.labels_json = "[1,2]";
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{u}).ok());
  EXPECT_EQ(store_->GetUser("alice")->labels_json, "[1,2]");
  EXPECT_EQ(Counts().users, 1);
  EXPECT_EQ(store_->GetUser("nobody").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ModifyUserPatchesOnlyGivenFields) {
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{U("bob", "[\"a\"]", "c1")}).ok());
  UserPatch patch;
  patch.comment = "c2";
  ASSERT_EQ(store_->ModifyUser("bob", patch).value(), 1);
  auto got = store_->GetUser("bob");
  EXPECT_EQ(got->labels_json, "[\"a\"]");
  EXPECT_EQ(got->comment, "c2");
  EXPECT_EQ(store_->ModifyUser("nobody", patch).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, InsertedItemReadsBackWithAllFields) {
  Item item = MakeItem("i1", {"news", "sport \"x\" é"}, true);
  item.labels_json = R"({"tags":["a"]})";
  item.timestamp = 1'660'000'000'000'000;
  item.comment = "line\nbreak";
  ASSERT_EQ(store_->InsertItems(std::vector<Item>{item}).value(), 1);
  auto got = store_->GetItem("i1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->is_hidden);
  EXPECT_EQ(got->categories, item.categories);
  EXPECT_EQ(got->labels_json, item.labels_json);
  EXPECT_EQ(got->timestamp, item.timestamp);
  EXPECT_EQ(got->comment, item.comment);
  EXPECT_EQ(store_->GetItem("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ModifyItemPatchesOnlyGivenFields) {
  ASSERT_TRUE(store_->InsertItems(std::vector<Item>{MakeItem("i1", {"a"})}).ok());
  ItemPatch patch;
  patch.is_hidden = true;
  patch.categories = std::vector<std::string>{"b", "c"};
  ASSERT_EQ(store_->ModifyItem("i1", patch).value(), 1);
  auto got = store_->GetItem("i1");
  EXPECT_TRUE(got->is_hidden);
  EXPECT_EQ(got->categories, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(got->labels_json, "null");
  EXPECT_EQ(store_->ModifyItem("nope", patch).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ItemCategoriesAreASet) {
  ASSERT_TRUE(store_->InsertItems(std::vector<Item>{MakeItem("i1", {"a"})}).ok());
  EXPECT_EQ(store_->AddItemCategory("i1", "b").value(), 1);
  EXPECT_EQ(store_->AddItemCategory("i1", "b").value(), 0);
  EXPECT_EQ(store_->AddItemCategory("i1", "a").value(), 0);
  EXPECT_EQ(store_->GetItem("i1")->categories, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->RemoveItemCategory("i1", "a").value(), 1);
  EXPECT_EQ(store_->RemoveItemCategory("i1", "a").value(), 0);
  EXPECT_EQ(store_->GetItem("i1")->categories, (std::vector<std::string>{"b"}));
  EXPECT_EQ(store_->AddItemCategory("nope", "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RemoveItemCategory("nope", "x").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListUsersAndItemsPageThroughEveryRowOnce) {
  std::vector<User> users;
  std::vector<Item> items;
  for (std::string id : {"u5", "u1", "u3", "u2", "u4", "u7", "u6"}) {
    users.push_back(U(id));
    items.push_back(MakeItem("i" + id));
  }
  ASSERT_TRUE(store_->InsertUsers(users).ok());
  ASSERT_TRUE(store_->InsertItems(items).ok());
  std::vector<std::string> listed;
  std::string cursor;
  do {
    auto page = store_->ListUsers(cursor, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->rows.size(), 2u);
    for (const auto& u : page->rows) listed.push_back(u.user_id);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(listed, (std::vector<std::string>{"u1", "u2", "u3", "u4", "u5", "u6", "u7"}));
  listed.clear();
  do {
    auto page = store_->ListItems(cursor, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& i : page->rows) listed.push_back(i.item_id);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(listed.size(), 7u);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
}

TEST_P(StoreConformanceTest, MalformedCursorIsInvalidArgument) {
  for (std::string bad : {"%%%", "Zm9v", "x"}) {
    auto users = store_->ListUsers(bad, 2);
    EXPECT_EQ(users.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(users.status().field(), "cursor");
    auto fb = store_->ListFeedback({}, bad, 2);
    EXPECT_EQ(fb.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(fb.status().field(), "cursor");
  }
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{U("a"), U("b")}).ok());
  auto page = store_->ListUsers("", 1);
  ASSERT_FALSE(page->next_cursor.empty());
  EXPECT_EQ(store_->ListItems(page->next_cursor, 1).status().field(), "cursor");
}

TEST_P(StoreConformanceTest, ListFeedbackFiltersByTypeUserAndItem) {
  Insert({Fb("click", "u1", "i1"), Fb("click", "u1", "i2"), Fb("like", "u1", "i1"),
          Fb("click", "u2", "i1"), Fb("like", "u2", "i3"), Fb("read", "u3", "i2")});
  auto keys = [&](FeedbackFilter f) { return Keys(ListAll(f)); };
  using S = std::set<std::string>;
  EXPECT_EQ(keys({}).size(), 6u);
  EXPECT_EQ(keys(Filter("click", {}, {})), (S{"click/u1/i1", "click/u1/i2", "click/u2/i1"}));
  EXPECT_EQ(keys(Filter({}, "u1", {})), (S{"click/u1/i1", "click/u1/i2", "like/u1/i1"}));
  EXPECT_EQ(keys(Filter({}, {}, "i1")), (S{"click/u1/i1", "like/u1/i1", "click/u2/i1"}));
  EXPECT_EQ(keys(Filter("like", "u2", {})), (S{"like/u2/i3"}));
  EXPECT_EQ(keys(Filter("click", {}, "i1")), (S{"click/u1/i1", "click/u2/i1"}));
  EXPECT_EQ(keys(Filter({}, "u1", "i1")), (S{"click/u1/i1", "like/u1/i1"}));
  EXPECT_EQ(keys(Filter("like", "u1", "i1")), (S{"like/u1/i1"}));
  EXPECT_TRUE(keys(Filter({}, "ghost", {})).empty());
  EXPECT_TRUE(keys(Filter("ghost", {}, {})).empty());
}

TEST_P(StoreConformanceTest, ListFeedbackPagesCollectEveryRowExactlyOnce) {
  std::vector<Feedback> rows;
  for (int u = 0; u < 5; ++u) {
    for (int i = 0; i < 3; ++i)
      rows.push_back(Fb(i % 2 ? "like" : "click", "u" + std::to_string(u), "i" + std::to_string(i),
                        u + i * 0.5, u * 10 + i));
  }
  Insert(rows);
  auto listed = ListAll({}, 2);
  ASSERT_EQ(listed.size(), rows.size());
  EXPECT_EQ(Keys(listed), Keys(rows));
  for (const auto& f : listed) {
    auto it =
        std::find_if(rows.begin(), rows.end(), [&](const Feedback& r) { return Key(r) == Key(f); });
    EXPECT_DOUBLE_EQ(f.value, it->value);
    EXPECT_EQ(f.timestamp, it->timestamp);
  }
  EXPECT_EQ(ListAll(Filter("like", {}, {}), 2).size(), 5u);
  EXPECT_EQ(ListAll(Filter({}, {}, "i1"), 2).size(), 5u);
}

TEST_P(StoreConformanceTest, InsertKeepsExistingRowsAndOverwriteReplacesThem) {
  InsertFeedbackOptions insert;
  InsertFeedbackOptions overwrite;
  overwrite.overwrite = true;
  std::vector<Feedback> first = {Fb("like", "u1", "i1", 1.0, 100)};
  EXPECT_EQ(store_->InsertFeedback(first, insert).value(), 1);
  std::vector<Feedback> again = {Fb("like", "u1", "i1", 5.0, 200), Fb("like", "u1", "i2", 2.0)};
  EXPECT_EQ(store_->InsertFeedback(again, insert).value(), 1);
  EXPECT_DOUBLE_EQ(ListAll(Filter({}, {}, "i1"))[0].value, 1.0);
  EXPECT_EQ(store_->InsertFeedback(again, overwrite).value(), 2);
  auto row = ListAll(Filter({}, {}, "i1"));
  EXPECT_DOUBLE_EQ(row[0].value, 5.0);
  EXPECT_EQ(row[0].timestamp, 200);
  // Duplicates within one batch: first wins for insert, last for overwrite.
  std::vector<Feedback> dups = {Fb("star", "u9", "i9", 1.0), Fb("star", "u9", "i9", 2.0)};
  EXPECT_EQ(store_->InsertFeedback(dups, insert).value(), 1);
  EXPECT_DOUBLE_EQ(ListAll(Filter({}, "u9", {}))[0].value, 1.0);
  EXPECT_EQ(store_->InsertFeedback(dups, overwrite).value(), 1);
  EXPECT_DOUBLE_EQ(ListAll(Filter({}, "u9", {}))[0].value, 2.0);
}

TEST_P(StoreConformanceTest, AutoInsertCreatesBareUsersAndItems) {
  Insert({Fb("like", "new_user", "new_item")});
  EXPECT_TRUE(store_->GetUser("new_user").ok());
  auto item = store_->GetItem("new_item");
  ASSERT_TRUE(item.ok());
  EXPECT_FALSE(item->is_hidden);
  EXPECT_TRUE(item->categories.empty());
}

TEST_P(StoreConformanceTest, AutoInsertOffRejectsUnknownIdsAndWritesNothing) {
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{U("u1")}).ok());
  ASSERT_TRUE(store_->InsertItems(std::vector<Item>{MakeItem("i1")}).ok());
  InsertFeedbackOptions strict;
  strict.auto_insert_users = false;
  strict.auto_insert_items = false;
  std::vector<Feedback> rows = {Fb("like", "u1", "i1"), Fb("like", "u1", "ghost_item")};
  auto r = store_->InsertFeedback(rows, strict);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "[1].ItemId");
  EXPECT_NE(r.status().message().find("ghost_item"), std::string::npos);
  rows = {Fb("like", "ghost_user", "i1")};
  EXPECT_EQ(store_->InsertFeedback(rows, strict).status().field(), "[0].UserId");
  EXPECT_EQ(Counts().feedback, 0);
  EXPECT_EQ(Counts().users, 1);
  EXPECT_EQ(Counts().items, 1);
  rows = {Fb("like", "u1", "i1")};
  EXPECT_EQ(store_->InsertFeedback(rows, strict).value(), 1);
}

TEST_P(StoreConformanceTest, BatchWithOneInvalidRowWritesNothing) {
  std::vector<Feedback> rows = {Fb("like", "u1", "i1"), Fb("like", "u2", "i2"),
                                Fb("like", "u3", "i3"), Fb("like", "", "i4")};
  auto r = store_->InsertFeedback(rows, {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "feedback[3].UserId: empty id");
  EXPECT_EQ(r.status().field(), "[3].UserId");
  rows[3].user_id = std::string(kMaxIdBytes + 1, 'x');
  EXPECT_EQ(store_->InsertFeedback(rows, {}).status().field(), "[3].UserId");
  rows[3].user_id = std::string(kMaxIdBytes, 'x');
  rows[3].feedback_type = "";
  EXPECT_EQ(store_->InsertFeedback(rows, {}).status().field(), "[3].FeedbackType");
  std::vector<User> users = {U("ok"), U("")};
  EXPECT_EQ(store_->InsertUsers(users).status().field(), "[1].UserId");
  std::vector<Item> items = {MakeItem("")};
  EXPECT_EQ(store_->InsertItems(items).status().field(), "[0].ItemId");
  StoreCounts c = Counts();
  EXPECT_EQ(c.users + c.items + c.feedback, 0);
}

TEST_P(StoreConformanceTest, DeleteUserAndItemRemoveTheirFeedback) {
  Insert({Fb("like", "u1", "i1"), Fb("like", "u1", "i2"), Fb("like", "u2", "i1"),
          Fb("like", "u2", "i2")});
  EXPECT_EQ(store_->DeleteUser("u1").value(), 1);
  EXPECT_EQ(store_->DeleteUser("u1").value(), 0);
  EXPECT_EQ(store_->GetUser("u1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Keys(ListAll({})), (std::set<std::string>{"like/u2/i1", "like/u2/i2"}));
  EXPECT_EQ(store_->DeleteItem("i1").value(), 1);
  EXPECT_EQ(Keys(ListAll({})), (std::set<std::string>{"like/u2/i2"}));
  EXPECT_EQ(store_->DeleteItem("i1").value(), 0);
  // A deleted id can come back as a new user.
  Insert({Fb("like", "u1", "i2")});
  EXPECT_EQ(ListAll(Filter({}, "u1", {})).size(), 1u);
}

TEST_P(StoreConformanceTest, DeleteFeedbackByFilter) {
  Insert({Fb("like", "u1", "i1"), Fb("click", "u1", "i1"), Fb("like", "u2", "i1"),
          Fb("like", "u2", "i2")});
  EXPECT_EQ(store_->DeleteFeedback(Filter({}, "u1", "i1")).value(), 2);
  EXPECT_EQ(store_->DeleteFeedback(Filter("like", {}, "i2")).value(), 1);
  EXPECT_EQ(store_->DeleteFeedback(Filter({}, "ghost", {})).value(), 0);
  EXPECT_EQ(Keys(ListAll({})), (std::set<std::string>{"like/u2/i1"}));
}

TEST_P(StoreConformanceTest, ImportIsAllOrNothing) {
  std::vector<User> users = {U("u1"), U("u2")};
  std::vector<Item> items = {MakeItem("i1", {"c"}), MakeItem("i2")};
  std::vector<Feedback> fb = {Fb("like", "u1", "i1"), Fb("like", "u2", "i2"), Fb("like", "u3", "")};
  Status st = store_->Import(users, items, fb, {});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "[2].ItemId");
  InsertFeedbackOptions strict;
  strict.auto_insert_users = false;
  fb[2] = Fb("like", "u3", "i1");
  EXPECT_EQ(store_->Import(users, items, fb, strict).code(), StatusCode::kInvalidArgument);
  StoreCounts c = Counts();
  EXPECT_EQ(c.users + c.items + c.feedback, 0);
  fb.pop_back();
  ASSERT_TRUE(store_->Import(users, items, fb, strict).ok());
  c = Counts();
  EXPECT_EQ(c.users, 2);
  EXPECT_EQ(c.items, 2);
  EXPECT_EQ(c.feedback, 2);
  EXPECT_EQ(store_->GetItem("i1")->categories, std::vector<std::string>{"c"});
}

TEST_P(StoreConformanceTest, LargeImportKeepsEveryRowAndIndex) {
  std::vector<Feedback> fb;
  for (int i = 0; i < 120'000; ++i) {
    fb.push_back(Fb("like", "u" + std::to_string(i % 997), "i" + std::to_string(i % 1009)));
  }
  ASSERT_TRUE(store_->Import({}, {}, fb, {}).ok());
  StoreCounts c = Counts();
  EXPECT_EQ(c.feedback, 120'000);
  EXPECT_EQ(c.users, 997);
  EXPECT_EQ(c.items, 1009);
  auto page = store_->ListFeedback(Filter({}, {}, "i5"), "", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->rows.size(), 119u);  // i ≡ 5 (mod 1009) below 120000
  int64_t scanned = 0;
  int64_t last_seq = 0;
  ASSERT_TRUE(store_
                  ->ScanFeedback(0,
                                 [&](const FeedbackRecord& r) {
                                   EXPECT_GT(r.seq, last_seq);
                                   last_seq = r.seq;
                                   ++scanned;
                                 })
                  .ok());
  EXPECT_EQ(scanned, 120'000);
}

TEST_P(StoreConformanceTest, ScanFeedbackAfterSeqReturnsExactlyTheLaterRows) {
  Insert({Fb("like", "u1", "i1"), Fb("like", "u1", "i2")});
  auto watermark = store_->MaxFeedbackSeq();
  ASSERT_TRUE(watermark.ok());
  EXPECT_GT(*watermark, 0);
  Insert({Fb("like", "u2", "i1"), Fb("click", "u3", "i3")});
  Insert({Fb("like", "u1", "i1", 7.0)}, /*overwrite=*/true);
  Insert({Fb("like", "u1", "i2", 9.0)});  // kept, not written
  std::vector<FeedbackRecord> later;
  ASSERT_TRUE(
      store_->ScanFeedback(*watermark, [&](const FeedbackRecord& r) { later.push_back(r); }).ok());
  ASSERT_EQ(later.size(), 3u);
  EXPECT_EQ(Key(later[0].feedback) + Key(later[1].feedback), "like/u2/i1click/u3/i3");
  EXPECT_EQ(Key(later[2].feedback), "like/u1/i1");
  EXPECT_DOUBLE_EQ(later[2].feedback.value, 7.0);
  for (size_t i = 1; i < later.size(); ++i) EXPECT_GT(later[i].seq, later[i - 1].seq);
  EXPECT_EQ(later.back().seq, store_->MaxFeedbackSeq().value());
  int64_t all = 0;
  ASSERT_TRUE(store_->ScanFeedback(0, [&](const FeedbackRecord&) { ++all; }).ok());
  EXPECT_EQ(all, 4);
}

TEST_P(StoreConformanceTest, SeqStaysMonotonicAfterNewestRowsAreDeleted) {
  Insert({Fb("like", "u1", "i1"), Fb("like", "u2", "i2")});
  int64_t before = store_->MaxFeedbackSeq().value();
  ASSERT_EQ(store_->DeleteUser("u2").value(), 1);
  Reopen();
  Insert({Fb("like", "u3", "i3")});
  std::vector<FeedbackRecord> later;
  ASSERT_TRUE(
      store_->ScanFeedback(before, [&](const FeedbackRecord& r) { later.push_back(r); }).ok());
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].feedback.user_id, "u3");
}

TEST_P(StoreConformanceTest, ReopenKeepsData) {
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{U("u1", "[\"x\"]")}).ok());
  ASSERT_TRUE(store_->InsertItems(std::vector<Item>{MakeItem("i1", {"c"})}).ok());
  Insert({Fb("like", "u1", "i1", 3.0, 42), Fb("click", "u2", "i1")});
  Reopen();
  EXPECT_EQ(store_->GetUser("u1")->labels_json, "[\"x\"]");
  EXPECT_EQ(store_->GetItem("i1")->categories, std::vector<std::string>{"c"});
  auto rows = ListAll(Filter("like", {}, {}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].value, 3.0);
  EXPECT_EQ(rows[0].timestamp, 42);
  // Ids interned before the reopen keep resolving for new writes.
  Insert({Fb("like", "u2", "i1")});
  EXPECT_EQ(ListAll(Filter({}, "u2", {})).size(), 2u);
  EXPECT_EQ(Counts().users, 2);
}

TEST_P(StoreConformanceTest, ClosedStoreIsUnavailable) {
  store_->Close();
  store_->Close();
  EXPECT_EQ(store_->GetUser("u").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->InsertUsers(std::vector<User>{U("u")}).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(store_->Ping().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->ScanFeedback(0, [](const FeedbackRecord&) {}).code(), StatusCode::kUnavailable);
}

TEST_P(StoreConformanceTest, ConcurrentWritersAndReadersSeeConsistentData) {
  constexpr int kThreads = 3;
  constexpr int kBatches = 40;
  std::vector<std::thread> threads;
  std::atomic<int> read_errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Feedback> rows;
        for (int i = 0; i < 10; ++i) {
          rows.push_back(Fb("like", "u" + std::to_string(t), "i" + std::to_string(b * 10 + i)));
        }
        if (!store_->InsertFeedback(rows, {}).ok()) ++read_errors;
        if (!store_->ListFeedback(Filter({}, "u" + std::to_string(t), {}), "", 5).ok())
          ++read_errors;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      if (!store_
               ->ScanFeedback(0,
                              [&](const FeedbackRecord& r) {
                                if (r.feedback.user_id.empty()) ++read_errors;
                              })
               .ok()) {
        ++read_errors;
      }
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(Counts().feedback, kThreads * kBatches * 10);
}

JobRunRecord QueuedRun(std::string job, std::string trigger = "manual", TimestampUs created = 100) {
  JobRunRecord run;
  run.job = std::move(job);
  run.trigger = std::move(trigger);
  run.status = "queued";
  run.created = created;
  return run;
}

TEST_P(StoreConformanceTest, LeaseIsExclusiveUntilItExpires) {
  constexpr int64_t kTtl = 30;
  EXPECT_EQ(store_->GetLease("scheduler").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->TryAcquireLease("scheduler", "a", 1000, kTtl).value());
  EXPECT_FALSE(store_->TryAcquireLease("scheduler", "b", 1010, kTtl).value());
  EXPECT_TRUE(store_->TryAcquireLease("other", "b", 1010, kTtl).value());  // another name
  // The holder renews; the expiry moves.
  EXPECT_TRUE(store_->TryAcquireLease("scheduler", "a", 1020, kTtl).value());
  EXPECT_EQ(store_->GetLease("scheduler")->expires_at, 1050);
  EXPECT_FALSE(store_->TryAcquireLease("scheduler", "b", 1049, kTtl).value());
  // Expired (expires_at <= now): taken over.
  EXPECT_TRUE(store_->TryAcquireLease("scheduler", "b", 1050, kTtl).value());
  LeaseRecord lease = store_->GetLease("scheduler").value();
  EXPECT_EQ(lease.holder, "b");
  EXPECT_EQ(lease.expires_at, 1080);
  EXPECT_FALSE(store_->TryAcquireLease("scheduler", "a", 1051, kTtl).value());
}

TEST_P(StoreConformanceTest, ReleaseLeaseOnlyByItsHolder) {
  ASSERT_TRUE(store_->TryAcquireLease("scheduler", "a", 0, 100).value());
  ASSERT_TRUE(store_->ReleaseLease("scheduler", "b").ok());
  EXPECT_EQ(store_->GetLease("scheduler")->holder, "a");
  ASSERT_TRUE(store_->ReleaseLease("scheduler", "a").ok());
  EXPECT_EQ(store_->GetLease("scheduler").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->TryAcquireLease("scheduler", "b", 1, 100).value());
  EXPECT_EQ(store_->TryAcquireLease("", "b", 1, 100).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, JobRunsInsertUpdateGetAndList) {
  int64_t first = store_->InsertJobRun(QueuedRun("train", "scheduled", 100)).value();
  int64_t second = store_->InsertJobRun(QueuedRun("cleanup", "manual", 200)).value();
  int64_t third = store_->InsertJobRun(QueuedRun("train", "manual", 300)).value();
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);

  JobRunRecord run = store_->GetJobRun(first).value();
  EXPECT_EQ(run.job, "train");
  EXPECT_EQ(run.trigger, "scheduled");
  EXPECT_EQ(run.status, "queued");
  EXPECT_EQ(run.created, 100);
  run.status = "failed";
  run.attempts = 2;
  run.scheduled_for = 60;
  run.started = 110;
  run.finished = 150;
  run.holder = "worker-1";
  run.error = "INTERNAL: disk full";
  ASSERT_TRUE(store_->UpdateJobRun(run).ok());
  JobRunRecord back = store_->GetJobRun(first).value();
  EXPECT_EQ(back.status, "failed");
  EXPECT_EQ(back.attempts, 2);
  EXPECT_EQ(back.scheduled_for, 60);
  EXPECT_EQ(back.started, 110);
  EXPECT_EQ(back.finished, 150);
  EXPECT_EQ(back.holder, "worker-1");
  EXPECT_EQ(back.error, "INTERNAL: disk full");

  auto ids = [](const std::vector<JobRunRecord>& runs) {
    std::vector<int64_t> out;
    for (const auto& r : runs) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(store_->ListJobRuns({}).value()), (std::vector<int64_t>{third, second, first}));
  JobRunFilter by_job;
  by_job.job = "train";
  EXPECT_EQ(ids(store_->ListJobRuns(by_job).value()), (std::vector<int64_t>{third, first}));
  by_job.trigger = "scheduled";
  EXPECT_EQ(ids(store_->ListJobRuns(by_job).value()), (std::vector<int64_t>{first}));
  JobRunFilter queued;
  queued.status = "queued";
  queued.limit = 1;
  EXPECT_EQ(ids(store_->ListJobRuns(queued).value()), (std::vector<int64_t>{third}));
  queued.limit = 0;
  EXPECT_EQ(store_->ListJobRuns(queued).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(store_->GetJobRun(third + 100).status().code(), StatusCode::kNotFound);
  run.id = third + 100;
  EXPECT_EQ(store_->UpdateJobRun(run).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ClaimJobRunSucceedsOnceWhileQueued) {
  int64_t id = store_->InsertJobRun(QueuedRun("train")).value();
  EXPECT_TRUE(store_->ClaimJobRun(id, "worker-1", 500, 0).value());
  EXPECT_FALSE(store_->ClaimJobRun(id, "worker-2", 501, 0).value());
  JobRunRecord run = store_->GetJobRun(id).value();
  EXPECT_EQ(run.status, "running");
  EXPECT_EQ(run.holder, "worker-1");
  EXPECT_EQ(run.started, 500);
  EXPECT_FALSE(store_->ClaimJobRun(id + 1, "worker-1", 500, 0).value());  // no such run
}

TEST_P(StoreConformanceTest, TwoHandlesOnOneDatabaseShareLeasesAndRuns) {
  auto other_or = GetParam().open(dir_);
  ASSERT_TRUE(other_or.ok()) << other_or.status().ToString();
  std::unique_ptr<Store> other = std::move(other_or).value();
  ASSERT_TRUE(store_->TryAcquireLease("scheduler", "a", 0, 100).value());
  EXPECT_FALSE(other->TryAcquireLease("scheduler", "b", 50, 100).value());
  EXPECT_EQ(other->GetLease("scheduler")->holder, "a");
  EXPECT_TRUE(other->TryAcquireLease("scheduler", "b", 100, 100).value());
  EXPECT_FALSE(store_->TryAcquireLease("scheduler", "a", 101, 100).value());

  int64_t id = store_->InsertJobRun(QueuedRun("train")).value();
  int64_t id2 = other->InsertJobRun(QueuedRun("cleanup")).value();
  EXPECT_NE(id, id2);
  EXPECT_EQ(other->GetJobRun(id)->job, "train");
  // Exactly one of two concurrent claimers wins.
  std::atomic<int> wins{0};
  std::thread t1([&] { wins += store_->ClaimJobRun(id, "a", 1, 0).value() ? 1 : 0; });
  std::thread t2([&] { wins += other->ClaimJobRun(id, "b", 1, 0).value() ? 1 : 0; });
  t1.join();
  t2.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(store_->ListJobRuns({})->size(), 2u);
  other->Close();
}

// A deposed scheduler leader (an older fencing token) can no longer record runs once a newer
// term took its token, through any handle on the database; writes under the newest token, and
// unfenced ones (token 0, queued manual runs), go on.
TEST_P(StoreConformanceTest, JobRunWritesUnderAStaleFencingTokenAreRefused) {
  auto other_or = GetParam().open(dir_);
  ASSERT_TRUE(other_or.ok()) << other_or.status().ToString();
  std::unique_ptr<Store> other = std::move(other_or).value();
  EXPECT_EQ(store_->CurrentFencingToken().value(), 0);
  const int64_t old_term = store_->NextFencingToken().value();
  const int64_t new_term = other->NextFencingToken().value();
  EXPECT_GT(new_term, old_term);
  EXPECT_EQ(store_->CurrentFencingToken().value(), new_term);

  JobRunRecord run = QueuedRun("train");
  run.status = "running";
  run.fencing_token = old_term;
  Result<int64_t> refused = store_->InsertJobRun(run);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsStaleFencingToken(refused.status())) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("stale fencing token " + std::to_string(old_term)),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(store_->ListJobRuns({})->size(), 0u);  // nothing half-written

  run.fencing_token = new_term;
  const int64_t id = other->InsertJobRun(run).value();
  EXPECT_EQ(store_->GetJobRun(id)->fencing_token, new_term);
  JobRunRecord late = store_->GetJobRun(id).value();
  late.status = "succeeded";
  late.fencing_token = old_term;
  EXPECT_TRUE(IsStaleFencingToken(store_->UpdateJobRun(late)));
  EXPECT_EQ(store_->GetJobRun(id)->status, "running");
  late.fencing_token = new_term;
  EXPECT_TRUE(store_->UpdateJobRun(late).ok());
  EXPECT_EQ(store_->GetJobRun(id)->status, "succeeded");

  const int64_t queued = store_->InsertJobRun(QueuedRun("cleanup")).value();  // unfenced
  Result<bool> stale_claim = store_->ClaimJobRun(queued, "old", 10, old_term);
  ASSERT_FALSE(stale_claim.ok());
  EXPECT_TRUE(IsStaleFencingToken(stale_claim.status()));
  EXPECT_EQ(store_->GetJobRun(queued)->status, "queued");
  EXPECT_TRUE(other->ClaimJobRun(queued, "new", 11, new_term).value());
  EXPECT_EQ(store_->GetJobRun(queued)->fencing_token, new_term);
  other->Close();
}

TEST_P(StoreConformanceTest, ScenariosInsertGetListUpdateDelete) {
  ASSERT_TRUE(store_->InsertScenario({"home_feed", R"({"recall":[]})", 10, 10}).ok());
  ASSERT_TRUE(store_->InsertScenario({"detail", R"({"a":1})", 20, 20}).ok());
  // A second insert of the same name is refused and changes nothing.
  Status again = store_->InsertScenario({"home_feed", "{}", 30, 30});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  ScenarioRecord got = store_->GetScenario("home_feed").value();
  EXPECT_EQ(got.config_json, R"({"recall":[]})");
  EXPECT_EQ(got.created, 10);

  ASSERT_TRUE(store_->UpdateScenario({"home_feed", R"({"b":2})", 0, 40}).ok());
  got = store_->GetScenario("home_feed").value();
  EXPECT_EQ(got.config_json, R"({"b":2})");
  EXPECT_EQ(got.created, 10);  // kept
  EXPECT_EQ(got.updated, 40);
  EXPECT_EQ(store_->UpdateScenario({"nope", "{}", 0, 1}).code(), StatusCode::kNotFound);

  std::vector<ScenarioRecord> all = store_->ListScenarios().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "detail");  // by name
  EXPECT_EQ(all[1].name, "home_feed");

  EXPECT_EQ(store_->DeleteScenario("detail").value(), 1);
  EXPECT_EQ(store_->DeleteScenario("detail").value(), 0);
  EXPECT_EQ(store_->GetScenario("detail").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->InsertScenario({"", "{}", 0, 0}).code(), StatusCode::kInvalidArgument);
  Reopen();
  EXPECT_EQ(store_->GetScenario("home_feed")->config_json, R"({"b":2})");
  EXPECT_EQ(store_->ListScenarios()->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values(testing::SqliteBackend(),
                                           testing::PostgresBackend()), testing::BackendName);

}  // namespace
}  // namespace reco
