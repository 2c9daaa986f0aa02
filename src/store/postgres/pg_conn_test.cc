#include "store/postgres/pg_conn.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/config.h"
#include "store/open_store.h"
#include "store/postgres/postgres_store.h"

namespace reco::pg {
namespace {

TEST(PgUrl, MaskHidesThePassword) {
  struct Case {
    const char* url;
    const char* masked;
  } cases[] = {
      {"postgres://reco:secret@db.example:5432/reco", "postgres://reco:***@db.example:5432/reco"},
      {"postgresql://reco:s3cr%40t@host/db?sslmode=require",
       "postgresql://reco:***@host/db?sslmode=require"},
      {"postgres://u:p@ss:w/rd@host:5432/db", "postgres://u:***@host:5432/db"},
      {"postgres://reco@host/db", "postgres://reco@host/db"},
      {"postgres://host:5432/db", "postgres://host:5432/db"},
      {"postgresql:///db?host=/tmp/x&password=hunter2&port=5",
       "postgresql:///db?host=/tmp/x&password=***&port=5"},
      {"postgres://u:pw@h/db?password=other", "postgres://u:***@h/db?password=***"},
  };
  for (const Case& c : cases) EXPECT_EQ(MaskUrl(c.url), c.masked) << c.url;
}

TEST(PgUrl, OnlyPostgresSchemesAreUrls) {
  EXPECT_TRUE(IsPostgresUrl("postgres://h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgresql://h/db"));
  EXPECT_FALSE(IsPostgresUrl("mysql://h/db"));
  EXPECT_FALSE(IsPostgresUrl("host=h dbname=db"));
}

TEST(PgUrl, CopyTextEscapesSeparators) {
  std::string out;
  AppendCopyText(out, "a\tb\nc\\d\re");
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re");
}

TEST(OpenPostgresStoreTest, UnreachableServerNamesTheMaskedUrl) {
  PostgresStoreOptions options;
  options.url = "postgres://reco:s3cret@127.0.0.1:1/reco";
  auto store = OpenPostgresStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("postgres://reco:***@127.0.0.1:1/reco"),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(store.status().message().find("s3cret"), std::string::npos);
}

TEST(OpenPostgresStoreTest, StoreUrlNeverFallsBackToSqlite) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("reco_pg_nofallback_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  RecoConfig config;
  config.store.url = "postgresql://reco:pw@127.0.0.1:1/reco";
  auto store = OpenStore(config, dir);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("postgresql://reco:***@127.0.0.1:1/reco"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "reco.db"));
  std::filesystem::remove_all(dir);
}

TEST(OpenPostgresStoreTest, NotAPostgresUrlIsInvalidArgument) {
  PostgresStoreOptions options;
  options.url = "mysql://u:pw@h/db";
  auto store = OpenPostgresStore(options);
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().message().find("pw@"), std::string::npos);
}

TEST(OpenPostgresStoreTest, TenantSchemasAreDistinctIdentifiers) {
  EXPECT_EQ(TenantSchema("default"), "");
  EXPECT_EQ(TenantSchema("acme"), "t_acme");
  const std::string long_a = TenantSchema(std::string(63, 'a'));
  const std::string long_b = TenantSchema(std::string(62, 'a') + "b");
  EXPECT_LE(long_a.size(), 63u);
  EXPECT_NE(long_a, long_b);
}

}  // namespace
}  // namespace reco::pg
