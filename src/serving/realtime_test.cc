#include "serving/realtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace reco {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr TimestampUs kT0 = 1'000'000 * kHour;

RealtimeOptions Options() {
  RealtimeOptions o;
  o.windows = {*ParseWindowSpec("1h/1m", "w"), *ParseWindowSpec("24h/10m", "w")};
  o.half_life_s = 3600;
  o.hot_types = {"click", "like"};
  o.click_types = {"click"};
  o.leaderboards = {{"liked_1h", "1h", {"like"}}, {"trending", "decay", {}}};
  return o;
}

std::unique_ptr<Realtime> Make(const Clock& clock, RealtimeOptions options = Options()) {
  Result<std::unique_ptr<Realtime>> made = Realtime::Create(std::move(options), clock);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).value() : nullptr;
}

Feedback Row(std::string type, std::string user, std::string item) {
  return {std::move(type), std::move(user), std::move(item), 1.0, 0, ""};
}

void Expose(Realtime& r, std::string_view user, std::string_view version,
            std::string_view scenario, std::vector<std::string_view> items) {
  r.OnExposure(user, version, scenario, items);
}

std::string Render(const std::vector<KeyValue>& values) {
  std::string out;
  for (const KeyValue& v : values) out += v.key + "=" + std::to_string(v.value) + " ";
  return out;
}

TEST(Realtime, HotScoresSlideWithTheInjectedClock) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  const std::vector<Feedback> first = {Row("click", "u1", "a"), Row("like", "u2", "a"),
                                       Row("click", "u1", "b"), Row("read", "u1", "c")};
  r->OnFeedback(first);
  clock.Advance(30 * kMinute);
  const std::vector<Feedback> second = {Row("click", "u3", "b"), Row("click", "u4", "b")};
  r->OnFeedback(second);
  const int hour = *r->FindWindow("1h");
  const int day = *r->FindWindow("24h");
  // "read" is not a hot type; ties are broken by item id.
  EXPECT_EQ(Render(r->Hot(hour)), "b=3.000000 a=2.000000 ");
  clock.Set(kT0 + 60 * kMinute);  // the first minute slid out of the hour
  EXPECT_EQ(Render(r->Hot(hour)), "b=2.000000 ");
  EXPECT_EQ(Render(r->Hot(day)), "b=3.000000 a=2.000000 ");
  clock.Set(kT0 + 24 * kHour + 30 * kMinute);
  EXPECT_TRUE(r->Hot(day).empty());
}

TEST(Realtime, TheDecayedScoreHalvesEveryHalfLife) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  r->OnFeedback(std::vector<Feedback>{Row("click", "u1", "a"), Row("click", "u2", "a")});
  clock.Advance(30 * kMinute);
  r->OnFeedback(std::vector<Feedback>{Row("like", "u3", "b")});
  clock.Advance(90 * kMinute);  // two hours after a's clicks, 1.5 after b's like
  std::vector<KeyValue> hot = r->Hot(kDecayWindow);
  ASSERT_EQ(hot.size(), 2u);
  EXPECT_EQ(hot[0].key, "a");
  EXPECT_NEAR(hot[0].value, 2 * std::exp2(-2.0), 1e-9);
  EXPECT_EQ(hot[1].key, "b");
  EXPECT_NEAR(hot[1].value, std::exp2(-1.5), 1e-9);
  // Another half-life later both halve; the order stays.
  clock.Advance(kHour);
  hot = r->Hot(kDecayWindow);
  ASSERT_EQ(hot.size(), 2u);
  EXPECT_NEAR(hot[0].value, 2 * std::exp2(-3.0), 1e-9);
  EXPECT_NEAR(hot[1].value, std::exp2(-2.5), 1e-9);
  // The named leaderboard of the decayed score reads the same counters.
  Result<std::vector<KeyValue>> trending = r->Leaderboard("trending");
  ASSERT_TRUE(trending.ok());
  ASSERT_EQ(trending->size(), 2u);
  EXPECT_EQ((*trending)[0].key, "a");
  EXPECT_NEAR((*trending)[1].value, std::exp2(-2.5), 1e-9);
}

TEST(Realtime, LeaderboardsCountTheirOwnFeedbackTypes) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  r->OnFeedback(std::vector<Feedback>{Row("click", "u1", "a"), Row("click", "u2", "a"),
                                      Row("like", "u1", "b")});
  Result<std::vector<KeyValue>> liked = r->Leaderboard("liked_1h");
  ASSERT_TRUE(liked.ok());
  EXPECT_EQ(Render(*liked), "b=1.000000 ");
  EXPECT_EQ(r->Leaderboard("nope").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(r->HasLeaderboard("trending"));
}

TEST(Realtime, UnknownWindowsNameTheParameter) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  Result<int> w = r->FindWindow("2h");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "window");
  EXPECT_NE(w.status().message().find("1h, 24h, or decay"), std::string::npos)
      << w.status().message();
  EXPECT_EQ(*r->FindWindow("decay"), kDecayWindow);
  EXPECT_EQ(r->Report("5m", RealtimeDimension::kItem, 10).status().field(), "window");
  RealtimeOptions bad = Options();
  bad.leaderboards.push_back({"x", "7d", {}});
  EXPECT_FALSE(Realtime::Create(bad, clock).ok());
  bad = Options();
  bad.leaderboards.push_back({"trending", "1h", {}});
  EXPECT_FALSE(Realtime::Create(bad, clock).ok());
}

TEST(Realtime, TheClickJoinForgetsOldListsAndTheUsersSeenLongestAgo) {
  FakeClock clock(kT0);
  RealtimeOptions o = Options();
  o.exposures_per_user = 2;
  o.max_users = 16;  // one user per shard of the join
  auto r = Make(clock, o);
  ASSERT_NE(r, nullptr);
  Expose(*r, "u1", "v1", "home", {"a"});
  Expose(*r, "u1", "v1", "home", {"b"});
  Expose(*r, "u1", "v1", "home", {"c"});  // u1's ring holds the lists of b and c
  r->OnFeedback(std::vector<Feedback>{Row("click", "u1", "a"), Row("click", "u1", "c")});
  EXPECT_EQ(r->Report("1h", RealtimeDimension::kItem, 10)->totals.clicks, 1);
  // 200 users shown "x": each shard remembers only the last of its users.
  for (int i = 0; i < 200; ++i) Expose(*r, "user" + std::to_string(i), "v1", "home", {"x"});
  std::vector<Feedback> clicks;
  for (int i = 0; i < 200; ++i) clicks.push_back(Row("click", "user" + std::to_string(i), "x"));
  r->OnFeedback(clicks);
  Result<RealtimeReport> items = r->Report("1h", RealtimeDimension::kItem, 10);
  ASSERT_TRUE(items.ok());
  ASSERT_FALSE(items->rows.empty());
  EXPECT_EQ(items->rows[0].key, "x");
  EXPECT_EQ(items->rows[0].impressions, 200);
  EXPECT_GE(items->rows[0].clicks, 1);   // the last user shown "x" is remembered
  EXPECT_LE(items->rows[0].clicks, 16);  // at most one user per shard
  // The last user's record was reused from another: its clicks count once.
  r->OnFeedback(std::vector<Feedback>{Row("click", "user199", "x")});
  EXPECT_EQ(r->Report("1h", RealtimeDimension::kItem, 10)->rows[0].clicks,
            items->rows[0].clicks);
}

TEST(Realtime, ClicksAreCreditedToTheExposureThatShowedTheItem) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  Expose(*r, "u1", "v1", "home", {"a", "b", "c"});
  Expose(*r, "u2", "v2", "popular", {"a"});
  Expose(*r, "", "v2", "popular", {"a", "b"});  // anonymous: counted, never clicked
  clock.Advance(5 * kMinute);
  r->OnFeedback(std::vector<Feedback>{
      Row("click", "u1", "a"),  // credited to v1/home
      Row("click", "u1", "a"),  // that exposure's "a" was clicked already
      Row("click", "u3", "a"),  // u3 saw nothing
      Row("like", "u2", "a"),   // not a click type
      Row("click", "u2", "a")}); // credited to v2/popular

  Result<RealtimeReport> items = r->Report("1h", RealtimeDimension::kItem, 10);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->rows.size(), 3u);
  EXPECT_EQ(items->rows[0].key, "a");
  EXPECT_EQ(items->rows[0].impressions, 3);
  EXPECT_EQ(items->rows[0].clicks, 2);
  EXPECT_EQ(items->rows[1].key, "b");
  EXPECT_EQ(items->rows[1].impressions, 2);
  EXPECT_EQ(items->rows[1].clicks, 0);
  EXPECT_EQ(items->rows[2].key, "c");
  EXPECT_EQ(items->totals.impressions, 6);
  EXPECT_EQ(items->totals.clicks, 2);
  EXPECT_EQ(items->from, kT0 + 5 * kMinute - 59 * kMinute);
  EXPECT_EQ(items->bucket_s, 60);

  Result<RealtimeReport> versions = r->Report("1h", RealtimeDimension::kModelVersion, 10);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->rows.size(), 2u);
  EXPECT_EQ(versions->rows[0].key, "v1");  // 3 exposures, then v2 with 3: ties by clicks, key
  EXPECT_EQ(versions->rows[0].impressions, 3);
  EXPECT_EQ(versions->rows[0].clicks, 1);
  EXPECT_EQ(versions->rows[1].key, "v2");
  EXPECT_EQ(versions->rows[1].impressions, 3);
  EXPECT_EQ(versions->rows[1].clicks, 1);
  EXPECT_NEAR(versions->rows[1].ctr(), 1.0 / 3, 1e-12);

  Result<RealtimeReport> scenarios = r->Report("24h", RealtimeDimension::kScenario, 1);
  ASSERT_TRUE(scenarios.ok());
  EXPECT_EQ(scenarios->keys, 2u);
  ASSERT_EQ(scenarios->rows.size(), 1u);  // n = 1; the totals still cover both
  EXPECT_EQ(scenarios->rows[0].key, "home");
  EXPECT_EQ(scenarios->totals.impressions, 6);
  EXPECT_EQ(scenarios->totals.clicks, 2);

  // An hour later the hour window is empty; the day window still holds everything.
  clock.Advance(kHour);
  EXPECT_TRUE(r->Report("1h", RealtimeDimension::kItem, 10)->rows.empty());
  EXPECT_EQ(r->Report("24h", RealtimeDimension::kItem, 10)->totals.impressions, 6);
}

TEST(Realtime, ExposuresOlderThanTheLongestWindowEarnNoClicks) {
  FakeClock clock(kT0);
  auto r = Make(clock);
  ASSERT_NE(r, nullptr);
  Expose(*r, "u1", "v1", "home", {"a"});
  clock.Advance(24 * kHour);
  r->OnFeedback(std::vector<Feedback>{Row("click", "u1", "a")});
  EXPECT_EQ(r->Report("24h", RealtimeDimension::kItem, 10)->totals.clicks, 0);
  // The click still counts in the hot score.
  EXPECT_EQ(Render(r->Hot(0)), "a=1.000000 ");
}

TEST(Realtime, ParsesDimensions) {
  EXPECT_EQ(*ParseRealtimeDimension("model_version"), RealtimeDimension::kModelVersion);
  EXPECT_EQ(RealtimeDimensionName(RealtimeDimension::kScenario), "scenario");
  EXPECT_EQ(ParseRealtimeDimension("user").status().field(), "by");
}

}  // namespace
}  // namespace reco
