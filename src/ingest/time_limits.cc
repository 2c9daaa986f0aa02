#include "ingest/time_limits.h"

#include <algorithm>
#include <limits>

namespace reco::ingest {

TimestampUs LatestAcceptedTimestamp(TimestampUs now, int64_t max_future_skew_seconds) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kMicrosPerSecond;
  const int64_t skew = std::min(std::max<int64_t>(max_future_skew_seconds, 0), kMaxSeconds);
  return AddClamped(now, skew * kMicrosPerSecond);
}

std::string FutureTimestampProblem(TimestampUs ts, TimestampUs latest) {
  if (ts <= latest) return {};
  const TimestampUs shown = latest - latest % kMicrosPerSecond;  // whole seconds
  return "is " + FormatTimestamp(ts) + ", later than the latest accepted time " +
         FormatTimestamp(shown) + " (now + " + kMaxFutureSkewKey + ")";
}

}  // namespace reco::ingest
