// Several nodes, failures included, all real processes: one PostgreSQL store (the ctest fixture
// "postgres"), one redis-server, two `reco serve` replicas and two `reco worker` processes on
// one data directory, the workers' train job every few seconds. In one run:
//  1. feedback written through replica A changes replica B's next answer within 1 s;
//  2. a model version the leading worker's scheduled train publishes is served by both replicas
//     (the version in the recommend answer), told through Redis (registry polling is off);
//  3. `kill -9` of the leading worker hands leadership to the other within the lease + 1 s, and
//     the new leader publishes the next version;
//  4. `kill -9` of replica A under load leaves replica B answering with zero failed requests;
//  5. redis-server killed and restarted: both replicas keep answering, sharing recovers, a worker
//     leads again and its next version reaches the replicas;
// and across all of it no scheduled job ran twice: every run is recorded under the fencing token
// of its leader's term, the terms only grow, one holder per term, one run per job and slot.
// The measured figures are printed (docs/scale-out.md, "Failure modes, as tested").
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/testing/test_redis.h"
#include "tests/integration/cluster.h"
#include "tests/integration/pg_query.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

constexpr double kLeaseSeconds = 3;  // worker.lease_seconds below

// The worker schedules train every 4 s and nothing else; replicas never lead (in_serve off) and
// never poll the registry (follow_seconds 0): a new version reaches them only by the
// notification. Every run on new data publishes (no quality gate: the test is about delivery,
// not model quality); a run without new data trains nothing.
constexpr const char* kConfig = R"toml(
[registry]
follow_seconds = 0

[worker]
in_serve = false
lease_seconds = 3
train_cron = "@every 4s"
item_vectors_cron = "0 0 1 1 *"
user_profiles_cron = "0 0 1 1 *"
precompute_cron = "0 0 1 1 *"
cache_cleanup_cron = "0 0 1 1 *"
max_retries = 0
job_timeout_seconds = 120

[pipeline]
gate_min_ratio = 0
min_data_quality = 0
)toml";

class MultiNodeTest : public ClusterTest {
 protected:
  MultiNodeTest() : ClusterTest("multinode") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCluster("reco_itest_multinode_", 1, kConfig));
    initial_version_ = Production();
    ASSERT_FALSE(initial_version_.empty());
  }

  void TearDown() override {
    ClusterTest::TearDown();
    for (TestWorker* worker : {&w1_, &w2_}) {
      if (worker->running()) worker->Kill(SIGTERM);
    }
  }

  // The recommendation of user_ and the model version that answered it.
  struct Answer {
    int status = -1;
    std::vector<std::string> items;
    std::string version;
  };
  Answer Recommend(HttpClient& c) {
    HttpResult r = c.Get("/api/recommend/" + user_ + "?n=20");
    return {r.status, StringArray(r.body), r.Header("x-reco-model-version")};
  }
  // The run id of the registry's production version, through replica A ("" when none).
  std::string Production() {
    HttpResult models = ca_->Get("/api/v1/models");
    if (models.status != 200) return "";
    Json registry(models.body);
    simdjson::dom::array versions;
    if (registry["versions"].get_array().get(versions) != simdjson::SUCCESS) return "";
    for (simdjson::dom::element v : versions) {
      simdjson::dom::array aliases;
      if (v["aliases"].get_array().get(aliases) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element alias : aliases) {
        if (alias.get_string().value_unsafe() == "production") return StringField(v, "run_id");
      }
    }
    return "";
  }
  // Waits until the registry's production version is neither `after` nor the initial one and
  // both replicas answer with it; returns it ("" on time-out). Prints how long the replicas
  // took once the registry had it.
  std::string WaitForPublishedVersionOnBothReplicas(const std::string& after, double seconds) {
    std::string published;
    std::string seen;  // the newest production seen, and when
    auto seen_at = SteadyClock::now();
    const bool served = WaitFor(seconds, [&] {
      const std::string p = Production();
      if (p != seen) {
        seen = p;
        seen_at = SteadyClock::now();
      }
      if (p.empty() || p == after || p == initial_version_) return false;
      if (Recommend(*ca_).version != p || Recommend(*cb_).version != p) return false;
      published = p;
      return true;
    });
    if (!served) return "";
    std::printf("version %s published by the worker, served by both replicas %.3f s after the "
                "registry showed it\n",
                published.c_str(), SecondsSince(seen_at));
    return published;
  }
  // The leading worker, null when none leads (both are asked).
  TestWorker* Leader() {
    TestWorker* leader = nullptr;
    for (TestWorker* w : {&w1_, &w2_}) {
      if (w->running() && w->IsLeader()) {
        if (leader != nullptr) return nullptr;  // two claim it: not settled (fails below)
        leader = w;
      }
    }
    return leader;
  }

  TestWorker w1_, w2_;
  std::string initial_version_;
};

TEST_F(MultiNodeTest, ReplicasAndWorkersSurviveKilledNodesAndARedisRestart) {
  // ---- 1. Feedback through A reaches B within 1 s (before the workers retrain anything).
  ASSERT_NO_FATAL_FAILURE(ExpectFeedbackThroughAReachesB(3, 5));

  // ---- 2. Two workers, one leader; its scheduled train publishes a version both replicas serve.
  ASSERT_EQ(w1_.Start(data_, "w1", env_), "");
  ASSERT_EQ(w2_.Start(data_, "w2", env_), "");
  ASSERT_TRUE(WaitFor(15, [&] { return Leader() != nullptr; })) << w1_.log() << w2_.log();
  TestWorker* leader = Leader();
  ASSERT_NE(leader, nullptr);
  TestWorker* standby = leader == &w1_ ? &w2_ : &w1_;
  EXPECT_EQ(Metric(standby->Metrics(), "scheduler_is_leader"), 0);
  EXPECT_GE(Metric(leader->Metrics(), "cache_errors_total{op=\"lock\"}"), 0);  // exported
  const std::string first = WaitForPublishedVersionOnBothReplicas("", 40);
  ASSERT_FALSE(first.empty()) << leader->log() << b_.log();
  EXPECT_NE(b_.log().find("event=replica_models_published"), std::string::npos);

  // ---- 3. kill -9 of the leading worker: the other leads within the lease + 1 s.
  {
    const auto killed = SteadyClock::now();
    leader->Kill(SIGKILL);
    ASSERT_TRUE(WaitFor(kLeaseSeconds + 5, [&] { return standby->IsLeader(); }))
        << standby->log();
    const double failover = SecondsSince(killed);
    EXPECT_LE(failover, kLeaseSeconds + 1);
    std::printf("leading worker %s killed: %s leads after %.3f s (lease %.0f s)\n",
                leader->holder().c_str(), standby->holder().c_str(), failover, kLeaseSeconds);
  }
  // The new leader's own scheduled train (on new data: the pipeline skips training otherwise)
  // reaches both replicas.
  ASSERT_EQ(Like(*cb_, Recs(*cb_).front()), 200);
  const std::string second = WaitForPublishedVersionOnBothReplicas(first, 40);
  ASSERT_FALSE(second.empty()) << standby->log();
  // ... and its run is recorded (the record follows the publication).
  const std::string last_success =
      "SELECT holder FROM job_runs WHERE status = 'succeeded' AND job = 'train' ORDER BY id DESC "
      "LIMIT 1";
  EXPECT_TRUE(WaitFor(10, [&] { return PgQuery(pg_url_, last_success) == standby->holder(); }))
      << PgQuery(pg_url_, last_success);

  // ---- 4. kill -9 of replica A while clients drive replica B: no request fails.
  {
    // Three threads ask for recommendations, one also writes feedback now and then.
    const std::vector<std::string> items = Recs(*cb_);
    ASSERT_FALSE(items.empty());
    std::atomic<bool> stop{false};
    std::atomic<int64_t> requests{0}, failures{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        HttpClient c(b_.port());
        for (size_t i = 0; !stop.load(); ++i) {
          const std::string& item = items[(i / 10) % items.size()];
          HttpResult r =
              (t == 0 && i % 10 == 0)
                  ? c.Post("/api/feedback", "[" + FeedbackJson("like", user_, item) + "]")
                  : c.Get("/api/recommend/" + user_ + "?n=10");
          requests.fetch_add(1);
          if (r.status != 200) failures.fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const ExitStatus killed = a_.Stop(SIGKILL);
    EXPECT_FALSE(killed.exited);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    stop = true;
    for (std::thread& c : clients) c.join();
    std::printf("replica A killed under load: replica B answered %lld requests, %lld failed\n",
                static_cast<long long>(requests.load()), static_cast<long long>(failures.load()));
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GE(requests.load(), 200);
  }
  ASSERT_EQ(a_.Start(data_, {.env = env_}), "");  // A comes back (a new process, a new port)
  ca_ = std::make_unique<HttpClient>(a_.port());

  // ---- 5. redis-server killed and restarted mid-test.
  {
    const std::vector<std::string> recs = Recs(*cb_);
    ASSERT_GE(recs.size(), 2u);
    redis_.Stop();
    ASSERT_EQ(Like(*ca_, recs[0]), 200);  // written to the store; not shared meanwhile
    // Both keep answering for a while without Redis (longer than a lock renewal period).
    const auto down = SteadyClock::now();
    int answered = 0;
    while (SecondsSince(down) < 2) {
      ASSERT_EQ(Recommend(*ca_).status, 200);
      ASSERT_EQ(Recommend(*cb_).status, 200);
      answered += 2;
    }
    std::printf("redis down: the replicas answered %d requests, all of them\n", answered);
    EXPECT_FALSE(Contains(Recs(*ca_), recs[0]));
    EXPECT_GE(Metric(ca_->Get("/metrics").body, "cache_errors_total{op=\"publish\"}"), 1);
    ASSERT_TRUE(redis_.Start().ok());  // same port, empty
    const auto back = SteadyClock::now();
    // B catches up from the store once Redis is back, and feedback is shared again.
    EXPECT_TRUE(WaitFor(15, [&] { return !Contains(Recs(*cb_), recs[0]); })) << b_.log();
    const std::string item = Recs(*cb_).front();
    const auto written = SteadyClock::now();
    ASSERT_EQ(Like(*ca_, item), 200);
    EXPECT_TRUE(WaitFor(5, [&] { return !Contains(Recs(*cb_), item); }, 5)) << b_.log();
    std::printf("redis restarted: sharing back after %.3f s, next feedback reflected in %.3f s\n",
                std::chrono::duration<double>(written - back).count(), SecondsSince(written));
    ASSERT_TRUE(WaitFor(kLeaseSeconds + 10, [&] { return Leader() != nullptr; }))
        << standby->log();
    std::printf("redis restarted: a worker leads %.3f s after redis returned\n", SecondsSince(back));
    EXPECT_GE(Metric(standby->Metrics(), "cache_errors_total{op=\"lock\"}"), 1);
    const std::string third = WaitForPublishedVersionOnBothReplicas(second, 40);
    EXPECT_FALSE(third.empty()) << standby->log();
  }

  // ---- No scheduled job ran twice; every run carries its leader's term, and terms only grow.
  const auto runs =
      PgRows(pg_url_,
             "SELECT id, job, trigger_kind, scheduled_for, holder, fencing_token, status, error"
             " FROM job_runs ORDER BY id");
  ASSERT_GE(runs.size(), 3u);
  std::map<std::pair<std::string, std::string>, int> per_slot;
  std::map<std::string, std::string> holder_of_term;
  int64_t last_term = 0;
  for (const auto& run : runs) {
    SCOPED_TRACE("run " + run[0] + " " + run[1] + " by " + run[4] + " term " + run[5] + " " +
                 run[6] + " " + run[7]);
    EXPECT_EQ(run[2], "scheduled");
    const int runs_of_slot = ++per_slot[std::make_pair(run[1], run[3])];
    EXPECT_EQ(runs_of_slot, 1) << "job " << run[1] << " ran twice for a slot";
    const int64_t term = std::stoll(run[5]);
    EXPECT_GT(term, 0);
    EXPECT_GE(term, last_term);
    last_term = term;
    // A successor that found the run abandoned recorded that verdict under its own term.
    if (run[7].starts_with("abandoned:")) continue;
    auto [it, inserted] = holder_of_term.emplace(run[5], run[4]);
    EXPECT_EQ(it->second, run[4]) << "two holders wrote under term " << run[5];
  }
  // The killed leader's term and its successor's at least (the killed leader's only run may
  // have been recorded as abandoned under its successor's term).
  const int64_t terms = std::stoll(PgQuery(pg_url_, "SELECT token FROM fences"));
  EXPECT_GE(terms, 2);
  EXPECT_EQ(PgQuery(pg_url_, "SELECT count(DISTINCT holder) FROM job_runs"), "2");
  std::printf("%zu scheduled runs, %lld leader terms taken, none twice for a slot\n", runs.size(),
              static_cast<long long>(terms));
}

}  // namespace
}  // namespace reco::itest
