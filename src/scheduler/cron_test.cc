#include "scheduler/cron.h"

#include <gtest/gtest.h>

#include <string>

namespace reco {
namespace {

TimestampUs T(const char* text) { return ParseTimestamp(text).value(); }

struct NextCase {
  const char* cron;
  const char* after;
  const char* expected;
};

// 2026-11-24 is a Tuesday.
constexpr NextCase kNextCases[] = {
    {"0 3 * * *", "2026-11-24T09:56:00Z", "2026-11-25T03:00:00Z"},
    {"0 3 * * *", "2026-11-24T02:59:59Z", "2026-11-24T03:00:00Z"},
    {"0 3 * * *", "2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z"},  // strictly after
    {"*/15 * * * *", "2026-11-24T10:07:00Z", "2026-11-24T10:15:00Z"},
    {"0 */2 * * *", "2026-11-24T23:30:00Z", "2026-11-25T00:00:00Z"},
    {"1-5/2 * * * *", "2026-11-24T10:01:00Z", "2026-11-24T10:03:00Z"},
    {"1-5/2 * * * *", "2026-11-24T10:05:00Z", "2026-11-24T11:01:00Z"},
    {"5/20 * * * *", "2026-11-24T10:30:00Z", "2026-11-24T10:45:00Z"},
    {"5,10 4 * * *", "2026-11-24T04:07:00Z", "2026-11-24T04:10:00Z"},
    {"30 9 * * mon-fri", "2026-11-28T00:00:00Z", "2026-11-30T09:30:00Z"},
    {"0 0 * * 7", "2026-11-24T00:00:00Z", "2026-11-29T00:00:00Z"},  // 7 = Sunday
    {"0 0 * * SUN", "2026-11-24T00:00:00Z", "2026-11-29T00:00:00Z"},
    // Both day fields restricted: either matches (Monday Nov 30 comes before Dec 1).
    {"0 0 1 * mon", "2026-11-24T12:00:00Z", "2026-11-30T00:00:00Z"},
    {"0 0 1 * mon", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"},
    // Day-of-month starts with '*': both must match (Dec 21 is the first Monday of 1/11/21/31).
    {"0 0 */10 * mon", "2026-11-24T00:00:00Z", "2026-12-21T00:00:00Z"},
    {"0 12 29 feb *", "2026-11-24T00:00:00Z", "2028-02-29T12:00:00Z"},
    {"0 0 31 * *", "2026-11-24T00:00:00Z", "2026-12-31T00:00:00Z"},
    {"0 0 31 * *", "2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"},
    {"59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
    {"@yearly", "2026-11-24T00:00:00Z", "2027-01-01T00:00:00Z"},
    {"@hourly", "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"},
    {"@weekly", "2026-11-24T10:00:00Z", "2026-11-29T00:00:00Z"},
    {"  0   3 * *   * ", "2026-11-24T09:56:00Z", "2026-11-25T03:00:00Z"},
};

TEST(CronSchedule, NextAfterTable) {
  for (const NextCase& c : kNextCases) {
    SCOPED_TRACE(std::string(c.cron) + " after " + c.after);
    Result<CronSchedule> cron = CronSchedule::Parse(c.cron);
    ASSERT_TRUE(cron.ok()) << cron.status().ToString();
    std::optional<TimestampUs> next = cron->NextAfter(T(c.after));
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(FormatTimestamp(*next), c.expected);
    EXPECT_TRUE(cron->Matches(*next));
  }
}

TEST(CronSchedule, MatchesTheWholeMinute) {
  CronSchedule cron = CronSchedule::Parse("0 3 * * *").value();
  EXPECT_TRUE(cron.Matches(T("2026-11-24T03:00:00Z")));
  EXPECT_TRUE(cron.Matches(T("2026-11-24T03:00:59Z")));
  EXPECT_FALSE(cron.Matches(T("2026-11-24T03:01:00Z")));
  EXPECT_FALSE(cron.Matches(T("2026-11-24T04:00:00Z")));
}

TEST(CronSchedule, EveryIntervalIsAlignedToTheEpoch) {
  CronSchedule cron = CronSchedule::Parse("@every 10s").value();
  EXPECT_EQ(cron.NextAfter(T("2026-11-24T03:00:00Z")), T("2026-11-24T03:00:10Z"));
  EXPECT_EQ(cron.NextAfter(T("2026-11-24T03:00:03Z")), T("2026-11-24T03:00:10Z"));
  EXPECT_EQ(cron.NextAfter(T("2026-11-24T03:00:09Z") + 999'999), T("2026-11-24T03:00:10Z"));
  EXPECT_TRUE(cron.Matches(T("2026-11-24T03:00:07Z")));
  EXPECT_EQ(CronSchedule::Parse("@every 15m")->NextAfter(T("2026-11-24T03:07:00Z")),
            T("2026-11-24T03:15:00Z"));
  EXPECT_EQ(CronSchedule::Parse("@every 2h")->NextAfter(T("2026-11-24T03:07:00Z")),
            T("2026-11-24T04:00:00Z"));
}

struct ErrorCase {
  const char* cron;
  const char* message;  // expected part of the error message
  const char* field;
};

constexpr ErrorCase kErrorCases[] = {
    {"0 25 * * *", "cron \"0 25 * * *\": hour: 25 is out of range 0-23", "hour"},
    {"60 * * * *", "minute: 60 is out of range 0-59", "minute"},
    {"* * 0 * *", "day-of-month: 0 is out of range 1-31", "day-of-month"},
    {"* * * 13 *", "month: 13 is out of range 1-12", "month"},
    {"* * * * 8", "day-of-week: 8 is out of range 0-7", "day-of-week"},
    {"*/0 * * * *", "minute: step \"0\" is not a positive number", "minute"},
    {"5-1 * * * *", "minute: range 5-1 ends before it starts", "minute"},
    {"* * * foo *", "month: unknown name \"foo\"", "month"},
    {"a * * * *", "minute: \"a\" is not a number", "minute"},
    {"1,,2 * * * *", "minute: empty list element", "minute"},
    {"0 0 30 2 *", "day-of-month: no selected month has such a day", "day-of-month"},
    {"* * * *", "cron \"* * * *\": expected 5 fields", ""},
    {"", "expected 5 fields", ""},
    {"@often", "expected 5 fields", ""},
    {"@every", "expected @every N followed by s, m or h", "every"},
    {"@every 0s", "expected @every N followed by s, m or h", "every"},
    {"@every 10d", "expected @every N followed by s, m or h", "every"},
    {"@every 25h", "from 1s to 24h", "every"},
    {"@every -5s", "expected @every N", "every"},
};

TEST(CronSchedule, ParseErrorsNameTheFieldAndTheExpression) {
  for (const ErrorCase& c : kErrorCases) {
    SCOPED_TRACE(c.cron);
    Result<CronSchedule> cron = CronSchedule::Parse(c.cron);
    ASSERT_FALSE(cron.ok());
    EXPECT_EQ(cron.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cron.status().message().find(c.message), std::string::npos)
        << cron.status().message();
    EXPECT_EQ(cron.status().field(), c.field);
  }
}

}  // namespace
}  // namespace reco
