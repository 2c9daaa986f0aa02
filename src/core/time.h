// Time: timestamps are int64 microseconds since the Unix epoch (UTC) everywhere in reco.
// The clock is injected (Clock) so that TTLs, decay and schedulers are testable without sleeps.
//
// Thread-safety: SystemClock and the free functions are thread-safe; FakeClock is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco {

using TimestampUs = int64_t;

constexpr int64_t kMicrosPerSecond = 1'000'000;

// Every time reco accepts lies in RFC 3339's years 0000 to 9999 (UTC):
// 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z. Conversions below never overflow.
inline constexpr TimestampUs kMinTimestamp = -62'167'219'200LL * kMicrosPerSecond;
inline constexpr TimestampUs kMaxTimestamp = 253'402'300'800LL * kMicrosPerSecond - 1;

// Unix seconds (integer or fractional) as a timestamp. InvalidArgument whose message starts with
// "is out of range" when the value is not finite or falls outside [kMinTimestamp, kMaxTimestamp]
// (callers put the field name in front).
Result<TimestampUs> TimestampFromSeconds(double seconds);
Result<TimestampUs> TimestampFromSeconds(int64_t seconds);

// t + delta_us, clamped to [kMinTimestamp, kMaxTimestamp] (no overflow for any inputs).
TimestampUs AddClamped(TimestampUs t, int64_t delta_us);

// Parses RFC 3339 / ISO 8601: "2022-08-07T00:26:46Z", "...46.123Z", "...46+08:00",
// "2022-08-07 00:26:46", "2022-08-07". An empty string is an error (callers decide defaults), and
// so is a time outside [kMinTimestamp, kMaxTimestamp] (e.g. "0000-01-01T00:00:00+01:00").
Result<TimestampUs> ParseTimestamp(std::string_view text);

// Formats as RFC 3339 UTC, "2022-08-07T00:26:46Z"; fractional seconds only when non-zero.
std::string FormatTimestamp(TimestampUs ts);
void AppendTimestamp(std::string& out, TimestampUs ts);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimestampUs NowMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimestampUs NowMicros() const override;
  static const SystemClock& Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimestampUs now = 0) : now_(now) {}
  TimestampUs NowMicros() const override { return now_.load(); }
  void Set(TimestampUs now) { now_.store(now); }
  void Advance(int64_t us) { now_.fetch_add(us); }

 private:
  std::atomic<TimestampUs> now_;
};

}  // namespace reco
