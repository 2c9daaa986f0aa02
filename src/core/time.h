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

// Parses RFC 3339 / ISO 8601: "2022-08-07T00:26:46Z", "...46.123Z", "...46+08:00",
// "2022-08-07 00:26:46", "2022-08-07". An empty string is an error (callers decide defaults).
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
