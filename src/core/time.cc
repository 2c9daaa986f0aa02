#include "core/time.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace reco {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool ReadDigits(std::string_view s, size_t& pos, int count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (int i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += count;
  return true;
}

constexpr const char* kOutOfRange =
    "is out of range (accepted: years 0000 to 9999, i.e. Unix seconds -62167219200 to "
    "253402300799)";

Status BadTimestamp(std::string_view text) {
  return InvalidArgument("cannot parse timestamp \"" + std::string(text.substr(0, 64)) +
                         "\" (expected RFC 3339, e.g. 2022-08-07T00:26:46Z)");
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<TimestampUs> ParseTimestamp(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, pos, 2, day)) {
    return BadTimestamp(text);
  }
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return BadTimestamp(text);
  }
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  if (pos < text.size()) {
    char sep = text[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return BadTimestamp(text);
    if (!ReadDigits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !ReadDigits(text, pos, 2, minute)) {
      return BadTimestamp(text);
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, pos, 2, second)) return BadTimestamp(text);
    }
    if (hour > 23 || minute > 59 || second > 60) return BadTimestamp(text);
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) frac_us = frac_us * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return BadTimestamp(text);
      for (int i = digits; i < 6; ++i) frac_us *= 10;
    }
    if (pos < text.size()) {
      char z = text[pos];
      if (z == 'Z' || z == 'z') {
        ++pos;
      } else if (z == '+' || z == '-') {
        ++pos;
        int oh, om = 0;
        if (!ReadDigits(text, pos, 2, oh)) return BadTimestamp(text);
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (!ReadDigits(text, pos, 2, om)) return BadTimestamp(text);
        if (oh > 23 || om > 59) return BadTimestamp(text);
        offset_s = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
      } else {
        return BadTimestamp(text);
      }
    }
  }
  if (pos != text.size()) return BadTimestamp(text);
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  const TimestampUs ts = secs * kMicrosPerSecond + frac_us;  // |secs| < 2^40: no overflow
  if (ts < kMinTimestamp || ts > kMaxTimestamp) {
    return InvalidArgument("timestamp \"" + std::string(text.substr(0, 64)) + "\" " + kOutOfRange);
  }
  return ts;
}

Result<TimestampUs> TimestampFromSeconds(double seconds) {
  // Compared in seconds first, so that the multiplication below cannot overflow.
  constexpr double kMinSeconds = static_cast<double>(kMinTimestamp / kMicrosPerSecond);
  constexpr double kMaxSeconds = static_cast<double>(kMaxTimestamp / kMicrosPerSecond + 1);
  if (!std::isfinite(seconds) || seconds < kMinSeconds || seconds >= kMaxSeconds) {
    return InvalidArgument(kOutOfRange);
  }
  const auto ts = static_cast<TimestampUs>(std::llround(seconds * 1e6));
  if (ts < kMinTimestamp || ts > kMaxTimestamp) return InvalidArgument(kOutOfRange);
  return ts;
}

Result<TimestampUs> TimestampFromSeconds(int64_t seconds) {
  if (seconds < kMinTimestamp / kMicrosPerSecond || seconds > kMaxTimestamp / kMicrosPerSecond) {
    return InvalidArgument(kOutOfRange);
  }
  return seconds * kMicrosPerSecond;
}

TimestampUs AddClamped(TimestampUs t, int64_t delta_us) {
  TimestampUs sum = 0;
  if (__builtin_add_overflow(t, delta_us, &sum)) {
    return delta_us > 0 ? kMaxTimestamp : kMinTimestamp;
  }
  return std::clamp(sum, kMinTimestamp, kMaxTimestamp);
}

void AppendTimestamp(std::string& out, TimestampUs ts) {
  int64_t secs = ts / kMicrosPerSecond;
  int64_t frac = ts % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                        static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  out.append(buf, n);
  if (frac != 0) {
    n = std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(frac));
    while (n > 1 && buf[n - 1] == '0') --n;
    out.append(buf, n);
  }
  out.push_back('Z');
}

std::string FormatTimestamp(TimestampUs ts) {
  std::string out;
  AppendTimestamp(out, ts);
  return out;
}

TimestampUs SystemClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

}  // namespace reco
