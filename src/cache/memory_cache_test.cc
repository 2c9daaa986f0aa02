#include "cache/memory_cache.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(MemoryCache, HistoryAndLockExpireByTheInjectedClock) {
  FakeClock clock(1'000'000);
  MemoryCache cache(clock);
  const std::vector<HistoryEntry> entries = {{"u", "a", true}};
  ASSERT_TRUE(cache.AppendHistory("p:", entries, {.max_recent = 5, .ttl_ms = 1000}).ok());
  auto lock = cache.AcquireLock("lock", "a", 500);
  ASSERT_TRUE(lock.ok() && lock->has_value());
  clock.Advance(499'000);
  EXPECT_FALSE(cache.AcquireLock("lock", "b", 500)->has_value());
  EXPECT_EQ(cache.ReadHistory("p:", "u")->seen.size(), 1u);
  clock.Advance(1'000);  // the lock's 500 ms are over
  auto b = cache.AcquireLock("lock", "b", 500);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_GT(**b, **lock);
  clock.Advance(500'000);  // the history's 1 s is over
  EXPECT_TRUE(cache.ReadHistory("p:", "u")->seen.empty());
  EXPECT_FALSE(cache.shared());
}

}  // namespace
}  // namespace reco
