#include "core/time.h"

#include <gtest/gtest.h>

#include <limits>

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

TEST(Timestamp, ConversionsStayInYears0000To9999AndNeverOverflow) {
  struct Case {
    double seconds;
    bool ok;
  } doubles[] = {
      {0, true},
      {1659832006.5, true},
      {-62167219200.0, true},  // 0000-01-01T00:00:00Z
      {253402300799.0, true},  // 9999-12-31T23:59:59Z
      {253402300800.0, false},
      {-62167219201.0, false},
      {9.5e12, false},
      {-9.5e12, false},
      {1e300, false},
      {std::numeric_limits<double>::infinity(), false},
      {std::numeric_limits<double>::quiet_NaN(), false},
  };
  for (const auto& c : doubles) {
    Result<TimestampUs> ts = TimestampFromSeconds(c.seconds);
    EXPECT_EQ(ts.ok(), c.ok) << c.seconds;
    if (ts.ok()) {
      EXPECT_EQ(*ts, static_cast<TimestampUs>(c.seconds * 1e6)) << c.seconds;
    } else {
      EXPECT_EQ(ts.status().message().rfind("is out of range", 0), 0u);
    }
  }
  for (int64_t s : {int64_t{-62167219201}, int64_t{253402300800}, int64_t{9'500'000'000'000},
                    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    EXPECT_FALSE(TimestampFromSeconds(s).ok()) << s;
  }
  EXPECT_EQ(TimestampFromSeconds(int64_t{253402300799}).value(), kMaxTimestamp - 999999);
  EXPECT_EQ(FormatTimestamp(kMinTimestamp), "0000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(kMaxTimestamp), "9999-12-31T23:59:59.999999Z");
  EXPECT_FALSE(ParseTimestamp("9999-12-31T23:59:59-00:01").ok());
  EXPECT_FALSE(ParseTimestamp("0000-01-01T00:00:00+00:01").ok());
  EXPECT_EQ(ParseTimestamp("9999-12-31T23:59:59.999999Z").value(), kMaxTimestamp);

  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(AddClamped(0, max), kMaxTimestamp);
  EXPECT_EQ(AddClamped(kMaxTimestamp, max), kMaxTimestamp);
  EXPECT_EQ(AddClamped(kMinTimestamp, std::numeric_limits<int64_t>::min()), kMinTimestamp);
  EXPECT_EQ(AddClamped(5, -2), 3);
}

TEST(FakeClock, AdvancesOnlyWhenTold) {
  FakeClock clock(100);
  EXPECT_EQ(clock.NowMicros(), 100);
  clock.Advance(50);
  EXPECT_EQ(clock.NowMicros(), 150);
}

}  // namespace
}  // namespace reco
