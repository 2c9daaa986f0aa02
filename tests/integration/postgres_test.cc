// `reco import`, `reco train` and `reco serve` on the PostgreSQL store (RECO_STORE_URL) of the
// test PostgreSQL server: the data goes to the database, the model files to the data directory,
// and an unreachable database stops every command naming the URL with its password masked.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "store/testing/test_postgres.h"
#include "tests/integration/pg_query.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

TEST(PostgresEndToEnd, ImportTrainAndServeARecommendation) {
  auto url = testing::TestPostgres::CreateDatabase("reco_itest_e2e");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  const Env env = {{"RECO_STORE_URL", *url}};
  TempDataDir dir("postgres_e2e");
  const fs::path data = dir.path() / "data";
  const fs::path src = dir.path() / "source";
  const fs::path log = dir.path() / "commands.log";
  ASSERT_TRUE(RunReco({"demo-data", "--out", src.string(), "--users", "200", "--items", "300",
                       "--seed", "7"},
                      log)
                  .Ok())
      << ReadFile(log);
  ASSERT_TRUE(RunReco({"import", "--data-dir", data.string(), src.string()}, log, env).Ok())
      << ReadFile(log);
  // The rows are in PostgreSQL, not in a SQLite file of the data directory.
  EXPECT_EQ(PgQuery(*url, "SELECT count(*) FROM users"), "200");
  EXPECT_GT(std::stoll(PgQuery(*url, "SELECT count(*) FROM feedback")), 1000);
  EXPECT_FALSE(fs::exists(data / "reco.db"));
  ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, log, env).Ok()) << ReadFile(log);
  EXPECT_TRUE(fs::exists(data / "models"));  // model files stay on local disk

  TestServer server;
  ServerOptions options;
  options.env = env;
  ASSERT_EQ(server.Start(data, options), "");
  HttpClient c(server.port());
  const std::string user =
      PgQuery(*url, "SELECT user_id FROM feedback GROUP BY user_id ORDER BY count(*) DESC, 1 LIMIT 1");
  HttpResult recs = c.Get("/api/recommend/" + user + "?n=5");
  ASSERT_EQ(recs.status, 200) << recs.body;
  EXPECT_EQ(StringArray(recs.body).size(), 5u) << recs.body;
  // A write through the server lands in the database.
  HttpResult like = c.Post("/api/feedback", "[" + FeedbackJson("like", "pg_newcomer", "i1") + "]");
  ASSERT_EQ(like.status, 200) << like.body;
  EXPECT_EQ(PgQuery(*url, "SELECT count(*) FROM feedback WHERE user_id = 'pg_newcomer'"), "1");
  EXPECT_EQ(c.Get("/api/health/ready").status, 200);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok()) << server.log();
  EXPECT_FALSE(fs::exists(data / "reco.db"));
}

TEST(PostgresEndToEnd, UnreachableDatabaseStopsEveryCommandWithTheMaskedUrl) {
  TempDataDir dir("postgres_unreachable");
  const fs::path data = dir.path() / "data";
  fs::create_directories(data);
  const Env env = {{"RECO_STORE_URL", "postgres://reco:hunter2@127.0.0.1:1/reco"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"train", "--data-dir", data.string()},
        std::vector<std::string>{"serve", "--data-dir", data.string(), "--http-port", "0"}}) {
    const fs::path log = dir.path() / (args[0] + ".log");
    ExitStatus st = RunReco(args, log, env);
    EXPECT_TRUE(st.exited && st.code != 0) << args[0] << ": " << st.ToString();
    const std::string out = ReadFile(log);
    EXPECT_NE(out.find("postgres://reco:***@127.0.0.1:1/reco"), std::string::npos)
        << args[0] << ": " << out;
    EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  }
  EXPECT_FALSE(fs::exists(data / "reco.db"));  // never a fallback to SQLite
}

}  // namespace
}  // namespace reco::itest
