// Two replicas' online states kept in step through one cache (the memory backend here; the
// Redis one end to end in tests/integration/replicas_test.cc).
#include "serving/replica_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "cache/memory_cache.h"

namespace reco {
namespace {

bool WaitUntil(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {  // bounded: 10 s
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<std::string> Recent(const OnlineState& state, std::string_view user) {
  std::vector<std::string> ids;
  for (uint32_t i : state.GetUser(user).recent_positive) ids.push_back(state.ItemId(i));
  return ids;
}

TEST(ReplicaSync, FeedbackWrittenThroughOneReplicaReachesTheOther) {
  MemoryCache cache;
  OnlineState a_state(OnlineStateOptions{}), b_state(OnlineStateOptions{});
  std::atomic<int> a_connected = 0, b_connected = 0;
  auto a = ReplicaSync::Start(cache, a_state, {.origin = "a", .on_connected = [&] { ++a_connected; }});
  auto b = ReplicaSync::Start(cache, b_state, {.origin = "b", .on_connected = [&] { ++b_connected; }});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WaitUntil([&] { return a_connected == 1 && b_connected == 1; }));

  const std::vector<Feedback> rows = {{"like", "u1", "i1", 1, 10, ""},
                                      {"read", "u1", "i2", 1, 11, ""}};
  a_state.ApplyFeedback(rows);  // what FeedbackService does before sharing
  ASSERT_TRUE((*a)->OnFeedbackWritten(rows).ok());
  ASSERT_TRUE(WaitUntil([&] { return b_state.GetUser("u1").seen.size() == 2; }));
  EXPECT_EQ(Recent(b_state, "u1"), (std::vector<std::string>{"i1"}));
  // The live popularity counter moved on B too.
  EXPECT_EQ(b_state.LiveCount(*b_state.FindItem("i1")), 1.0);
  // The history is in the cache under the tenant's prefix.
  Result<UserHistory> shared = cache.ReadHistory(CacheKeys("default").history_prefix(), "u1");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->recent_positive, (std::vector<std::string>{"i1"}));
  EXPECT_EQ(shared->seen, (std::vector<std::string>{"i1", "i2"}));

  // B's write reaches A; A's own message was skipped (its live count is still 1 for i1).
  const std::vector<Feedback> more = {{"like", "u1", "i3", 1, 12, ""}};
  b_state.ApplyFeedback(more);
  ASSERT_TRUE((*b)->OnFeedbackWritten(more).ok());
  ASSERT_TRUE(WaitUntil([&] { return Recent(a_state, "u1").size() == 2; }));
  EXPECT_EQ(Recent(a_state, "u1"), (std::vector<std::string>{"i1", "i3"}));
  EXPECT_EQ(a_state.LiveCount(*a_state.FindItem("i1")), 1.0);
}

TEST(ReplicaSync, ModelChangesReachTheOtherReplicasOfTheSameTenantOnly) {
  MemoryCache cache;
  OnlineState s1(OnlineStateOptions{}), s2(OnlineStateOptions{}), s3(OnlineStateOptions{});
  std::atomic<int> published_a = 0, published_b = 0, published_other = 0, connected = 0;
  auto on_connected = [&] { ++connected; };
  auto a = ReplicaSync::Start(cache, s1, {.origin = "a", .on_models_published = [&] { ++published_a; }, .on_connected = on_connected});
  auto b = ReplicaSync::Start(cache, s2, {.origin = "b", .on_models_published = [&] { ++published_b; }, .on_connected = on_connected});
  auto other = ReplicaSync::Start(
      cache, s3,
      {.tenant = "shop", .origin = "c", .on_models_published = [&] { ++published_other; }, .on_connected = on_connected});
  ASSERT_TRUE(a.ok() && b.ok() && other.ok());
  ASSERT_TRUE(WaitUntil([&] { return connected == 3; }));
  ASSERT_TRUE((*a)->OnModelsChanged().ok());
  ASSERT_TRUE(WaitUntil([&] { return published_b == 1; }));
  // A message on the other tenant's channel after A's: once it has arrived, A's would have too.
  ASSERT_TRUE((*other)->OnModelsChanged().ok());
  ASSERT_TRUE(cache.Publish(CacheKeys("shop").models_channel(), R"({"origin":"z"})").ok());
  ASSERT_TRUE(WaitUntil([&] { return published_other == 1; }));
  EXPECT_EQ(published_a, 0);  // its own message
  EXPECT_EQ(published_b, 1);
}

// A memory cache whose publications can be made to fail, as Redis' do while it is down.
class SwitchableCache final : public Cache {
 public:
  std::atomic<bool> down = false;
  MemoryCache inner;

  std::string Describe() const override { return "switchable"; }
  bool shared() const override { return true; }
  Status Ping() override { return inner.Ping(); }
  Status AppendHistory(std::string_view p, std::span<const HistoryEntry> e,
                       const HistoryLimits& l) override {
    if (down) return Unavailable("down");
    return inner.AppendHistory(p, e, l);
  }
  Result<UserHistory> ReadHistory(std::string_view p, std::string_view u) override {
    return inner.ReadHistory(p, u);
  }
  Status AddCounters(std::string_view n,
                     std::span<const std::pair<std::string, double>> d) override {
    return inner.AddCounters(n, d);
  }
  Result<std::vector<std::pair<std::string, double>>> ReadCounters(std::string_view n) override {
    return inner.ReadCounters(n);
  }
  Status DeleteCounters(std::string_view n) override { return inner.DeleteCounters(n); }
  Result<std::optional<FencingToken>> AcquireLock(std::string_view n, std::string_view h,
                                                  int64_t t) override {
    return inner.AcquireLock(n, h, t);
  }
  Status ReleaseLock(std::string_view n, std::string_view h) override {
    return inner.ReleaseLock(n, h);
  }
  Status Publish(std::string_view c, std::string_view m) override {
    if (down) return Unavailable("down");
    return inner.Publish(c, m);
  }
  Result<std::unique_ptr<Subscription>> Subscribe(std::vector<std::string> c, MessageHandler h,
                                                  SubscribeOptions o) override {
    return inner.Subscribe(std::move(c), std::move(h), std::move(o));
  }
};

TEST(ReplicaSync, AFailedPublicationMakesThePeersCatchUpOnceTheCacheIsBack) {
  SwitchableCache cache;
  OnlineState a_state(OnlineStateOptions{}), b_state(OnlineStateOptions{});
  std::atomic<int> a_catch_ups = 0, b_catch_ups = 0;
  auto a = ReplicaSync::Start(cache, a_state, {.origin = "a", .on_connected = [&] { ++a_catch_ups; }});
  auto b = ReplicaSync::Start(cache, b_state, {.origin = "b", .on_connected = [&] { ++b_catch_ups; }});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WaitUntil([&] { return a_catch_ups == 1 && b_catch_ups == 1; }));
  cache.down = true;
  const std::vector<Feedback> lost = {{"like", "u", "i1", 1, 10, ""}};
  EXPECT_EQ((*a)->OnFeedbackWritten(lost).code(), StatusCode::kUnavailable);
  cache.down = false;
  // The next publication first tells the peers to catch up (from the store), then goes out.
  const std::vector<Feedback> next = {{"like", "u", "i2", 1, 11, ""}};
  ASSERT_TRUE((*a)->OnFeedbackWritten(next).ok());
  ASSERT_TRUE(WaitUntil([&] { return b_state.GetUser("u").seen.size() == 1; }));
  EXPECT_EQ(b_catch_ups, 2);
  EXPECT_EQ(a_catch_ups, 1);  // its own resync is skipped
  EXPECT_EQ(Recent(b_state, "u"), (std::vector<std::string>{"i2"}));
  // Nothing pending any more: a further publication sends no second resync.
  ASSERT_TRUE((*a)->OnFeedbackWritten(lost).ok());
  ASSERT_TRUE(WaitUntil([&] { return b_state.GetUser("u").seen.size() == 2; }));
  EXPECT_EQ(b_catch_ups, 2);
}

// With no further publication, the pending resync goes out by itself once the cache is back: a
// row published while the cache was down reaches the peers (through the store) within the
// retry period, not only at the replica's next write.
TEST(ReplicaSync, APendingResyncIsRetriedWithoutAnotherPublication) {
  SwitchableCache cache;
  OnlineState a_state(OnlineStateOptions{}), b_state(OnlineStateOptions{});
  std::atomic<int> b_catch_ups = 0;
  auto a = ReplicaSync::Start(cache, a_state, {.origin = "a", .resync_retry_ms = 20});
  auto b = ReplicaSync::Start(cache, b_state,
                              {.origin = "b", .on_connected = [&] { ++b_catch_ups; }});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WaitUntil([&] { return b_catch_ups == 1; }));
  cache.down = true;
  const std::vector<Feedback> lost = {{"like", "u", "i1", 1, 10, ""}};
  EXPECT_EQ((*a)->OnFeedbackWritten(lost).code(), StatusCode::kUnavailable);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // retries fail meanwhile
  EXPECT_EQ(b_catch_ups, 1);
  cache.down = false;
  ASSERT_TRUE(WaitUntil([&] { return b_catch_ups == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // sent once, not again
  EXPECT_EQ(b_catch_ups, 2);
}

TEST(ReplicaSync, ADeleteThroughOneReplicaMakesTheOthersRebuildTheUser) {
  MemoryCache cache;
  OnlineState a_state(OnlineStateOptions{}), b_state(OnlineStateOptions{});
  std::mutex mu;
  std::vector<std::string> a_resets, b_resets;
  std::atomic<int> connected = 0;
  auto a = ReplicaSync::Start(cache, a_state,
                              {.origin = "a",
                               .on_connected = [&] { ++connected; },
                               .on_user_reset = [&](const std::string& u) {
                                 std::lock_guard lock(mu);
                                 a_resets.push_back(u);
                               }});
  auto b = ReplicaSync::Start(cache, b_state,
                              {.origin = "b",
                               .on_connected = [&] { ++connected; },
                               .on_user_reset = [&](const std::string& u) {
                                 std::lock_guard lock(mu);
                                 b_resets.push_back(u);
                               }});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WaitUntil([&] { return connected == 2; }));
  ASSERT_TRUE((*a)->OnUserFeedbackDeleted("u 1").ok());
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return !b_resets.empty();
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(b_resets, (std::vector<std::string>{"u 1"}));
  EXPECT_TRUE(a_resets.empty());
}

TEST(ReplicaSync, FeedbackMessagesRoundTripAndBadOnesAreRefused) {
  const std::vector<Feedback> rows = {{"like", "u \"1\"", "i/1", 2.5, 1700000000000000, "c"}};
  std::string origin;
  std::vector<Feedback> back;
  ASSERT_TRUE(ReplicaSync::DecodeFeedback(ReplicaSync::EncodeFeedback("o", rows), origin, back));
  EXPECT_EQ(origin, "o");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].feedback_type, "like");
  EXPECT_EQ(back[0].user_id, "u \"1\"");
  EXPECT_EQ(back[0].item_id, "i/1");
  EXPECT_EQ(back[0].value, 2.5);
  EXPECT_EQ(back[0].timestamp, 1700000000000000);
  for (const char* bad : {"", "{}", R"({"origin":"o"})", R"({"origin":"o","rows":[{"t":"like"}]})",
                          "not json"}) {
    EXPECT_FALSE(ReplicaSync::DecodeFeedback(bad, origin, back)) << bad;
  }
}

}  // namespace
}  // namespace reco
