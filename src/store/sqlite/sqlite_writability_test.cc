// Writability of the sqlite store: a full database answers InsufficientStorage and recovers by
// itself, a read-only opening (asked for, or detected on a file that cannot be written) serves
// reads and refuses writes naming the cause.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/immutable_file.h"

namespace reco::sqlite {
namespace {

using reco::testing::SetImmutable;

class SqliteWritabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("reco_sqlite_writability_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.path = dir_ / "reco.db";
    options_.reader_connections = 1;
    options_.on_write_failure = [this](std::string_view reason) {
      std::lock_guard lock(mu_);
      failures_.emplace_back(reason);
    };
  }
  void TearDown() override {
    SetImmutable(options_.path, false);
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> Open(const SqliteStoreOptions& options) {
    auto store = OpenSqliteStore(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // A database with one user, closed again.
  void CreateDatabase() {
    auto store = Open(options_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertUsers(std::vector<User>{{.user_id = "u1"}}).ok());
    store->Close();
  }
  std::vector<std::string> Failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }

  std::filesystem::path dir_;
  SqliteStoreOptions options_;
  std::mutex mu_;
  std::vector<std::string> failures_;
};

std::vector<Feedback> Batch(int first, int n) {
  std::vector<Feedback> rows;
  for (int i = first; i < first + n; ++i) {
    rows.push_back({.feedback_type = "click",
                    .user_id = "u" + std::to_string(i % 50),
                    .item_id = "item-with-a-longish-id-" + std::to_string(i),
                    .timestamp = i,
                    .comment = std::string(200, 'c')});
  }
  return rows;
}

// The real SQLITE_FULL path: the database is capped a few pages above its size.
TEST_F(SqliteWritabilityTest, AFullDatabaseAnswersInsufficientStorageAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase());
  int64_t pages = 0;
  {
    auto raw = Connection::Open(options_.path, /*create=*/false, 1000);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    pages = (*raw)->QueryInt("PRAGMA page_count").value();
  }
  options_.max_pages = pages + 16;
  auto store = Open(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Writability().writable);

  Status full;
  int written = 0;
  for (int batch = 0; batch < 200 && full.ok(); ++batch) {
    Result<int64_t> r = store->InsertFeedback(Batch(batch * 20, 20), {});
    if (r.ok()) {
      written += 20;
    } else {
      full = r.status();
    }
  }
  ASSERT_FALSE(full.ok()) << "the capped database never filled up";
  EXPECT_GT(written, 0);
  EXPECT_EQ(full.code(), StatusCode::kInsufficientStorage) << full.ToString();
  EXPECT_NE(full.message().find("disk holding the database is full"), std::string::npos)
      << full.message();
  EXPECT_NE(full.message().find(options_.path.string()), std::string::npos) << full.message();
  StoreWritability w = store->Writability();
  EXPECT_FALSE(w.writable);
  EXPECT_FALSE(w.read_only);
  EXPECT_EQ(w.reason, "disk_full");
  EXPECT_EQ(w.message, full.message());
  EXPECT_EQ(Failures(), std::vector<std::string>{"disk_full"});
  EXPECT_TRUE(store->Ping().ok()) << "reads go on";

  // Room comes back (rows deleted): the next write commits and the state clears by itself.
  ASSERT_TRUE(store->DeleteFeedback({}).ok());
  EXPECT_TRUE(store->Writability().writable);
  EXPECT_EQ(store->Writability().reason, "");
  Result<int64_t> again = store->InsertFeedback(Batch(100000, 20), {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 20);
}

// The injected read-only opening (reco serve --read-only).
TEST_F(SqliteWritabilityTest, AReadOnlyOpeningServesReadsAndRefusesWrites) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase());
  options_.read_only = true;
  auto store = Open(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->GetUser("u1").ok());
  StoreWritability w = store->Writability();
  EXPECT_FALSE(w.writable);
  EXPECT_TRUE(w.read_only);
  EXPECT_TRUE(w.read_only_requested);
  EXPECT_EQ(w.reason, "read_only");
  Result<int64_t> r = store->InsertUsers(std::vector<User>{{.user_id = "u2"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("--read-only"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(options_.path.string()), std::string::npos);
  EXPECT_FALSE(store->InsertFeedback(Batch(0, 3), {}).ok());
  EXPECT_EQ(Failures(), (std::vector<std::string>{"read_only", "read_only"}));
  EXPECT_EQ(store->GetUser("u2").status().code(), StatusCode::kNotFound) << "nothing written";
}

TEST_F(SqliteWritabilityTest, AReadOnlyOpeningNeedsAnExistingUpToDateDatabase) {
  options_.read_only = true;
  Result<std::unique_ptr<Store>> missing = OpenSqliteStore(options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(options_.path)) << "nothing created";
  {
    auto raw = Connection::Open(options_.path, /*create=*/true, 1000);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(MigrateSchema(**raw, 1, 0).ok());
  }
  Result<std::unique_ptr<Store>> old = OpenSqliteStore(options_);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("cannot be migrated"), std::string::npos)
      << old.status().message();
}

// A file that cannot be written even by root (immutable attribute) is detected when the store
// opens: it opens read-only, naming the file and the cause.
TEST_F(SqliteWritabilityTest, AnUnwritableFileIsDetectedAtOpen) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase());
  if (!SetImmutable(options_.path, true)) {
    GTEST_SKIP() << "cannot set the immutable attribute on " << options_.path
                 << " (needs root / CAP_LINUX_IMMUTABLE and ext4, xfs or btrfs)";
  }
  auto store = Open(options_);
  ASSERT_NE(store, nullptr);
  StoreWritability w = store->Writability();
  EXPECT_TRUE(w.read_only);
  EXPECT_FALSE(w.read_only_requested);
  EXPECT_NE(w.message.find(options_.path.string() + " is not writable"), std::string::npos)
      << w.message;
  EXPECT_NE(w.message.find("Operation not permitted"), std::string::npos) << w.message;
  EXPECT_TRUE(store->GetUser("u1").ok());
  Result<int64_t> r = store->InsertUsers(std::vector<User>{{.user_id = "u2"}});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  store.reset();
  ASSERT_TRUE(SetImmutable(options_.path, false));
  store = Open(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Writability().writable) << "writable again once the attribute is cleared";
}

}  // namespace
}  // namespace reco::sqlite
