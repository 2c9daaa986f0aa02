// Behaviour specific to the sqlite backend: schema migrations, OpenStore, several stores (as
// several processes would) on one file.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/config.h"
#include "store/open_store.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_db.h"

namespace reco::sqlite {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("reco_sqlite_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.path = dir_ / "reco.db";
    options_.reader_connections = 2;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto store = OpenSqliteStore(options_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<Connection> Raw() {
    auto conn = Connection::Open(options_.path, /*create=*/true, 1000);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return std::move(conn).value();
  }

  std::filesystem::path dir_;
  SqliteStoreOptions options_;
};

TEST_F(SqliteStoreTest, UpgradesAVersion1Database) {
  {
    auto raw = Raw();
    ASSERT_TRUE(MigrateSchema(*raw, 1, 0).ok());
    ASSERT_TRUE(raw->Exec("INSERT INTO users(idx, user_id) VALUES(1, 'u1');"
                          "INSERT INTO items(idx, item_id, categories) VALUES(1, 'i1', '[\"c\"]');"
                          "INSERT INTO feedback_types(idx, name) VALUES(1, 'like');"
                          "INSERT INTO feedback VALUES(1, 1, 1, 2.5, 7, '', 41);")
                    .ok());
    EXPECT_EQ(CurrentSchemaVersion(*raw).value(), 1);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->MaxFeedbackSeq().value(), 41);
  std::vector<FeedbackRecord> rows;
  ASSERT_TRUE(store->ScanFeedback(0, [&](const FeedbackRecord& r) { rows.push_back(r); }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].feedback.user_id, "u1");
  EXPECT_DOUBLE_EQ(rows[0].feedback.value, 2.5);
  std::vector<Feedback> more = {{"like", "u2", "i1", 1.0, 0, ""}};
  ASSERT_TRUE(store->InsertFeedback(more, {}).ok());
  EXPECT_EQ(store->MaxFeedbackSeq().value(), 42);
  EXPECT_EQ(store->GetItem("i1")->categories, std::vector<std::string>{"c"});
  store->Close();
  EXPECT_EQ(CurrentSchemaVersion(*Raw()).value(), LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, UpgradesAVersion2DatabaseKeepingSeqOrderAndKeys) {
  {
    auto raw = Raw();
    ASSERT_TRUE(MigrateSchema(*raw, 2, 0).ok());
    ASSERT_TRUE(raw->Exec("INSERT INTO users(idx, user_id) VALUES(1, 'u1'), (2, 'u2');"
                          "INSERT INTO items(idx, item_id) VALUES(1, 'i1'), (2, 'i2');"
                          "INSERT INTO feedback_types(idx, name) VALUES(1, 'like');"
                          "INSERT INTO feedback VALUES(1, 1, 1, 1.0, 5, 'a', 30);"
                          "INSERT INTO feedback VALUES(2, 1, 1, 2.0, 6, '', 10);"
                          "INSERT INTO feedback VALUES(1, 2, 1, 3.0, 7, 'c', 20);"
                          "UPDATE store_counters SET value = 35 WHERE name = 'feedback_seq';")
                    .ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->MaxFeedbackSeq().value(), 35);
  std::vector<std::string> scanned;
  ASSERT_TRUE(store
                  ->ScanFeedback(0,
                                 [&](const FeedbackRecord& r) {
                                   scanned.push_back(std::to_string(r.seq) + ":" +
                                                     r.feedback.user_id + "/" +
                                                     r.feedback.item_id + "/" + r.feedback.comment);
                                 })
                  .ok());
  EXPECT_EQ(scanned, (std::vector<std::string>{"10:u2/i1/", "20:u1/i2/c", "30:u1/i1/a"}));
  // The (type, user, item) key is still unique: a plain insert keeps the existing row.
  std::vector<Feedback> again = {{"like", "u1", "i1", 9.0, 0, "x"}};
  EXPECT_EQ(store->InsertFeedback(again, {}).value(), 0);
  InsertFeedbackOptions overwrite;
  overwrite.overwrite = true;
  EXPECT_EQ(store->InsertFeedback(again, overwrite).value(), 1);
  std::vector<FeedbackRecord> later;
  ASSERT_TRUE(store->ScanFeedback(30, [&](const FeedbackRecord& r) { later.push_back(r); }).ok());
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].seq, 36);
  EXPECT_DOUBLE_EQ(later[0].feedback.value, 9.0);
  FeedbackFilter by_item;
  by_item.item_id = "i1";
  auto page = store->ListFeedback(by_item, "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[0].user_id, "u1");
  EXPECT_EQ(page->rows[1].user_id, "u2");
  EXPECT_EQ(store->Counts()->feedback, 3);
  store->Close();
  EXPECT_EQ(CurrentSchemaVersion(*Raw()).value(), LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, BulkImportIntoEmptyStoreRebuildsTheKeyIndexes) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<Feedback> fb;
  constexpr int kRows = 100'037;  // past the bulk-load threshold, not a multiple of a chunk
  for (int i = 0; i < kRows; ++i) {
    fb.push_back({"like", "u" + std::to_string(i % 331), "i" + std::to_string(i), 1.0, i, ""});
  }
  fb.push_back(fb[17]);  // a duplicate key within the import is written once
  ASSERT_TRUE(store->Import({}, {}, fb, {}).ok());
  EXPECT_EQ(store->Counts()->feedback, kRows);
  EXPECT_EQ(store->MaxFeedbackSeq().value(), kRows);
  std::vector<Feedback> existing = {fb[5]};
  EXPECT_EQ(store->InsertFeedback(existing, {}).value(), 0);
  auto raw = Raw();
  EXPECT_EQ(raw->QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                          " AND tbl_name = 'feedback'")
                .value(),
            2);
  FeedbackFilter by_item;
  by_item.item_id = "i99999";
  auto page = store->ListFeedback(by_item, "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].user_id, "u" + std::to_string(99999 % 331));
  EXPECT_EQ(page->rows[0].timestamp, 99999);
}

// A scan larger than its buffer hands the rows over buffer by buffer, still every row once,
// in seq order, from the snapshot the scan started on.
TEST_F(SqliteStoreTest, AScanLargerThanItsBufferGivesEveryRowOnceInOrder) {
  options_.scan_buffer_rows = 3;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<Feedback> fb;
  for (int i = 0; i < 10; ++i) {
    fb.push_back({"like", "u" + std::to_string(i % 4), "i" + std::to_string(i), 1.0 + i, i,
                  i % 2 ? "c" + std::to_string(i) : ""});
  }
  ASSERT_TRUE(store->InsertFeedback(fb, {}).ok());
  auto scan = [&](int64_t after) {
    std::vector<FeedbackRecord> seen;
    EXPECT_TRUE(
        store->ScanFeedback(after, [&](const FeedbackRecord& r) { seen.push_back(r); }).ok());
    return seen;
  };
  const std::vector<FeedbackRecord> all = scan(0);
  ASSERT_EQ(all.size(), fb.size());
  std::map<std::string, const Feedback*> by_item;
  for (const Feedback& f : fb) by_item[f.item_id] = &f;
  for (size_t k = 0; k < all.size(); ++k) {
    EXPECT_EQ(all[k].seq, static_cast<int64_t>(k) + 1);
    const Feedback* want = by_item[all[k].feedback.item_id];
    ASSERT_NE(want, nullptr) << all[k].feedback.item_id;
    EXPECT_EQ(all[k].feedback.user_id, want->user_id);
    EXPECT_EQ(all[k].feedback.value, want->value);
    EXPECT_EQ(all[k].feedback.comment, want->comment);
    by_item.erase(all[k].feedback.item_id);  // each row once
  }
  EXPECT_TRUE(by_item.empty());
  for (int64_t after : {4, 9, 10}) {
    const std::vector<FeedbackRecord> tail = scan(after);
    ASSERT_EQ(tail.size(), all.size() - static_cast<size_t>(after)) << "after " << after;
    for (size_t k = 0; k < tail.size(); ++k) {
      EXPECT_EQ(tail[k].seq, all[static_cast<size_t>(after) + k].seq);
      EXPECT_EQ(tail[k].feedback.item_id, all[static_cast<size_t>(after) + k].feedback.item_id);
    }
  }
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerVersion) {
  Open()->Close();
  ASSERT_TRUE(Raw()
                  ->Exec("INSERT INTO schema_migrations VALUES(" +
                         std::to_string(LatestSchemaVersion() + 1) + ", 0)")
                  .ok());
  auto store = OpenSqliteStore(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos);
}

TEST_F(SqliteStoreTest, MigrationsAreRecordedWithTheirTime) {
  FakeClock clock(1'700'000'000'000'000);
  options_.clock = &clock;
  Open()->Close();
  auto raw = Raw();
  EXPECT_EQ(raw->QueryInt("SELECT count(*) FROM schema_migrations").value(), LatestSchemaVersion());
  EXPECT_EQ(raw->QueryInt("SELECT min(applied_at) FROM schema_migrations").value(),
            1'700'000'000'000'000);
  EXPECT_EQ(
      raw->QueryInt("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'").value(),
      1);
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileDoNotMixUpIds) {
  auto a = Open();
  auto b = Open();
  std::vector<Feedback> fa = {{"like", "alice", "apple", 1.0, 0, ""}};
  std::vector<Feedback> fb = {{"star", "bob", "banana", 1.0, 0, ""}};
  ASSERT_TRUE(a->InsertFeedback(fa, {}).ok());
  ASSERT_TRUE(b->InsertFeedback(fb, {}).ok());
  ASSERT_TRUE(a->InsertFeedback(fb, {}).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(a->ScanFeedback(0, [&](const FeedbackRecord& r) {
                 seen.push_back(r.feedback.feedback_type + "/" + r.feedback.user_id + "/" +
                                r.feedback.item_id);
               }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"like/alice/apple", "star/bob/banana"}));
  EXPECT_EQ(b->Counts()->users, 2);
  EXPECT_EQ(b->GetUser("alice")->user_id, "alice");
}

TEST(OpenStore, RejectsUnknownBackendNamingTheKey) {
  RecoConfig config;
  config.database.data_store = "mongodb";
  auto store = OpenStore(config, std::filesystem::temp_directory_path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().field(), "database.data_store");
  EXPECT_NE(store.status().message().find("sqlite"), std::string::npos);
}

TEST(OpenStore, CreatesTheDataDirectory) {
  auto dir = std::filesystem::temp_directory_path() /
             ("reco_open_store_" + std::to_string(::getpid())) / "nested";
  RecoConfig config;
  auto store = OpenStore(config, dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Ping().ok());
  (*store)->Close();
  EXPECT_TRUE(std::filesystem::exists(dir / config.database.sqlite_path));
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace reco::sqlite
