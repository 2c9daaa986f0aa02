// Limits on the times reco accepts into the store (REST bodies, `reco import`, the pipeline's
// extract): every time lies in years 0000..9999 (core/time.h), and none lies further in the
// future than the clocks of the writers may plausibly be ahead (database.max_future_skew_seconds).
// A row dated far in the future would otherwise stay "newest" forever (popularity, latest lists).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "core/time.h"

namespace reco::ingest {

// The config key that sets the allowed skew, named in the messages below.
inline constexpr const char* kMaxFutureSkewKey = "database.max_future_skew_seconds";

// now + max_future_skew_seconds, clamped to kMaxTimestamp.
TimestampUs LatestAcceptedTimestamp(TimestampUs now, int64_t max_future_skew_seconds);

// "" when ts <= latest; else the problem, to follow the field name:
// "is 9999-12-31T00:00:00Z, later than the latest accepted time 2024-05-02T10:00:00Z (now +
// database.max_future_skew_seconds)".
std::string FutureTimestampProblem(TimestampUs ts, TimestampUs latest);

}  // namespace reco::ingest
