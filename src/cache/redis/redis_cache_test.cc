// What only the Redis backend does: URLs, start-up errors, and calls across an outage of a real
// redis-server.
#include "cache/redis/redis_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "cache/testing/test_redis.h"

namespace reco {
namespace {

TEST(RedisCache, MasksThePasswordOfAUrl) {
  EXPECT_EQ(MaskRedisUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  EXPECT_EQ(MaskRedisUrl("redis://:s3cret@h:1/2"), "redis://:***@h:1/2");
  EXPECT_EQ(MaskRedisUrl("redis://reco:s3cret@h:1"), "redis://reco:***@h:1");
  EXPECT_EQ(MaskRedisUrl("redis://s3cret@h"), "redis://***@h");
}

TEST(RedisCache, ABadUrlNamesTheKey) {
  for (const char* url : {"http://h:1", "redis://h:0", "redis://h:x", "redis://:pw@", "redis://h/x"}) {
    auto opened = OpenRedisCache({.url = url});
    ASSERT_FALSE(opened.ok()) << url;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(opened.status().field(), "cache.url") << url;
  }
}

TEST(RedisCache, UnreachableServerFailsNamingTheMaskedUrl) {
  testing::TestRedis redis;  // started once to find a free port, then stopped
  ASSERT_TRUE(redis.Start().ok());
  const int port = redis.port();
  redis.Stop();
  const std::string url = "redis://:hunter2@127.0.0.1:" + std::to_string(port);
  auto opened = OpenRedisCache({.url = url});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable);
  const std::string message = opened.status().message();
  EXPECT_NE(message.find("redis://:***@127.0.0.1:" + std::to_string(port)), std::string::npos)
      << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(RedisCache, CallsFailFastWhileDownAndRecoverWhenRedisReturns) {
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  std::mutex mu;
  std::map<std::string, int> errors;
  auto opened = OpenRedisCache({.url = redis.url(),
                                .max_backoff_ms = 200,
                                .on_error = [&](std::string_view op) {
                                  std::lock_guard lock(mu);
                                  ++errors[std::string(op)];
                                }});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Cache& cache = **opened;
  std::mutex inbox_mu;
  std::vector<std::string> received;
  int connected = 0;
  auto sub = cache.Subscribe(
      {"ch"},
      [&](std::string_view, std::string_view m) {
        std::lock_guard lock(inbox_mu);
        received.emplace_back(m);
      },
      {.on_connected = [&] {
        std::lock_guard lock(inbox_mu);
        ++connected;
      }});
  ASSERT_TRUE(sub.ok());
  auto wait_until = [](const std::function<bool()>& pred) {
    for (int i = 0; i < 1000; ++i) {  // bounded: 10 s
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(inbox_mu);
    return connected == 1;
  }));
  const std::pair<std::string, double> one[] = {{"i", 1}};
  ASSERT_TRUE(cache.AddCounters("k", one).ok());

  redis.Stop();
  Status down = cache.AddCounters("k", one);
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.ToString();
  EXPECT_EQ(cache.Publish("ch", "lost").code(), StatusCode::kUnavailable);
  EXPECT_FALSE(cache.ReadHistory("p:", "u").ok());
  {
    std::lock_guard lock(mu);
    EXPECT_GE(errors["counters"], 1);
    EXPECT_GE(errors["publish"], 1);
    EXPECT_GE(errors["history"], 1);
  }

  ASSERT_TRUE(redis.Start().ok());  // same port, empty data (no persistence)
  ASSERT_TRUE(wait_until([&] { return cache.AddCounters("k", one).ok(); }))
      << "calls did not recover after Redis returned";
  // The subscription came back on its own and catches up through on_connected.
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(inbox_mu);
    return connected == 2;
  }));
  ASSERT_TRUE(cache.Publish("ch", "after").ok());
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(inbox_mu);
    return !received.empty();
  }));
  std::lock_guard lock(inbox_mu);
  EXPECT_EQ(received, (std::vector<std::string>{"after"}));
  std::lock_guard errors_lock(mu);
  EXPECT_GE(errors["subscribe"], 1);
}

}  // namespace
}  // namespace reco
