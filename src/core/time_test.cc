#include "core/time.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(Timestamp, ParsesRfc3339Forms) {
  struct Case {
    const char* text;
    int64_t expected_us;
  } cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2022-08-07T00:26:46Z", 1659832006LL * kMicrosPerSecond},
      {"2022-08-07T00:26:46.5Z", 1659832006LL * kMicrosPerSecond + 500000},
      {"2022-08-07T08:26:46+08:00", 1659832006LL * kMicrosPerSecond},
      {"2022-08-07 00:26:46", 1659832006LL * kMicrosPerSecond},
      {"2022-08-07", 1659830400LL * kMicrosPerSecond},
      {"1969-12-31T23:59:59Z", -kMicrosPerSecond},
  };
  for (const auto& c : cases) {
    auto r = ParseTimestamp(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.expected_us) << c.text;
  }
}

TEST(Timestamp, RejectsMalformed) {
  for (const char* bad : {"", "yesterday", "2022-13-01T00:00:00Z", "2022-02-30", "2022-08-07T25:00",
                          "2022-08-07T00:26:46Zjunk", "2022-08-07T00:26:46."}) {
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
  }
}

TEST(Timestamp, FormatsRoundTrip) {
  EXPECT_EQ(FormatTimestamp(1659832006LL * kMicrosPerSecond), "2022-08-07T00:26:46Z");
  EXPECT_EQ(FormatTimestamp(1659832006LL * kMicrosPerSecond + 120000), "2022-08-07T00:26:46.12Z");
  EXPECT_EQ(FormatTimestamp(-kMicrosPerSecond), "1969-12-31T23:59:59Z");
  auto r = ParseTimestamp(FormatTimestamp(1234567890123456LL));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1234567890123456LL);
}

TEST(FakeClock, AdvancesOnlyWhenTold) {
  FakeClock clock(100);
  EXPECT_EQ(clock.NowMicros(), 100);
  clock.Advance(50);
  EXPECT_EQ(clock.NowMicros(), 150);
}

}  // namespace
}  // namespace reco
