// BodyBudget: the bytes of request bodies being received or handled across all connections of a
// server, bounded by a limit; BodyLease: the share one request holds.
//
// Thread-safety: a BodyBudget is safe for concurrent use. A BodyLease belongs to one connection
// and is used by one thread at a time. Lifetime: the budget outlives every lease taken from it;
// a lease gives its bytes back on Release() or destruction.
#pragma once

#include <atomic>
#include <cstdint>

#include "ops/metrics.h"

namespace reco::http_internal {

class BodyBudget {
 public:
  // `in_flight` (optional) mirrors the bytes held, for /metrics.
  explicit BodyBudget(int64_t limit, Gauge* in_flight = nullptr)
      : limit_(limit), in_flight_(in_flight) {}

  // Takes `bytes` when they fit under the limit; false (nothing taken) otherwise.
  bool TryAcquire(int64_t bytes) {
    int64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    if (in_flight_ != nullptr) in_flight_->Add(static_cast<double>(bytes));
    return true;
  }
  void Release(int64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    if (in_flight_ != nullptr) in_flight_->Add(-static_cast<double>(bytes));
  }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }
  int64_t limit() const { return limit_; }

 private:
  const int64_t limit_;
  Gauge* const in_flight_;
  std::atomic<int64_t> used_{0};
};

class BodyLease {
 public:
  explicit BodyLease(BodyBudget* budget) : budget_(budget) {}
  ~BodyLease() { Release(); }
  BodyLease(const BodyLease&) = delete;
  BodyLease& operator=(const BodyLease&) = delete;

  // Takes `bytes` more; false (nothing taken) when the budget has no room for them.
  bool Grow(int64_t bytes) {
    if (budget_ == nullptr || bytes <= 0) return true;
    if (!budget_->TryAcquire(bytes)) return false;
    held_ += bytes;
    return true;
  }
  void Release() {
    if (budget_ != nullptr && held_ > 0) budget_->Release(held_);
    held_ = 0;
  }
  int64_t held() const { return held_; }

 private:
  BodyBudget* budget_;
  int64_t held_ = 0;
};

}  // namespace reco::http_internal
