// The Matomo source against a real MariaDB server (Debian's mariadb-server), started in a temp
// dir on 127.0.0.1 with a free port, with Matomo's layout of the two tables it reads.
#include "pipeline/matomo_source.h"

#include <gtest/gtest.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "data/testing/temp_dir.h"
#include "pipeline/testing/mariadb_server.h"
#include "pipeline/extract.h"
#include "store/sqlite/sqlite_store.h"

namespace reco::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(MatomoUrlMapper, TakesGroupOneAndSkipsUrlsThatDoNotMatch) {
  auto mapper = MatomoUrlMapper::Create("/items?/([^/?#]+)");
  ASSERT_TRUE(mapper.ok());
  EXPECT_EQ(mapper->ItemId("https://shop.example.com/items/42?ref=home"), "42");
  EXPECT_EQ(mapper->ItemId("http://shop.example.com/item/abc#top"), "abc");
  EXPECT_EQ(mapper->ItemId("https://shop.example.com/about"), std::nullopt);
}

TEST(MatomoUrlMapper, RejectsBadPatternsNamingTheKey) {
  auto no_group = MatomoUrlMapper::Create("/items/.*");
  ASSERT_FALSE(no_group.ok());
  EXPECT_NE(no_group.status().message().find("sources.matomo_item_url_pattern"), std::string::npos);
  EXPECT_FALSE(MatomoUrlMapper::Create("/items/(").ok());
}

TEST(MatomoHelpers, VisitorHexAndUrlPrefix) {
  EXPECT_EQ(MatomoVisitorHex(std::string("\x01\x02\xab\xff\x00\x10\x7f\x80", 8)),
            "0102abff00107f80");
  EXPECT_EQ(MatomoFullUrl("example.com/items/1", 0), "http://example.com/items/1");
  EXPECT_EQ(MatomoFullUrl("example.com/items/1", 3), "https://www.example.com/items/1");
  EXPECT_EQ(MatomoFullUrl("example.com/items/1", std::nullopt), "example.com/items/1");
}

TEST(MatomoHelpers, ConfigErrorsNameTheKey) {
  SourcesConfig c;
  c.matomo_host = "127.0.0.1";
  c.matomo_table_prefix = "matomo_; DROP";
  Status s = ValidateMatomoConfig(c);
  EXPECT_EQ(s.field(), "sources.matomo_table_prefix");
}

// ---- real server (pipeline/testing/mariadb_server.h)

// Matomo's two tables, their rows, and the account reco reads them with.
constexpr const char* kSchema[] = {
    "CREATE DATABASE matomo",
    reco::testing::kMatomoLogActionTable,
    reco::testing::kMatomoLinkVisitActionTable,
    "INSERT INTO matomo.matomo_log_action(idaction, name, hash, type, url_prefix) VALUES"
    " (1, 'shop.example.com/items/42', CRC32('shop.example.com/items/42'), 1, 2),"
    " (2, 'shop.example.com/about', CRC32('shop.example.com/about'), 1, 2),"
    " (3, 'Item 42', CRC32('Item 42'), 4, NULL),"
    " (4, 'shop.example.com/item/abc?x=1', CRC32('shop.example.com/item/abc?x=1'), 1, 0)",
    "INSERT INTO matomo.matomo_log_link_visit_action"
    " (idlink_va, idsite, idvisitor, idvisit, server_time, idaction_name, idaction_url) VALUES"
    " (1, 1, UNHEX('0102030405060708'), 1, '2024-03-01 10:00:00', 3, 1),"
    " (2, 1, UNHEX('a1a2a3a4a5a6a7a8'), 2, '2024-03-01 11:00:00', NULL, 2),"
    " (3, 1, UNHEX('a1a2a3a4a5a6a7a8'), 2, '2024-03-01 11:05:00', NULL, 4),"
    " (4, 2, UNHEX('b1b2b3b4b5b6b7b8'), 3, '2024-03-01 12:00:00', 3, 1),"
    " (5, 1, UNHEX('0102030405060708'), 1, '2024-03-01 12:30:00', NULL, NULL)",
    "CREATE USER 'matomo'@'127.0.0.1' IDENTIFIED BY 'secret'",
    "GRANT SELECT ON matomo.* TO 'matomo'@'127.0.0.1'",
};

using reco::testing::MariaDbServer;

class MatomoServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new MariaDbServer();
    start_error_ = server_->Start();
    if (!start_error_.empty()) return;
    MYSQL* m = server_->RootConnection();
    for (const char* sql : kSchema) {
      if (mysql_query(m, sql) != 0) {
        start_error_ = std::string(sql) + ": " + mysql_error(m);
        break;
      }
    }
    mysql_close(m);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (start_error_ == "skip") GTEST_SKIP() << "mariadbd / mariadb-install-db not installed";
    ASSERT_EQ(start_error_, "");
    SqliteStoreOptions opts;
    opts.path = dir_.path() / "reco.db";
    auto store = OpenSqliteStore(opts);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    config_.sources.matomo_host = "127.0.0.1";
    config_.sources.matomo_port = server_->port();
    config_.sources.matomo_user = "matomo";
    config_.sources.matomo_password = "secret";
    config_.sources.matomo_site_id = 1;
  }

  void Exec(const std::string& sql) {
    MYSQL* m = server_->RootConnection();
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(mysql_query(m, sql.c_str()), 0) << mysql_error(m);
    mysql_close(m);
  }

  Result<ExtractReport> Run(ExtractOptions options = {}) {
    return RunExtract(options, config_, *store_, dir_.path() / "data", clock_);
  }

  std::vector<Feedback> StoredFeedback() {
    std::vector<Feedback> rows;
    EXPECT_TRUE(
        store_->ScanFeedback(0, [&](const FeedbackRecord& r) { rows.push_back(r.feedback); }).ok());
    return rows;
  }

  static MariaDbServer* server_;
  static std::string start_error_;
  reco::testing::TempDir dir_{"matomo_extract"};
  std::unique_ptr<Store> store_;
  RecoConfig config_;
  FakeClock clock_{1'710'000'000LL * kMicrosPerSecond};
};

MariaDbServer* MatomoServerTest::server_ = nullptr;
std::string MatomoServerTest::start_error_;

TEST_F(MatomoServerTest, ImportsPageViewsThenOnlyNewOnes) {
  ExtractOptions dry;
  dry.dry_run = true;
  Result<ExtractReport> preview = Run(dry);
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  EXPECT_EQ(preview->Find(kMatomoSource)->rows_read, 3);  // site 1 page views 1..3
  EXPECT_EQ(StoredFeedback().size(), 0u);

  Result<ExtractReport> first = Run();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const SourceReport* m = first->Find(kMatomoSource);
  EXPECT_EQ(m->rows_read, 3);
  EXPECT_EQ(m->rows_skipped, 1);  // /about
  EXPECT_EQ(m->rows_written, 2);
  EXPECT_EQ(m->watermark_after, "idlink_va 3");
  std::vector<Feedback> rows = StoredFeedback();
  ASSERT_EQ(rows.size(), 2u);
  std::sort(rows.begin(), rows.end(),
            [](const Feedback& a, const Feedback& b) { return a.timestamp < b.timestamp; });
  EXPECT_EQ(rows[0].feedback_type, "read");
  EXPECT_EQ(rows[0].user_id, "0102030405060708");
  EXPECT_EQ(rows[0].item_id, "42");
  // 2024-03-01T10:00:00Z, although the server's own time zone is +05:00.
  EXPECT_EQ(rows[0].timestamp, 1'709'287'200LL * kMicrosPerSecond);
  EXPECT_EQ(rows[1].user_id, "a1a2a3a4a5a6a7a8");
  EXPECT_EQ(rows[1].item_id, "abc");

  Exec(
      "INSERT INTO matomo.matomo_log_link_visit_action"
      " (idlink_va, idsite, idvisitor, idvisit, server_time, idaction_url) VALUES"
      " (6, 1, UNHEX('c1c2c3c4c5c6c7c8'), 4, '2024-03-02 00:00:00', 1)");
  Result<ExtractReport> second = Run();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->Find(kMatomoSource)->rows_read, 1);
  EXPECT_EQ(second->Find(kMatomoSource)->rows_written, 1);
  EXPECT_EQ(second->Find(kMatomoSource)->watermark_after, "idlink_va 6");
  EXPECT_EQ(StoredFeedback().size(), 3u);

  Result<ExtractReport> third = Run();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->Find(kMatomoSource)->rows_read, 0);

  // Small batches walk the same rows; a full refresh writes nothing new.
  ExtractOptions full;
  full.full_refresh = true;
  full.batch_rows = 1;
  Result<ExtractReport> refresh = Run(full);
  ASSERT_TRUE(refresh.ok());
  EXPECT_EQ(refresh->Find(kMatomoSource)->rows_read, 4);
  EXPECT_EQ(refresh->Find(kMatomoSource)->rows_written, 0);
}

TEST_F(MatomoServerTest, PageViewsDatedTooFarInTheFutureAreRejected) {
  // Site 3 is this test's own: the clock is 2024-03-09T16:00:00Z, the allowed skew one day.
  config_.sources.matomo_site_id = 3;
  Exec(
      "INSERT INTO matomo.matomo_log_link_visit_action"
      " (idlink_va, idsite, idvisitor, idvisit, server_time, idaction_url) VALUES"
      " (10, 3, UNHEX('d1d2d3d4d5d6d7d8'), 5, '2024-03-09 10:00:00', 1),"
      " (11, 3, UNHEX('d1d2d3d4d5d6d7d8'), 5, '2024-03-20 00:00:00', 1)");
  Result<ExtractReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SourceReport* m = r->Find(kMatomoSource);
  EXPECT_EQ(m->rows_read, 2);
  EXPECT_EQ(m->rows_rejected, 1);
  EXPECT_EQ(m->rows_written, 1);
  ASSERT_EQ(m->issues.size(), 1u);
  EXPECT_EQ(m->issues[0],
            "page view of 42: Timestamp is 2024-03-20T00:00:00Z, later than the latest accepted "
            "time 2024-03-10T16:00:00Z (now + database.max_future_skew_seconds)");
  std::vector<Feedback> rows = StoredFeedback();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].timestamp, 1'709'978'400LL * kMicrosPerSecond);  // 2024-03-09T10:00:00Z
}

TEST_F(MatomoServerTest, WrongPasswordIsUnavailableNamingTheServer) {
  config_.sources.matomo_password = "wrong";
  Result<ExtractReport> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("matomo@127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos);
}

TEST_F(MatomoServerTest, MissingTableIsNotFoundNamingIt) {
  config_.sources.matomo_table_prefix = "piwik_";
  Result<ExtractReport> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("piwik_log_link_visit_action"), std::string::npos);
}

}  // namespace
}  // namespace reco::pipeline
