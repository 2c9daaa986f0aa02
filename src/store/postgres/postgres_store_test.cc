// Behaviour of the PostgreSQL backend beyond the shared contract (store_conformance_test.cc):
// migrations, group commit, tenant schemas. Runs on the test PostgreSQL server.
#include "store/postgres/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cctype>
#include <set>
#include <thread>

#include "store/postgres/postgres_store_impl.h"
#include "store/testing/test_postgres.h"

namespace reco {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name =
        std::string("reco_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto url = testing::TestPostgres::CreateDatabase(name);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
  }
  std::unique_ptr<Store> Open(std::string schema = "") {
    PostgresStoreOptions options;
    options.url = url_;
    options.pool_size = 2;
    options.schema = std::move(schema);
    auto store = OpenPostgresStore(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Runs `sql` on a connection of its own; returns the first column of the first row.
  std::string Sql(const std::string& sql) {
    PGconn* conn = PQconnectdb(url_.c_str());
    PGresult* res = PQexec(conn, sql.c_str());
    std::string out;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) out = PQgetvalue(res, 0, 0);
    EXPECT_NE(PQresultStatus(res), PGRES_FATAL_ERROR) << PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(conn);
    return out;
  }

  std::string url_;
};

Feedback Fb(std::string user, std::string item) {
  Feedback f;
  f.feedback_type = "like";
  f.user_id = std::move(user);
  f.item_id = std::move(item);
  return f;
}

TEST_F(PostgresStoreTest, MigrationsAreRecordedOnceInSchemaMigrations) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"),
            "1,2,3,4");
  store->Close();
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Sql("SELECT count(*) FROM schema_migrations"), "4");
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefusedNamingTheDatabase) {
  ASSERT_NE(Open(), nullptr);
  Sql("INSERT INTO schema_migrations(version, applied_at) VALUES(99, 0)");
  PostgresStoreOptions options;
  options.url = url_;
  auto store = OpenPostgresStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos)
      << store.status().message();
}

TEST_F(PostgresStoreTest, ConcurrentWritersAreGroupCommittedWithTheirOwnResults) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertItems(std::vector<Item>{Item{.item_id = "known"}}).ok());
  auto* pg_store = dynamic_cast<pg::PostgresStore*>(store.get());
  ASSERT_NE(pg_store, nullptr);
  const int64_t commits_before = pg_store->GroupCommits();
  constexpr int kThreads = 8;
  constexpr int kCalls = 25;
  std::atomic<int> ok{0};
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        InsertFeedbackOptions options;
        options.auto_insert_items = false;
        // Odd threads name an unknown item: their calls fail alone, the others commit.
        std::vector<Feedback> rows = {
            Fb("u" + std::to_string(t) + "_" + std::to_string(c), t % 2 ? "ghost" : "known")};
        auto r = store->InsertFeedback(rows, options);
        if (r.ok() && *r == 1) ++ok;
        if (r.status().code() == StatusCode::kInvalidArgument) ++rejected;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads / 2 * kCalls);
  EXPECT_EQ(rejected.load(), kThreads / 2 * kCalls);
  EXPECT_EQ(store->Counts()->feedback, kThreads / 2 * kCalls);
  EXPECT_EQ(store->Counts()->users, kThreads / 2 * kCalls);  // none from the failed calls
  const int64_t commits = pg_store->GroupCommits() - commits_before;
  EXPECT_LT(commits, kThreads / 2 * kCalls) << "concurrent calls shared no commit";
  std::set<int64_t> seqs;
  ASSERT_TRUE(store->ScanFeedback(0, [&](const FeedbackRecord& r) { seqs.insert(r.seq); }).ok());
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads / 2 * kCalls));
  EXPECT_EQ(*seqs.rbegin(), store->MaxFeedbackSeq().value());
}

TEST_F(PostgresStoreTest, TenantSchemasKeepTheirDataApart) {
  auto main_store = Open();
  auto tenant = Open(TenantSchema("acme"));
  ASSERT_NE(main_store, nullptr);
  ASSERT_NE(tenant, nullptr);
  ASSERT_TRUE(main_store->InsertUsers(std::vector<User>{User{.user_id = "alice"}}).ok());
  ASSERT_TRUE(tenant->InsertUsers(std::vector<User>{User{.user_id = "bob"}}).ok());
  EXPECT_TRUE(main_store->GetUser("alice").ok());
  EXPECT_EQ(main_store->GetUser("bob").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tenant->GetUser("alice").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tenant->Counts()->users, 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM t_acme.schema_migrations"), "4");
}

TEST_F(PostgresStoreTest, ADeletedTenantsSchemaIsDroppedAndNothingElse) {
  auto main_store = Open();
  auto tenant = Open(TenantSchema("acme"));
  ASSERT_NE(main_store, nullptr);
  ASSERT_NE(tenant, nullptr);
  ASSERT_TRUE(main_store->InsertUsers(std::vector<User>{User{.user_id = "alice"}}).ok());
  ASSERT_TRUE(tenant->InsertUsers(std::vector<User>{User{.user_id = "bob"}}).ok());
  tenant->Close();
  ASSERT_TRUE(DropTenantSchema(url_, "acme").ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_namespace WHERE nspname = 't_acme'"), "0");
  EXPECT_TRUE(main_store->GetUser("alice").ok());
  // Again (nothing left) is no error; the default tenant's tables are never dropped.
  EXPECT_TRUE(DropTenantSchema(url_, "acme").ok());
  EXPECT_EQ(DropTenantSchema(url_, "default").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(main_store->GetUser("alice").ok());
}

TEST_F(PostgresStoreTest, LostConnectionsAreReopenedByTheNextCalls) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertUsers(std::vector<User>{User{.user_id = "before"}}).ok());
  // The server ends every session of the store (a restart or a failover looks the same).
  EXPECT_EQ(Sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"),
            "3");  // the writer and two readers
  // Each connection fails at most once (Unavailable), then reconnects.
  int write_failures = 0;
  Result<int64_t> wrote = Unavailable("not tried");
  for (int attempt = 0; attempt < 2 && !wrote.ok(); ++attempt) {
    wrote = store->InsertUsers(std::vector<User>{User{.user_id = "after"}});
    if (!wrote.ok()) {
      ++write_failures;
      EXPECT_EQ(wrote.status().code(), StatusCode::kUnavailable) << wrote.status().ToString();
    }
  }
  EXPECT_TRUE(wrote.ok()) << wrote.status().ToString();
  EXPECT_LE(write_failures, 1);
  int read_failures = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto got = store->GetUser("after");
    if (!got.ok()) {
      ++read_failures;
      EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
    }
  }
  EXPECT_LE(read_failures, 2);
  EXPECT_TRUE(store->GetUser("before").ok());
}

TEST_F(PostgresStoreTest, ReadOnlyStoreRefusesWritesAndSaysSo) {
  ASSERT_NE(Open(), nullptr);
  PostgresStoreOptions options;
  options.url = url_;
  options.read_only = true;
  auto store = OpenPostgresStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->InsertUsers(std::vector<User>{User{.user_id = "x"}}).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE((*store)->Writability().read_only);
  EXPECT_TRUE((*store)->Counts().ok());
}

}  // namespace
}  // namespace reco
