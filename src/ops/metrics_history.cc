#include "ops/metrics_history.h"

#include <algorithm>
#include <cmath>

namespace reco {
namespace {

// The series the console charts (docs/metrics.md names them).
constexpr std::string_view kRequests = "http_requests_total";
constexpr std::string_view kRecommendLatency = "recommendation_latency_seconds";
constexpr std::string_view kServed = "recommendations_served_total";
constexpr std::string_view kDegraded = "recommendations_served_degraded_total";
constexpr std::string_view kFeedback = "feedback_ingested_total";

std::optional<double> Ratio(double part, double whole) {
  if (whole <= 0) return std::nullopt;
  return part / whole;
}

}  // namespace

std::optional<double> BucketQuantile(double q, const std::vector<double>& bounds,
                                     const std::vector<uint64_t>& cumulative) {
  if (cumulative.empty() || cumulative.back() == 0 || bounds.empty()) return std::nullopt;
  const double rank = q * static_cast<double>(cumulative.back());
  size_t i = 0;
  while (i < cumulative.size() && static_cast<double>(cumulative[i]) < rank) ++i;
  if (i >= bounds.size()) return bounds.back();
  const double lower = i == 0 ? 0.0 : bounds[i - 1];
  const double below = i == 0 ? 0.0 : static_cast<double>(cumulative[i - 1]);
  const double in_bucket = static_cast<double>(cumulative[i]) - below;
  if (in_bucket <= 0) return bounds[i];
  return lower + (bounds[i] - lower) * (rank - below) / in_bucket;
}

MetricsHistory::MetricsHistory(const MetricsRegistry& metrics, MetricsHistoryOptions options,
                               const Clock& clock)
    : metrics_(metrics),
      options_(options),
      clock_(clock),
      capacity_(static_cast<size_t>(
                    std::ceil(options.retention_seconds / std::max(options.interval_seconds, 0.1))) +
                1) {}

MetricsHistory::~MetricsHistory() { Stop(); }

void MetricsHistory::Start() {
  Sample();  // the first point appears one interval after start
  sampler_ = std::make_unique<PeriodicTask>(
      std::chrono::duration<double>(options_.interval_seconds), [this] { Sample(); });
  sampler_->Start();
}

void MetricsHistory::Stop() {
  if (sampler_) sampler_->Stop();
}

MetricsHistory::Reading MetricsHistory::Read() const {
  Reading r;
  r.t = clock_.NowMicros();
  r.requests = metrics_.SumCounter(kRequests);
  r.errors = metrics_.SumCounter(kRequests, "status",
                                 [](std::string_view status) { return status.starts_with('5'); });
  r.recommendations = metrics_.SumCounter(kServed);
  r.degraded = metrics_.SumCounter(kDegraded);
  r.feedback = metrics_.SumCounter(kFeedback);
  r.latency_counts = metrics_.SumHistogram(kRecommendLatency).cumulative_counts;
  return r;
}

void MetricsHistory::Sample() {
  Reading reading = Read();
  std::vector<double> bounds;
  if (!reading.latency_counts.empty()) bounds = metrics_.HistogramBounds(kRecommendLatency);
  std::lock_guard<std::mutex> lock(mu_);
  if (latency_bounds_.empty()) latency_bounds_ = std::move(bounds);
  readings_.push_back(std::move(reading));
  while (readings_.size() > capacity_) readings_.pop_front();
}

HistoryPoint MetricsHistory::Between(const Reading& a, const Reading& b) const {
  HistoryPoint p;
  p.t = b.t;
  p.seconds = static_cast<double>(b.t - a.t) / 1e6;
  const double dt = std::max(p.seconds, 1e-6);
  const double requests = b.requests - a.requests;
  const double errors = b.errors - a.errors;
  const double served = b.recommendations - a.recommendations;
  p.requests_per_second = requests / dt;
  p.errors_per_second = errors / dt;
  p.error_ratio = Ratio(errors, requests);
  p.recommendations_per_second = served / dt;
  p.degraded_ratio = Ratio(b.degraded - a.degraded, served);
  p.feedback_per_second = (b.feedback - a.feedback) / dt;
  if (!b.latency_counts.empty()) {
    std::vector<uint64_t> delta = b.latency_counts;
    for (size_t i = 0; i < delta.size() && i < a.latency_counts.size(); ++i) {
      delta[i] -= std::min(delta[i], a.latency_counts[i]);
    }
    p.recommend_p50_seconds = BucketQuantile(0.5, latency_bounds_, delta);
    p.recommend_p99_seconds = BucketQuantile(0.99, latency_bounds_, delta);
  }
  return p;
}

std::vector<HistoryPoint> MetricsHistory::Points(double window_seconds, size_t max_points) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HistoryPoint> points;
  if (readings_.size() < 2 || max_points == 0) return points;
  const TimestampUs since =
      readings_.back().t - static_cast<TimestampUs>(window_seconds * 1e6);
  size_t first = 0;
  while (first + 1 < readings_.size() && readings_[first + 1].t <= since) ++first;
  const size_t spans = readings_.size() - 1 - first;
  if (spans == 0) return points;
  const size_t per_point = (spans + max_points - 1) / max_points;
  for (size_t start = first; start < readings_.size() - 1; start += per_point) {
    const size_t end = std::min(start + per_point, readings_.size() - 1);
    points.push_back(Between(readings_[start], readings_[end]));
  }
  return points;
}

}  // namespace reco
