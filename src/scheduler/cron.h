// CronSchedule: a parsed 5-field cron expression (minute hour day-of-month month day-of-week),
// evaluated in UTC — "0 3 * * *" is 03:00 UTC whatever the machine's time zone.
//
// Thread-safety: an immutable value after Parse; copy freely, call from any thread.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace reco {

// Fields: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec, day-of-week 0-7
// (0 and 7 are Sunday) or sun-sat; names are case-insensitive. Each field is a comma list of
// `*`, `N`, `A-B`, optionally with a step: `*/15`, `1-30/2`, `5/10` (= 5-max/10).
// Shorthands: @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Intervals: `@every N` with a unit s, m or h (`@every 10s`, `@every 15m`; 1 s to 24 h): the
// times that are whole multiples of the interval since the Unix epoch, so that every process
// computes the same times.
// Day rule (Vixie cron): when both day fields are restricted (neither starts with `*`), a day
// matches when EITHER matches; otherwise both must match ("0 0 1 * mon" = the 1st and Mondays).
class CronSchedule {
 public:
  // InvalidArgument naming the field and the expression, e.g.
  // `cron "0 25 * * *": hour: 25 is out of range 0-23`.
  static Result<CronSchedule> Parse(std::string_view expression);

  // The first whole minute (for @every: interval) strictly after `t` that matches. nullopt only when nothing matches
  // within the next 8 years (Parse already refuses dates that never occur, such as Feb 30).
  std::optional<TimestampUs> NextAfter(TimestampUs t) const;
  // True when the minute containing `t` matches (always, for @every).
  bool Matches(TimestampUs t) const;

  const std::string& expression() const { return expression_; }

 private:
  bool DayMatches(int day_of_month, int day_of_week) const;

  std::string expression_;
  int64_t interval_us_ = 0;  // > 0: an @every schedule, the fields below are unused
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace reco
