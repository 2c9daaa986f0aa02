// LogLimiter: lets a repeated warning through at most once per interval and counts the
// occurrences it held back, so that a flood (accept failures, refused connections) costs one log
// line per interval instead of one per event.
//
// Thread-safety: safe for concurrent use. Time is passed in by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace reco::http_internal {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogLimiter(Clock::duration interval) : interval_(interval) {}

  // True when the caller should log now; `*held_back` is then the number of calls refused since
  // the last line (to be reported in it).
  bool Allow(Clock::time_point now, int64_t* held_back) {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ && now < next_) {
      ++held_back_;
      return false;
    }
    started_ = true;
    next_ = now + interval_;
    *held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  const Clock::duration interval_;
  std::mutex mu_;
  bool started_ = false;
  Clock::time_point next_;
  int64_t held_back_ = 0;
};

}  // namespace reco::http_internal
