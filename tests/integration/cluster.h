// Helpers for the integration tests that run several reco processes on one PostgreSQL store and
// one real redis-server (replicas_test.cc, multinode_test.cc): polling with a bound, metric
// lines, a database per test, and a `reco worker` child with its /metrics endpoint.
//
// Thread-safety: a TestWorker belongs to one test thread; the free functions are thread-safe.
// Lifetime: ~TestWorker SIGKILLs a still-running child.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/testing/test_redis.h"
#include "store/testing/test_postgres.h"
#include "tests/integration/pg_query.h"
#include "tests/integration/test_server.h"

namespace reco::itest {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// The value of the first metric line starting with `series` (-1 when absent).
inline double Metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// Polls `pred` every `poll_ms` until it holds or `seconds` passed; returns whether it held.
inline bool WaitFor(double seconds, const std::function<bool()>& pred, int poll_ms = 20) {
  const auto deadline = SteadyClock::now() + std::chrono::duration<double>(seconds);
  while (SteadyClock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return pred();
}

inline bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A fresh PostgreSQL database (on the ctest fixture's server) named `prefix` + the running
// test's name, lower case: ctest runs the tests of a file in parallel. "" after a failed
// assertion.
inline std::string CreateTestDatabase(const std::string& prefix) {
  std::string db = prefix;
  for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    db.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  auto url = testing::TestPostgres::CreateDatabase(db.substr(0, 63));
  EXPECT_TRUE(url.ok()) << url.status().ToString();
  return url.ok() ? *url : "";
}

// Fills the store `env` names (RECO_STORE_URL, ...) with the demo data every cluster test uses
// (200 users, 300 items, seed 7), written under `work` and imported into `data`. "" on success,
// else the commands' log.
inline std::string ImportClusterDemoData(const std::filesystem::path& work,
                                         const std::filesystem::path& data, const Env& env) {
  const std::filesystem::path src = work / "source";
  const std::filesystem::path log = work / "commands.log";
  if (!RunReco({"demo-data", "--out", src.string(), "--users", "200", "--items", "300", "--seed",
                "7"},
               log)
           .Ok() ||
      !RunReco({"import", "--data-dir", data.string(), src.string()}, log, env).Ok()) {
    return ReadFile(log);
  }
  return "";
}

// A `reco worker --data-dir D --holder H --metrics-port 0` child process.
class TestWorker {
 public:
  TestWorker() = default;
  ~TestWorker() { Kill(SIGKILL); }
  TestWorker(const TestWorker&) = delete;
  TestWorker& operator=(const TestWorker&) = delete;

  // Starts the child and waits (bounded) for its /metrics line. "" on success, otherwise what
  // went wrong plus the log.
  std::string Start(const std::filesystem::path& data_dir, const std::string& holder,
                    const Env& env, double deadline_seconds = 30) {
    static std::atomic<int> counter{0};
    holder_ = holder;
    log_path_ = data_dir.string() + "_worker_" + holder + "_" + std::to_string(counter++) + ".log";
    std::filesystem::remove(log_path_);
    pid_ = SpawnReco({"worker", "--data-dir", data_dir.string(), "--holder", holder,
                      "--metrics-port", "0"},
                     log_path_, env);
    if (pid_ < 0) return "cannot spawn " + RecoBinary();
    const bool listening = WaitFor(deadline_seconds, [&] {
      port_ = MetricsPort(log());
      int status = 0;
      if (port_ == 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
      return port_ > 0 || pid_ < 0;
    });
    if (port_ > 0) {
      client_ = std::make_unique<HttpClient>(port_);
      return "";
    }
    std::string why = listening ? "reco worker exited at start" : "no metrics line in time";
    Kill(SIGKILL);
    return why + "; log:\n" + log();
  }

  // Sends `signal` (SIGKILL: as abrupt as a crash) and waits for the exit (SIGKILL after 30 s).
  void Kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    if (!WaitFor(30, [&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; })) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }
  const std::string& holder() const { return holder_; }
  std::string log() const { return ReadFile(log_path_); }
  // Its /metrics text ("" when it does not answer).
  std::string Metrics() {
    if (!client_) return "";
    HttpResult r = client_->Get("/metrics");
    return r.status == 200 ? r.body : "";
  }
  bool IsLeader() { return Metric(Metrics(), "scheduler_is_leader") == 1; }

 private:
  static int MetricsPort(const std::string& log) {
    const std::string marker = "event=metrics_listening url=http://127.0.0.1:";
    const size_t at = log.find(marker);
    if (at == std::string::npos) return 0;
    return std::atoi(log.c_str() + at + marker.size());
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string holder_;
  std::filesystem::path log_path_;
  std::unique_ptr<HttpClient> client_;
};

// What every cluster test starts from: a PostgreSQL database of its own (ctest runs a file's
// tests in parallel), a redis-server, the demo data imported and `trainings` versions trained,
// `config` as the data directory's reco.toml, replicas A and B started on it, and user_, the
// user with the most feedback. Derived fixtures call StartCluster from SetUp.
class ClusterTest : public ::testing::Test {
 protected:
  explicit ClusterTest(std::string_view tag) : dir_(tag), data_(dir_.path() / "data") {}

  void StartCluster(const std::string& db_prefix, int trainings, std::string_view config) {
    pg_url_ = CreateTestDatabase(db_prefix);
    ASSERT_FALSE(pg_url_.empty());
    ASSERT_TRUE(redis_.Start().ok());
    env_ = {{"RECO_STORE_URL", pg_url_},
            {"RECO_CACHE_URL", redis_.url()},
            {"MODEL_RELOAD_TOKEN", "tok"}};
    ASSERT_EQ(ImportClusterDemoData(dir_.path(), data_, env_), "");
    const std::filesystem::path log = dir_.path() / "commands.log";
    for (int i = 0; i < trainings; ++i) {
      ASSERT_TRUE(RunReco({"train", "--data-dir", data_.string()}, log, env_).Ok())
          << ReadFile(log);
    }
    std::ofstream(data_ / "reco.toml") << config;
    ASSERT_EQ(a_.Start(data_, {.env = env_}), "");
    ASSERT_EQ(b_.Start(data_, {.env = env_}), "");
    ca_ = std::make_unique<HttpClient>(a_.port());
    cb_ = std::make_unique<HttpClient>(b_.port());
    user_ = PgQuery(pg_url_,
                    "SELECT user_id FROM feedback GROUP BY user_id ORDER BY count(*) DESC, 1 "
                    "LIMIT 1");
    ASSERT_FALSE(user_.empty());
  }

  void TearDown() override {
    for (TestServer* server : {&a_, &b_}) {
      if (server->running()) EXPECT_TRUE(server->Stop(SIGTERM).Ok()) << server->log();
    }
  }

  // user_'s recommendation through `c` (20 items).
  std::vector<std::string> Recs(HttpClient& c) {
    HttpResult r = c.Get("/api/recommend/" + user_ + "?n=20");
    EXPECT_EQ(r.status, 200) << r.body;
    return StringArray(r.body);
  }

  // Likes, through A, each of the first `n` items B recommends to user_: B must stop
  // recommending it within 1 s (polled every `poll_ms`). Prints each delay.
  void ExpectFeedbackThroughAReachesB(size_t n, int poll_ms = 20) {
    const std::vector<std::string> before = Recs(*cb_);
    ASSERT_GE(before.size(), n);
    for (size_t i = 0; i < n; ++i) {
      const std::string& item = before[i];
      ASSERT_TRUE(Contains(Recs(*cb_), item));
      const auto written = SteadyClock::now();
      ASSERT_EQ(Like(*ca_, item), 200);
      // B filters what the user has now seen; polled, with the 1 s of the requirement as bound.
      EXPECT_TRUE(WaitFor(1.0, [&] { return !Contains(Recs(*cb_), item); }, poll_ms))
          << "B still recommends " << item << " 1 s after A's feedback\n"
          << b_.log();
      const double delay = SecondsSince(written);
      EXPECT_LT(delay, 1.0);
      std::printf("feedback through A left B's recommendations after %.3f s\n", delay);
    }
  }

  // A like of `item` by user_ through `c`; its HTTP status.
  int Like(HttpClient& c, const std::string& item) {
    HttpResult r = c.Post("/api/feedback", "[" + FeedbackJson("like", user_, item) + "]");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status;
  }

  TempDataDir dir_;
  std::filesystem::path data_;
  std::string pg_url_;
  testing::TestRedis redis_;
  Env env_;
  TestServer a_, b_;
  std::unique_ptr<HttpClient> ca_, cb_;
  std::string user_;
};

}  // namespace reco::itest
