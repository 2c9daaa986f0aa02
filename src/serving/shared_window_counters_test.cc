// SharedWindowCounters and SharedCounts on a real redis-server (cache/testing/test_redis.h).
#include "serving/shared_window_counters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cache/redis/redis_cache.h"
#include "cache/testing/test_redis.h"

namespace reco {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr TimestampUs kT0 = 1'000'000 * kHour;

WindowCountersOptions Options() {
  return {.windows = {*ParseWindowSpec("1h/1m", "w"), *ParseWindowSpec("24h/10m", "w")},
          .half_life_s = 3600,
          .max_keys = 1'000'000,
          .series = {{"exposures:item"}, {"exposures:scenario"}}};
}

std::map<std::string, double> ValuesOf(const WindowCounters& c, size_t series, int window,
                                       TimestampUs now) {
  std::vector<KeyValue> values;
  c.Values(series, window, now, values);
  std::map<std::string, double> out;
  for (const KeyValue& v : values) out[v.key] += v.value;
  return out;
}

void Add(WindowCounters& c, std::vector<std::string_view> keys, TimestampUs ts,
         size_t series = 0) {
  c.Add(series, keys, 1, ts);
}

class SharedCountersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new testing::TestRedis();
    redis_status_ = redis_->Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(redis_status_.ok()) << redis_status_.ToString(); }

  // A connection of its own, as each replica has; its failed calls are counted in errors_.
  std::unique_ptr<Cache> Connect() {
    auto opened = OpenRedisCache({.url = redis_->url(),
                                  .connect_timeout_ms = 200,
                                  .command_timeout_ms = 200,
                                  .on_error = [this](std::string_view op) {
                                    if (op == "counters") ++errors_;
                                  }});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // One replica's counters over a connection of its own (their first sync, at creation, reads
  // what Redis holds); `*r` and `r->` are its WindowCounters.
  struct Replica {
    std::unique_ptr<Cache> cache;
    std::unique_ptr<WindowCounters> counters;
    WindowCounters& operator*() const { return *counters; }
    WindowCounters* operator->() const { return counters.get(); }
    SharedWindowCounters& shared() const { return static_cast<SharedWindowCounters&>(*counters); }
  };
  Replica NewReplica(const Clock& clock) {
    Replica r{.cache = Connect()};
    if (r.cache) r.counters = NewSharedWindowCounters(Options(), *r.cache, clock, Shared());
    return r;
  }

  // A prefix no other test uses (the Redis server is shared by the suite).
  static SharedCountersOptions Shared() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return {.prefix = std::string("t:") + info->name() + ":", .sync_interval_ms = 0};
  }

  static testing::TestRedis* redis_;
  static Status redis_status_;
  std::atomic<int> errors_{0};
};

testing::TestRedis* SharedCountersTest::redis_ = nullptr;
Status SharedCountersTest::redis_status_ = Status::Ok();

TEST_F(SharedCountersTest, TwoReplicasSharingOneRedisAgree) {
  FakeClock clock(kT0);
  Replica a = NewReplica(clock), b = NewReplica(clock);
  ASSERT_NE(a.counters, nullptr);
  ASSERT_NE(b.counters, nullptr);
  Add(*a, {"x", "y"}, kT0);
  Add(*b, {"x"}, kT0 + 10 * kSecond);
  Add(*a, {"home"}, kT0, 1);
  // Each sees its own events before any sync ...
  EXPECT_EQ(ValuesOf(*a, 0, 0, kT0 + 10 * kSecond),
            (std::map<std::string, double>{{"x", 1}, {"y", 1}}));
  EXPECT_EQ(ValuesOf(*b, 0, 0, kT0 + 10 * kSecond), (std::map<std::string, double>{{"x", 1}}));
  // ... and the other's once both synced (b's deltas reach a at a's next sync).
  SharedWindowCounters& shared_a = a.shared();
  SharedWindowCounters& shared_b = b.shared();
  ASSERT_TRUE(shared_a.Sync().ok());
  ASSERT_TRUE(shared_b.Sync().ok());
  ASSERT_TRUE(shared_a.Sync().ok());
  clock.Advance(20 * kMinute);
  Add(*b, {"y"}, clock.NowMicros());  // not synced yet: b counts it, a does not yet
  const std::map<std::string, double> expected = {{"x", 2}, {"y", 1}};
  EXPECT_EQ(ValuesOf(*a, 0, 0, clock.NowMicros()), expected);
  EXPECT_EQ(ValuesOf(*b, 0, 0, clock.NowMicros()),
            (std::map<std::string, double>{{"x", 2}, {"y", 2}}));
  EXPECT_EQ(a->Value(0, "x", 1, clock.NowMicros()), 2);
  EXPECT_EQ(a->Value(1, "home", 0, clock.NowMicros()), 1);
  // Exact windows: the minute of kT0 leaves the hour window when minute 60 begins.
  ASSERT_TRUE(shared_b.Sync().ok());
  ASSERT_TRUE(shared_a.Sync().ok());
  EXPECT_EQ(a->Value(0, "y", 0, kT0 + 60 * kMinute - 1), 2);
  EXPECT_EQ(a->Value(0, "y", 0, kT0 + 60 * kMinute), 1);
  EXPECT_EQ(a->Value(0, "x", 0, kT0 + 60 * kMinute), 0);
  EXPECT_EQ(a->Value(0, "x", 1, kT0 + 60 * kMinute), 2);  // the day window still has them
  EXPECT_EQ(errors_.load(), 0);
}

TEST_F(SharedCountersTest, AFreshReplicaStartsWithTheCountsSoFar) {
  FakeClock clock(kT0);
  Replica a = NewReplica(clock);
  ASSERT_NE(a.counters, nullptr);
  for (int m = 0; m < 90; ++m) Add(*a, {"x"}, kT0 + m * kMinute);
  clock.Set(kT0 + 89 * kMinute);
  ASSERT_TRUE(a.shared().Sync().ok());
  // b starts now: its first sync (at creation) reads every bucket of every window.
  Replica b = NewReplica(clock);
  ASSERT_NE(b.counters, nullptr);
  EXPECT_TRUE(b.shared().shared_view());
  EXPECT_EQ(b->Value(0, "x", 0, clock.NowMicros()), 60);  // minutes 30..89
  EXPECT_EQ(b->Value(0, "x", 1, clock.NowMicros()), 90);
  EXPECT_EQ(b->stats().keys, 0u);  // none of its own
}

TEST_F(SharedCountersTest, WithRedisDownLocalCountingGoesOnAndErrorsAreCounted) {
  FakeClock clock(kT0);
  Replica a = NewReplica(clock), b = NewReplica(clock);
  ASSERT_NE(a.counters, nullptr);
  ASSERT_NE(b.counters, nullptr);
  SharedWindowCounters& shared_a = a.shared();
  Add(*a, {"x"}, kT0);
  Add(*b, {"x"}, kT0);
  ASSERT_TRUE(b.shared().Sync().ok());
  ASSERT_TRUE(shared_a.Sync().ok());
  EXPECT_EQ(a->Value(0, "x", 0, kT0), 2);

  redis_->Stop();
  Add(*a, {"x", "y"}, kT0 + kSecond);
  EXPECT_FALSE(shared_a.Sync().ok());
  EXPECT_FALSE(shared_a.shared_view());
  EXPECT_GT(errors_.load(), 0);
  // Its own events, all of them: the local store answers.
  EXPECT_EQ(ValuesOf(*a, 0, 0, kT0 + kSecond), (std::map<std::string, double>{{"x", 2}, {"y", 1}}));

  // Back (empty: the test server keeps nothing): the deltas of the outage are sent.
  ASSERT_TRUE(redis_->Start().ok());
  // The cache reconnects after a back-off (50 ms, doubling): poll, bounded.
  Status synced = shared_a.Sync();
  for (int i = 0; i < 200 && !synced.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    synced = shared_a.Sync();
  }
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  Replica c = NewReplica(clock);
  ASSERT_NE(c.counters, nullptr);
  EXPECT_EQ(ValuesOf(*c, 0, 0, kT0 + kSecond), (std::map<std::string, double>{{"x", 1}, {"y", 1}}));
}

TEST_F(SharedCountersTest, SharedCountsAddUpAcrossInstances) {
  auto cache_a = Connect(), cache_b = Connect();
  ASSERT_NE(cache_a, nullptr);
  ASSERT_NE(cache_b, nullptr);
  const SharedCountersOptions shared = {.prefix = Shared().prefix + "guardrails",
                                        .sync_interval_ms = 0};
  SharedCounts a(*cache_a, shared, 60000);
  SharedCounts b(*cache_b, shared, 60000);
  a.Add("canary:v2:exposures", 3);
  b.Add("canary:v2:exposures", 2);
  b.Add("canary:v2:clicks", 1);
  EXPECT_EQ(a.Get("canary:v2:exposures"), 3);  // its own at once
  ASSERT_TRUE(a.Sync().ok());
  ASSERT_TRUE(b.Sync().ok());
  ASSERT_TRUE(a.Sync().ok());
  EXPECT_EQ(a.Get("canary:v2:exposures"), 5);
  EXPECT_EQ(b.Get("canary:v2:exposures"), 5);
  EXPECT_EQ(a.Get("canary:v2:clicks"), 1);
  // A fresh instance reads the counts so far at its first sync.
  auto cache_c = Connect();
  ASSERT_NE(cache_c, nullptr);
  SharedCounts c(*cache_c, shared, 60000);
  ASSERT_TRUE(c.Sync().ok());
  EXPECT_EQ(c.Get("canary:v2:exposures"), 5);
  // Redis down: counting goes on locally, on top of the last read.
  redis_->Stop();
  c.Add("canary:v2:exposures", 1);
  EXPECT_FALSE(c.Sync().ok());
  EXPECT_EQ(c.Get("canary:v2:exposures"), 6);
  EXPECT_GT(errors_.load(), 0);
  ASSERT_TRUE(redis_->Start().ok());
}

}  // namespace
}  // namespace reco
