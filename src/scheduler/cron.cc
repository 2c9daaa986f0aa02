#include "scheduler/cron.h"

#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace reco {
namespace {

constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr int64_t kMinutesPerDay = 24 * 60;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] stands for min + i (nullptr: no names)
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",  "jul",
                                       "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};

constexpr FieldSpec kFields[] = {{"minute", 0, 59, nullptr},
                                 {"hour", 0, 23, nullptr},
                                 {"day-of-month", 1, 31, nullptr},
                                 {"month", 1, 12, kMonthNames},
                                 {"day-of-week", 0, 7, kWeekdayNames}};

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian, H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class FieldParser {
 public:
  FieldParser(std::string_view expression, const FieldSpec& spec)
      : expression_(expression), spec_(spec) {}

  // Sets bits [min..max] of the field into `bits` (indexed by value).
  Status Parse(std::string_view text, std::vector<bool>& bits) const {
    bits.assign(static_cast<size_t>(spec_.max) + 1, false);
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      std::string_view part = text.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      RECO_RETURN_IF_ERROR(ParsePart(part, bits));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("cron \"" + std::string(expression_) + "\": " + spec_.name + ": " + what,
                           spec_.name);
  }

  Result<int> Value(std::string_view token) const {
    if (token.empty()) return Error("empty value");
    if (spec_.names != nullptr && std::isalpha(static_cast<unsigned char>(token[0]))) {
      std::string lower = Lower(token);
      for (int i = 0; spec_.names[i] != nullptr; ++i) {
        if (lower == spec_.names[i]) return spec_.min + i;
      }
      return Error(std::string("unknown name \"").append(token).append("\""));
    }
    int v = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc() || ptr != token.data() + token.size()) {
      return Error(std::string("\"").append(token).append("\" is not a number"));
    }
    if (v < spec_.min || v > spec_.max) {
      return Error(std::to_string(v) + " is out of range " + std::to_string(spec_.min) + "-" +
                   std::to_string(spec_.max));
    }
    return v;
  }

  Status ParsePart(std::string_view part, std::vector<bool>& bits) const {
    if (part.empty()) return Error("empty list element");
    int step = 1;
    size_t slash = part.find('/');
    std::string_view range = part.substr(0, slash);
    if (slash != std::string_view::npos) {
      std::string_view step_text = part.substr(slash + 1);
      int s = 0;
      auto [ptr, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), s);
      if (step_text.empty() || ec != std::errc() || ptr != step_text.data() + step_text.size() ||
          s <= 0) {
        return Error("step \"" + std::string(step_text) + "\" is not a positive number");
      }
      step = s;
    }
    int lo = spec_.min;
    int hi = spec_.max;
    if (range != "*") {
      size_t dash = range.find('-');
      RECO_ASSIGN_OR_RETURN(lo, Value(range.substr(0, dash)));
      if (dash != std::string_view::npos) {
        RECO_ASSIGN_OR_RETURN(hi, Value(range.substr(dash + 1)));
        if (hi < lo) {
          return Error("range " + std::string(range) + " ends before it starts");
        }
      } else if (slash == std::string_view::npos) {
        hi = lo;  // a single value; "5/10" means 5-max/10
      }
    }
    for (int v = lo; v <= hi; v += step) bits[static_cast<size_t>(v)] = true;
    return Status::Ok();
  }

  std::string_view expression_;
  const FieldSpec& spec_;
};

std::string_view ExpandShorthand(std::string_view expression) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kShorthands{{
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  }};
  for (const auto& [name, fields] : kShorthands) {
    if (expression == name) return fields;
  }
  return expression;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// `@every N<s|m|h>` as microseconds; nullopt when `expression` is not an @every schedule.
std::optional<Result<int64_t>> ParseEvery(std::string_view expression) {
  constexpr std::string_view kEvery = "@every";
  if (!expression.starts_with(kEvery)) return std::nullopt;
  const std::string quoted = "cron \"" + std::string(expression) + "\": ";
  std::string_view rest = expression.substr(kEvery.size());
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) {
    rest.remove_prefix(1);
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  const std::string_view unit(ptr, static_cast<size_t>(rest.data() + rest.size() - ptr));
  int64_t unit_us = 0;
  if (unit == "s") unit_us = kMicrosPerSecond;
  if (unit == "m") unit_us = kMicrosPerMinute;
  if (unit == "h") unit_us = 60 * kMicrosPerMinute;
  if (ec != std::errc() || unit_us == 0 || n <= 0 || n * unit_us > 24 * 60 * kMicrosPerMinute) {
    return Result<int64_t>(InvalidArgument(
        quoted + "expected @every N followed by s, m or h, from 1s to 24h", "every"));
  }
  return Result<int64_t>(n * unit_us);
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  if (std::optional<Result<int64_t>> every = ParseEvery(expression)) {
    RECO_ASSIGN_OR_RETURN(int64_t interval, std::move(*every));
    CronSchedule s;
    s.expression_ = std::string(expression);
    s.interval_us_ = interval;
    return s;
  }
  std::string_view expanded = ExpandShorthand(expression);
  std::vector<std::string_view> fields = SplitFields(expanded);
  if (fields.size() != 5) {
    return InvalidArgument("cron \"" + std::string(expression) + "\": expected 5 fields (minute " +
                           "hour day-of-month month day-of-week), got " +
                           std::to_string(fields.size()));
  }
  CronSchedule s;
  s.expression_ = std::string(expression);
  std::vector<bool> bits[5];
  for (size_t f = 0; f < 5; ++f) {
    RECO_RETURN_IF_ERROR(FieldParser(expression, kFields[f]).Parse(fields[f], bits[f]));
  }
  for (size_t v = 0; v < 60; ++v) s.minutes_[v] = bits[0][v];
  for (size_t v = 0; v < 24; ++v) s.hours_[v] = bits[1][v];
  for (size_t v = 1; v <= 31; ++v) s.days_[v] = bits[2][v];
  for (size_t v = 1; v <= 12; ++v) s.months_[v] = bits[3][v];
  for (size_t v = 0; v <= 6; ++v) s.weekdays_[v] = bits[4][v];
  if (bits[4][7]) s.weekdays_[0] = true;  // 7 is Sunday too
  s.days_restricted_ = fields[2][0] != '*';
  s.weekdays_restricted_ = fields[4][0] != '*';
  if (s.days_restricted_ && !s.weekdays_restricted_) {
    // A day-of-month that no selected month has (Feb 30) would never run: refuse it.
    static constexpr int kMaxDays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      for (int d = 1; d <= kMaxDays[m] && s.months_[static_cast<size_t>(m)]; ++d) {
        if (s.days_[static_cast<size_t>(d)]) possible = true;
      }
    }
    if (!possible) {
      return InvalidArgument("cron \"" + std::string(expression) +
                                 "\": day-of-month: no selected month has such a day, so the "
                                 "schedule never runs",
                             "day-of-month");
    }
  }
  return s;
}

bool CronSchedule::DayMatches(int day_of_month, int day_of_week) const {
  const bool dom = days_[static_cast<size_t>(day_of_month)];
  const bool dow = weekdays_[static_cast<size_t>(day_of_week)];
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  return dom && dow;
}

bool CronSchedule::Matches(TimestampUs t) const {
  if (interval_us_ > 0) return true;
  const int64_t minute = FloorDiv(t, kMicrosPerMinute);
  const int64_t day = FloorDiv(minute, kMinutesPerDay);
  const int64_t minute_of_day = minute - day * kMinutesPerDay;
  const Civil c = CivilFromDays(day);
  const int weekday = static_cast<int>(((day % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  return months_[static_cast<size_t>(c.month)] && DayMatches(c.day, weekday) &&
         hours_[static_cast<size_t>(minute_of_day / 60)] &&
         minutes_[static_cast<size_t>(minute_of_day % 60)];
}

std::optional<TimestampUs> CronSchedule::NextAfter(TimestampUs t) const {
  if (interval_us_ > 0) return (FloorDiv(t, interval_us_) + 1) * interval_us_;
  int64_t minute = FloorDiv(t, kMicrosPerMinute) + 1;
  const int64_t limit = minute + 8 * 366 * kMinutesPerDay;
  while (minute <= limit) {
    const int64_t day = FloorDiv(minute, kMinutesPerDay);
    const int64_t minute_of_day = minute - day * kMinutesPerDay;
    const Civil c = CivilFromDays(day);
    if (!months_[static_cast<size_t>(c.month)]) {
      const int next_month = c.month == 12 ? 1 : c.month + 1;
      const int64_t next_year = c.month == 12 ? c.year + 1 : c.year;
      minute = DaysFromCivil(next_year, next_month, 1) * kMinutesPerDay;
      continue;
    }
    const int weekday = static_cast<int>(((day % 7) + 11) % 7);
    if (!DayMatches(c.day, weekday)) {
      minute = (day + 1) * kMinutesPerDay;
      continue;
    }
    if (!hours_[static_cast<size_t>(minute_of_day / 60)]) {
      minute = day * kMinutesPerDay + (minute_of_day / 60 + 1) * 60;
      continue;
    }
    if (!minutes_[static_cast<size_t>(minute_of_day % 60)]) {
      ++minute;
      continue;
    }
    return minute * kMicrosPerMinute;
  }
  return std::nullopt;
}

}  // namespace reco
