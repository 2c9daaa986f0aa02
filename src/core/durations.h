// Durations written by people in the configuration: "90s", "10m", "1h", "7d", "1h30m" (units
// s, m, h, d; a bare number is seconds), and the sliding windows of the real-time counters
// ("1h/1m": a window of one hour counted in one-minute buckets).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco {

// Seconds of `text`; InvalidArgument naming `field` when it is not such a duration, is zero, or
// is longer than 10 years.
Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view field);

// A sliding window: its name (the length as written, e.g. "1h"), its length and the length of
// one bucket, both in seconds. The length is a whole number of buckets.
struct WindowSpec {
  std::string name;
  int64_t length_s = 0;
  int64_t bucket_s = 0;
  int64_t buckets() const { return length_s / bucket_s; }
};

// The most buckets one window may have (memory: each item keeps at most this many per window).
inline constexpr int64_t kMaxWindowBuckets = 10000;

// "LENGTH[/BUCKET]", e.g. "1h/1m", "24h/10m"; without a bucket, LENGTH / 60. InvalidArgument
// naming `field` when either part is not a duration, the bucket does not divide the length, the
// window would have more than kMaxWindowBuckets buckets, or the name is "decay" (reserved for
// the decayed score).
Result<WindowSpec> ParseWindowSpec(std::string_view text, std::string_view field);

}  // namespace reco
