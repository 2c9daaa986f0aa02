// Two `reco serve` replicas sharing one PostgreSQL store (the ctest fixture "postgres"), one data
// directory (models, registry) and one real redis-server (cache.url): feedback written through
// replica A changes replica B's next recommendation within a second; Redis stopped and
// restarted mid-test leaves both answering, is counted, and sharing recovers; a model change
// through A is served by B without registry polling; the scheduler has one leader, by the lock
// in Redis. And a configured Redis that cannot be reached stops reco serve naming the URL.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cache/testing/test_redis.h"
#include "tests/integration/cluster.h"
#include "tests/integration/pg_query.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

const Headers kAuth = {{"Authorization", "Bearer tok"}};

class ReplicasTest : public ClusterTest {
 protected:
  ReplicasTest() : ClusterTest("replicas") {}

  void SetUp() override {
    // Two registered versions: the model test moves production between them. Replicas follow
    // the registry only when told (no polling), so that a model reaching B can only be the
    // notification's doing.
    StartCluster("reco_itest_replicas_", 2, "[registry]\nfollow_seconds = 0\n");
  }
};

TEST_F(ReplicasTest, FeedbackThroughOneReplicaChangesTheOthersNextAnswerWithinASecond) {
  ASSERT_NO_FATAL_FAILURE(ExpectFeedbackThroughAReachesB(3));
  // Feedback through B reaches A the same way.
  const std::string item = Recs(*ca_).front();
  ASSERT_EQ(Like(*cb_, item), 200);
  EXPECT_TRUE(WaitFor(1.0, [&] { return !Contains(Recs(*ca_), item); })) << a_.log();
}

TEST_F(ReplicasTest, TheSchedulerHasOneLeaderByTheLockInRedis) {
  auto leaders = [&] {
    const double a = Metric(ca_->Get("/metrics").body, "scheduler_is_leader");
    const double b = Metric(cb_->Get("/metrics").body, "scheduler_is_leader");
    return std::make_pair(a, b);
  };
  ASSERT_TRUE(WaitFor(15, [&] {
    auto [a, b] = leaders();
    return a + b == 1.0;
  })) << a_.log() << b_.log();
  auto [a, b] = leaders();
  EXPECT_TRUE((a == 1 && b == 0) || (a == 0 && b == 1)) << a << " " << b;
  const std::string leader_log = a == 1 ? a_.log() : b_.log();
  EXPECT_NE(leader_log.find("event=scheduler_leader"), std::string::npos);
  EXPECT_NE(leader_log.find("lock=cache fencing_token="), std::string::npos) << leader_log;
  // The store's lease table was not used.
  EXPECT_EQ(PgQuery(pg_url_, "SELECT count(*) FROM leases"), "0");
}

TEST_F(ReplicasTest, RedisStoppedAndRestartedIsSurvivedAndSharingRecovers) {
  const std::vector<std::string> before = Recs(*cb_);
  ASSERT_GE(before.size(), 3u);
  redis_.Stop();
  // Writes and recommendations go on from the store and local state.
  ASSERT_EQ(Like(*ca_, before[0]), 200);
  EXPECT_FALSE(Contains(Recs(*ca_), before[0]));
  EXPECT_EQ(Recs(*cb_).empty(), false);
  EXPECT_GE(Metric(ca_->Get("/metrics").body, "cache_errors_total{op=\"publish\"}"), 1);
  EXPECT_GE(Metric(ca_->Get("/metrics").body, "cache_errors_total{op=\"history\"}"), 1);

  ASSERT_TRUE(redis_.Start().ok());  // same port, empty
  // B catches up on what it missed (from the shared store) once Redis is back...
  EXPECT_TRUE(WaitFor(15, [&] { return !Contains(Recs(*cb_), before[0]); })) << b_.log();
  EXPECT_GE(Metric(cb_->Get("/metrics").body, "cache_errors_total{op=\"subscribe\"}"), 1);
  // ... and feedback is shared again.
  ASSERT_EQ(Like(*ca_, before[1]), 200);
  EXPECT_TRUE(WaitFor(15, [&] { return !Contains(Recs(*cb_), before[1]); })) << b_.log();
  ASSERT_EQ(Like(*ca_, before[2]), 200);
  EXPECT_TRUE(WaitFor(5, [&] { return !Contains(Recs(*cb_), before[2]); })) << b_.log();
}

TEST_F(ReplicasTest, AModelChangeThroughOneReplicaIsServedByTheOther) {
  HttpResult models = ca_->Get("/api/v1/models");
  ASSERT_EQ(models.status, 200);
  Json registry(models.body);
  ASSERT_EQ(JsonArraySize(registry["versions"]), 2) << models.body;
  simdjson::dom::array versions = registry["versions"].get_array().value();
  const std::string first = StringField(versions.at(0), "run_id");
  const std::string second = StringField(versions.at(1), "run_id");
  auto serving = [](HttpClient& c, const std::string& run_id) {
    const std::string series =
        "reco_model_version_info{run_id=\"" + run_id + "\",variant=\"primary\"}";
    return Metric(c.Get("/metrics").body, series) == 1;
  };
  ASSERT_TRUE(serving(*cb_, second)) << cb_->Get("/metrics").body;
  HttpResult rolled = ca_->Post("/api/v1/models/rollback", "{\"run_id\": \"" + first + "\"}", kAuth);
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_TRUE(serving(*ca_, first));
  EXPECT_TRUE(WaitFor(10, [&] { return serving(*cb_, first); })) << b_.log();
  EXPECT_NE(b_.log().find("event=replica_models_published"), std::string::npos);
}

TEST(ReplicasStartUp, AnUnreachableCacheStopsServeNamingTheMaskedUrl) {
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  const int port = redis.port();
  redis.Stop();  // nothing listens there now
  TempDataDir dir("replicas_unreachable");
  const fs::path data = dir.path() / "data";
  fs::create_directories(data);
  const std::string url = "redis://:hunter2@127.0.0.1:" + std::to_string(port);
  const fs::path log = dir.path() / "serve.log";
  ExitStatus st = RunReco({"serve", "--data-dir", data.string(), "--http-port", "0"}, log,
                          {{"RECO_CACHE_URL", url}});
  EXPECT_TRUE(st.exited && st.code != 0) << st.ToString();
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find("redis://:***@127.0.0.1:" + std::to_string(port)), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << out;  // no fallback to memory
}

}  // namespace
}  // namespace reco::itest
