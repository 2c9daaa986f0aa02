// The one test suite every Cache backend passes: memory and a real redis-server.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cache/memory_cache.h"
#include "cache/redis/redis_cache.h"
#include "cache/testing/test_redis.h"

namespace reco {
namespace {

using Counters = std::vector<std::pair<std::string, double>>;

// Messages received by a subscription, and whether it is connected.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> messages;
  int connected = 0;

  MessageHandler Handler() {
    return [this](std::string_view channel, std::string_view message) {
      std::lock_guard lock(mu);
      messages.emplace_back(std::string(channel), std::string(message));
      cv.notify_all();
    };
  }
  SubscribeOptions Options() {
    return {.on_connected = [this] {
      std::lock_guard lock(mu);
      ++connected;
      cv.notify_all();
    }};
  }
  // Waits (bounded) until `pred` holds under the lock.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), pred);
  }
};

class CacheConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new testing::TestRedis();
    redis_status_ = redis_->Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == "memory") {
      cache_ = std::make_unique<MemoryCache>();
      return;
    }
    ASSERT_TRUE(redis_status_.ok()) << redis_status_.ToString();
    auto opened = OpenRedisCache({.url = redis_->url()});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    cache_ = std::move(opened).value();
  }

  // A name no other test uses (the Redis server is shared by the suite).
  std::string Name(std::string_view what) const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string("t:") + info->name() + ":" + std::string(what);
  }

  static testing::TestRedis* redis_;
  static Status redis_status_;
  std::unique_ptr<Cache> cache_;
};

testing::TestRedis* CacheConformanceTest::redis_ = nullptr;
Status CacheConformanceTest::redis_status_ = Status::Ok();

TEST_P(CacheConformanceTest, HistoryKeepsRecentPositivesInOrderAndEverySeenItem) {
  const std::string prefix = Name("user:");
  const std::vector<HistoryEntry> entries = {
      {"u1", "a", true}, {"u1", "b", true}, {"u1", "c", false}, {"u1", "a", true},
      {"u2", "z", true}};
  ASSERT_TRUE(cache_->AppendHistory(prefix, entries, {.max_recent = 10}).ok());
  Result<UserHistory> u1 = cache_->ReadHistory(prefix, "u1");
  ASSERT_TRUE(u1.ok()) << u1.status().ToString();
  EXPECT_EQ(u1->recent_positive, (std::vector<std::string>{"b", "a"}));  // a moved to the end
  EXPECT_EQ(u1->seen, (std::vector<std::string>{"a", "b", "c"}));
  Result<UserHistory> u2 = cache_->ReadHistory(prefix, "u2");
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(u2->recent_positive, (std::vector<std::string>{"z"}));
  Result<UserHistory> unknown = cache_->ReadHistory(prefix, "nobody");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->recent_positive.empty());
  EXPECT_TRUE(unknown->seen.empty());
  // Another prefix (another tenant) sees nothing of these.
  Result<UserHistory> other = cache_->ReadHistory(Name("other:"), "u1");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->seen.empty());
}

TEST_P(CacheConformanceTest, HistoryTrimsTheOldestPositives) {
  const std::string prefix = Name("user:");
  std::vector<HistoryEntry> entries;
  for (const char* item : {"i1", "i2", "i3", "i4", "i5"}) entries.push_back({"u", item, true});
  ASSERT_TRUE(cache_->AppendHistory(prefix, entries, {.max_recent = 3}).ok());
  Result<UserHistory> h = cache_->ReadHistory(prefix, "u");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->recent_positive, (std::vector<std::string>{"i3", "i4", "i5"}));
  EXPECT_EQ(h->seen.size(), 5u);
  EXPECT_EQ(cache_->AppendHistory(prefix, entries, {.max_recent = 0}).code(),
            StatusCode::kInvalidArgument);
}

TEST_P(CacheConformanceTest, CountersAddReadAndDelete) {
  const std::string name = Name("popularity");
  const Counters first = {{"b", 1}, {"a", 2.5}, {"b", 1}};
  ASSERT_TRUE(cache_->AddCounters(name, first).ok());
  const Counters second = {{"a", -0.5}, {"c", 3}};
  ASSERT_TRUE(cache_->AddCounters(name, second).ok());
  Result<Counters> read = cache_->ReadCounters(name);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, (Counters{{"a", 2.0}, {"b", 2.0}, {"c", 3.0}}));
  Result<Counters> none = cache_->ReadCounters(Name("absent"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(cache_->DeleteCounters(name).ok());
  read = cache_->ReadCounters(name);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST_P(CacheConformanceTest, CountersManyAddAndReadSeveralHashesAtOnce) {
  const std::vector<CounterDeltas> updates = {
      {Name("one"), {{"a", 1}, {"b", 2}}, 60000},
      {Name("two"), {{"a", 5}}, 0},
      {Name("one"), {{"a", 1}}, 60000}};
  ASSERT_TRUE(cache_->AddCountersMany(updates).ok());
  const std::vector<std::string> names = {Name("two"), Name("absent"), Name("one")};
  Result<std::vector<CounterFields>> read = cache_->ReadCountersMany(names);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0], (Counters{{"a", 5.0}}));
  EXPECT_TRUE((*read)[1].empty());
  EXPECT_EQ((*read)[2], (Counters{{"a", 2.0}, {"b", 2.0}}));
}

TEST(MemoryCacheCounters, ATtlExpiresTheHashOnTheInjectedClock) {
  FakeClock clock(1'000'000);
  MemoryCache cache(clock);
  const std::vector<CounterDeltas> updates = {{"h", {{"a", 1}}, 1000}};
  ASSERT_TRUE(cache.AddCountersMany(updates).ok());
  clock.Advance(999'999);
  EXPECT_EQ(*cache.ReadCounters("h"), (Counters{{"a", 1.0}}));
  clock.Advance(1);
  EXPECT_TRUE(cache.ReadCounters("h")->empty());
}

TEST_P(CacheConformanceTest, LockHasOneHolderAndANewTokenPerHolder) {
  const std::string lock = Name("lock");
  auto a = cache_->AcquireLock(lock, "host-a:1", 60000);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  const FencingToken token_a = **a;
  auto b = cache_->AcquireLock(lock, "host-b:2", 60000);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());  // held by a
  auto renewed = cache_->AcquireLock(lock, "host-a:1", 60000);
  ASSERT_TRUE(renewed.ok());
  ASSERT_TRUE(renewed->has_value());
  EXPECT_EQ(**renewed, token_a);  // a renewal keeps the token
  ASSERT_TRUE(cache_->ReleaseLock(lock, "host-b:2").ok());  // not b's: nothing happens
  b = cache_->AcquireLock(lock, "host-b:2", 60000);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  ASSERT_TRUE(cache_->ReleaseLock(lock, "host-a:1").ok());
  b = cache_->AcquireLock(lock, "host-b:2", 60000);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b->has_value());
  EXPECT_GT(**b, token_a);
  EXPECT_EQ(cache_->AcquireLock(lock, "host-b:2", 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(CacheConformanceTest, ExpiredLockGoesToTheNextHolderWithAGreaterToken) {
  const std::string lock = Name("lock");
  auto a = cache_->AcquireLock(lock, "a", 30);
  ASSERT_TRUE(a.ok() && a->has_value());
  // The lock expires on its own; wait (bounded) until b gets it.
  std::optional<FencingToken> b;
  for (int i = 0; i < 500 && !b; ++i) {
    auto got = cache_->AcquireLock(lock, "b", 60000);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    b = *got;
    if (!b) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(b.has_value()) << "the lock never expired";
  EXPECT_GT(*b, **a);
  auto again = cache_->AcquireLock(lock, "a", 60000);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST_P(CacheConformanceTest, SubscribersReceiveTheirChannelsInOrder) {
  Inbox inbox;
  const std::string c1 = Name("c1"), c2 = Name("c2"), c3 = Name("c3");
  auto sub = cache_->Subscribe({c1, c2}, inbox.Handler(), inbox.Options());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(inbox.WaitFor([&] { return inbox.connected > 0; }));
  ASSERT_TRUE(cache_->Publish(c1, "first").ok());
  ASSERT_TRUE(cache_->Publish(c3, "not subscribed").ok());
  ASSERT_TRUE(cache_->Publish(c2, "second").ok());
  ASSERT_TRUE(cache_->Publish(c1, std::string("bin\0ary", 7)).ok());
  ASSERT_TRUE(inbox.WaitFor([&] { return inbox.messages.size() >= 3; }));
  std::lock_guard lock(inbox.mu);
  ASSERT_EQ(inbox.messages.size(), 3u);
  EXPECT_EQ(inbox.messages[0], std::make_pair(c1, std::string("first")));
  EXPECT_EQ(inbox.messages[1], std::make_pair(c2, std::string("second")));
  EXPECT_EQ(inbox.messages[2], std::make_pair(c1, std::string("bin\0ary", 7)));
  EXPECT_EQ(inbox.connected, 1);
}

TEST_P(CacheConformanceTest, EverySubscriberOfAChannelReceivesEachMessage) {
  Inbox one, two;
  const std::string channel = Name("models");
  auto s1 = cache_->Subscribe({channel}, one.Handler(), one.Options());
  auto s2 = cache_->Subscribe({channel}, two.Handler(), two.Options());
  ASSERT_TRUE(s1.ok() && s2.ok());
  ASSERT_TRUE(one.WaitFor([&] { return one.connected > 0; }));
  ASSERT_TRUE(two.WaitFor([&] { return two.connected > 0; }));
  ASSERT_TRUE(cache_->Publish(channel, "v2").ok());
  ASSERT_TRUE(one.WaitFor([&] { return !one.messages.empty(); }));
  ASSERT_TRUE(two.WaitFor([&] { return !two.messages.empty(); }));
  EXPECT_EQ(one.messages.front().second, "v2");
  EXPECT_EQ(two.messages.front().second, "v2");
  EXPECT_EQ(cache_->Subscribe({}, one.Handler()).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, CacheConformanceTest, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace reco
