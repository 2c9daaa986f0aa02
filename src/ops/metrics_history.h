// MetricsHistory: the last hours of a server's key figures — request rate, errors, latency of
// recommendations, degraded answers, feedback rate — sampled in process from its
// MetricsRegistry, so that the console draws live charts without a Prometheus server.
//
// Each sample holds cumulative counters; a point is the difference of two samples, so rates and
// quantiles over any span are exact (a point of a long window merges the samples it covers
// instead of averaging averages).
//
// Thread-safety: Sample() and Points() may be called from any thread; Start() runs Sample()
// on a thread of its own every interval until Stop() (or destruction). Lifetime: borrows the
// MetricsRegistry and Clock, which must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/periodic_task.h"
#include "core/time.h"
#include "ops/metrics.h"

namespace reco {

// The figures between two samples; nullopt where there is nothing to divide by (no traffic).
struct HistoryPoint {
  TimestampUs t = 0;  // the end of the span
  double seconds = 0;  // the span's length
  double requests_per_second = 0;
  double errors_per_second = 0;  // HTTP 5xx answers
  std::optional<double> error_ratio;
  std::optional<double> recommend_p50_seconds;
  std::optional<double> recommend_p99_seconds;
  double recommendations_per_second = 0;
  std::optional<double> degraded_ratio;  // degraded answers / recommendations served
  double feedback_per_second = 0;
};

struct MetricsHistoryOptions {
  double interval_seconds = 10;
  double retention_seconds = 24 * 3600;
};

class MetricsHistory {
 public:
  MetricsHistory(const MetricsRegistry& metrics, MetricsHistoryOptions options,
                 const Clock& clock);
  ~MetricsHistory();
  MetricsHistory(const MetricsHistory&) = delete;
  MetricsHistory& operator=(const MetricsHistory&) = delete;

  void Start();
  void Stop();
  // Reads the registry once and appends the sample (dropping samples past the retention).
  void Sample();

  // The points of the last `window_seconds`, oldest first, at most `max_points` (consecutive
  // spans merged when there are more).
  std::vector<HistoryPoint> Points(double window_seconds, size_t max_points) const;

  const MetricsHistoryOptions& options() const { return options_; }

 private:
  struct Reading {
    TimestampUs t = 0;
    double requests = 0;
    double errors = 0;
    double recommendations = 0;
    double degraded = 0;
    double feedback = 0;
    std::vector<uint64_t> latency_counts;  // cumulative, one per bound then +Inf
  };

  Reading Read() const;
  HistoryPoint Between(const Reading& a, const Reading& b) const;

  const MetricsRegistry& metrics_;
  const MetricsHistoryOptions options_;
  const Clock& clock_;
  size_t capacity_;

  mutable std::mutex mu_;
  std::deque<Reading> readings_;  // oldest first
  std::vector<double> latency_bounds_;
  std::unique_ptr<PeriodicTask> sampler_;
};

// The q-quantile (0 < q < 1) of observations counted in cumulative buckets with upper bounds
// `bounds` (then +Inf), interpolated linearly inside the bucket as Prometheus'
// histogram_quantile does; nullopt when nothing was counted. Observations in the +Inf bucket
// are reported as the highest finite bound.
std::optional<double> BucketQuantile(double q, const std::vector<double>& bounds,
                                     const std::vector<uint64_t>& cumulative);

}  // namespace reco
