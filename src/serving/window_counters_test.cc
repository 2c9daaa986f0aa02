#include "serving/window_counters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace reco {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
// A time on a minute boundary, far from 0.
constexpr TimestampUs kT0 = 1'000'000 * kHour;

WindowCountersOptions Options(size_t max_keys = 1'000'000) {
  return {.windows = {*ParseWindowSpec("1h/1m", "w"), *ParseWindowSpec("24h/10m", "w")},
          .half_life_s = 3600,
          .max_keys = max_keys,
          .series = {{"s"}}};
}

double ValueOf(const WindowCounters& c, std::string_view key, int window, TimestampUs now) {
  return c.Value(0, key, window, now);
}

void Add(WindowCounters& c, std::string_view key, TimestampUs ts, double weight = 1) {
  const std::string_view keys[] = {key};
  c.Add(0, keys, weight, ts);
}

TEST(WindowCounters, TheHourWindowSlidesByWholeMinutes) {
  auto c = NewMemoryWindowCounters(Options());
  Add(*c, "a", kT0 + 30 * kSecond);               // minute 0
  Add(*c, "a", kT0 + 20 * kMinute + 5 * kSecond);  // minute 20
  Add(*c, "a", kT0 + 20 * kMinute + 50 * kSecond, 2);
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 30 * kSecond), 1);
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 59 * kMinute), 4);
  // Minute 0 leaves the window when minute 60 begins, not one microsecond before.
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 60 * kMinute - 1), 4);
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 60 * kMinute), 3);
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 80 * kMinute), 0);
  // The day window (10-minute buckets) still holds all of them, until its own buckets slide.
  EXPECT_EQ(ValueOf(*c, "a", 1, kT0 + 80 * kMinute), 4);
  EXPECT_EQ(ValueOf(*c, "a", 1, kT0 + 24 * kHour - 1), 4);
  EXPECT_EQ(ValueOf(*c, "a", 1, kT0 + 24 * kHour), 3);  // bucket [20, 30) min: weights 1 + 2
  EXPECT_EQ(ValueOf(*c, "a", 1, kT0 + 24 * kHour + 30 * kMinute), 0);
}

TEST(WindowCounters, WritesAfterASlideKeepOnlyTheWindow) {
  auto c = NewMemoryWindowCounters(Options());
  for (int m = 0; m < 90; ++m) Add(*c, "a", kT0 + m * kMinute);
  // At minute 89: minutes 30..89 in the hour window, all 90 in the day window.
  EXPECT_EQ(ValueOf(*c, "a", 0, kT0 + 89 * kMinute), 60);
  EXPECT_EQ(ValueOf(*c, "a", 1, kT0 + 89 * kMinute), 90);
  std::vector<KeyValue> values;
  c->Values(0, 0, kT0 + 89 * kMinute, values);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].key, "a");
  EXPECT_EQ(values[0].value, 60);
  // Bucket entries are bounded by the window: 60 for the hour, 9 for the day.
  EXPECT_EQ(c->stats().buckets, 60u + 9u);
}

TEST(WindowCounters, DecayIsExact) {
  auto c = NewMemoryWindowCounters(Options());
  Add(*c, "a", kT0);
  Add(*c, "a", kT0 + 30 * kMinute, 3);
  const double expected = 1 * std::exp2(-2.0) + 3 * std::exp2(-1.5);  // read at T0 + 2 h
  EXPECT_NEAR(ValueOf(*c, "a", kDecayWindow, kT0 + 2 * kHour), expected, 1e-9);
  EXPECT_NEAR(ValueOf(*c, "a", kDecayWindow, kT0 + 30 * kMinute), 1 * std::exp2(-0.5) + 3, 1e-9);
  // An event older than the score's time (threads racing for the lock) decays the same way.
  Add(*c, "a", kT0 + 10 * kMinute, 2);
  EXPECT_NEAR(ValueOf(*c, "a", kDecayWindow, kT0 + 2 * kHour),
              expected + 2 * std::exp2(-110.0 / 60.0), 1e-9);
}

TEST(WindowCounters, KeysWithoutEventsInTheLongestWindowAreDropped) {
  auto c = NewMemoryWindowCounters(Options());
  std::vector<std::string> old_keys, new_keys;
  for (int i = 0; i < 500; ++i) old_keys.push_back("old" + std::to_string(i));
  for (int i = 0; i < 2000; ++i) new_keys.push_back("new" + std::to_string(i));
  for (const auto& k : old_keys) Add(*c, k, kT0);
  EXPECT_EQ(c->stats().keys, 500u);
  // 24 h later the old keys read as nothing (decayed score included) even before a sweep ...
  EXPECT_EQ(ValueOf(*c, "old1", kDecayWindow, kT0 + 24 * kHour), 0);
  EXPECT_GT(ValueOf(*c, "old1", kDecayWindow, kT0 + 24 * kHour - 1), 0);
  // ... and writes to their shards drop them.
  for (const auto& k : new_keys) Add(*c, k, kT0 + 24 * kHour);
  EXPECT_EQ(c->stats().keys, 2000u);
  std::vector<KeyValue> values;
  c->Values(0, kDecayWindow, kT0 + 24 * kHour, values);
  EXPECT_EQ(values.size(), 2000u);
}

TEST(WindowCounters, KeysThatSurviveASweepKeepTheirCounts) {
  auto c = NewMemoryWindowCounters(Options());
  for (int i = 0; i < 300; ++i) Add(*c, "gone" + std::to_string(i), kT0);
  for (int i = 0; i < 300; ++i) Add(*c, "kept" + std::to_string(i), kT0 + 23 * kHour, i + 1);
  // A day after the first keys: every shard written to sweeps the old keys out.
  for (int i = 0; i < 300; ++i) Add(*c, "kept" + std::to_string(i), kT0 + 24 * kHour);
  EXPECT_EQ(c->stats().keys, 300u);
  for (int i = 0; i < 300; ++i) {
    const std::string key = "kept" + std::to_string(i);
    ASSERT_EQ(ValueOf(*c, key, 1, kT0 + 24 * kHour), i + 2) << key;
    ASSERT_EQ(ValueOf(*c, key, 0, kT0 + 24 * kHour), 1) << key;
  }
  EXPECT_EQ(ValueOf(*c, "gone7", 1, kT0 + 24 * kHour), 0);
}

TEST(WindowCounters, AFullSeriesDropsNewKeysAndCountsThem) {
  // 64 keys at most: one per shard; a thread writes to its own shard only.
  auto c = NewMemoryWindowCounters(Options(/*max_keys=*/64));
  Add(*c, "v1", kT0);
  Add(*c, "v2", kT0);
  Add(*c, "v1", kT0);
  EXPECT_EQ(ValueOf(*c, "v1", 0, kT0), 2);
  EXPECT_EQ(ValueOf(*c, "v2", 0, kT0), 0);
  EXPECT_EQ(c->stats().dropped, 1u);
}

TEST(WindowCounters, ConcurrentWritersAreAllCounted) {
  for (bool one_by_one : {false, true}) {  // keys in one list, or each key alone
    auto c = NewMemoryWindowCounters(Options());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&c, one_by_one] {
        for (int i = 0; i < 5000; ++i) {
          const std::string key = "k" + std::to_string(i % 7);
          const std::string_view keys[] = {key, "shared"};
          if (one_by_one) {
            c->Add(0, std::span(keys, 1), 1, kT0 + i * kSecond / 10);
            c->Add(0, std::span(keys + 1, 1), 1, kT0 + i * kSecond / 10);
          } else {
            c->Add(0, keys, 1, kT0 + i * kSecond / 10);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    std::vector<KeyValue> values;
    c->Values(0, 0, kT0 + 10 * kMinute, values);
    std::sort(values.begin(), values.end(),
              [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
    ASSERT_EQ(values.size(), 8u) << one_by_one;
    double keyed = 0;
    for (const KeyValue& v : values) {
      if (v.key == "shared") {
        EXPECT_EQ(v.value, 20000) << one_by_one;
      } else {
        keyed += v.value;
      }
    }
    EXPECT_EQ(keyed, 20000) << one_by_one;
    EXPECT_EQ(c->Value(0, "shared", 0, kT0 + 10 * kMinute), 20000) << one_by_one;
  }
}

}  // namespace
}  // namespace reco
