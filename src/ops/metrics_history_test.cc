#include "ops/metrics_history.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

constexpr TimestampUs kSecond = 1000000;

struct Served {
  MetricsRegistry metrics;
  CounterFamily* requests =
      metrics.AddCounter("http_requests_total", "h", {"route", "method", "status"});
  HistogramFamily* latency =
      metrics.AddHistogram("recommendation_latency_seconds", "h", {"route"});
  CounterFamily* served = metrics.AddCounter("recommendations_served_total", "h", {"run_id"});
  CounterFamily* degraded =
      metrics.AddCounter("recommendations_served_degraded_total", "h", {"run_id"});
  CounterFamily* feedback = metrics.AddCounter("feedback_ingested_total", "h", {"kind"});
};

TEST(MetricsRegistryRead, SumsCountersOverSeriesAndFiltersByOneLabel) {
  Served s;
  s.requests->WithLabels({"/a", "GET", "200"})->Add(7);
  s.requests->WithLabels({"/b", "GET", "503"})->Add(2);
  s.requests->WithLabels({"/b", "POST", "500"})->Add(1);
  EXPECT_DOUBLE_EQ(s.metrics.SumCounter("http_requests_total"), 10);
  EXPECT_DOUBLE_EQ(s.metrics.SumCounter("http_requests_total", "status",
                                        [](std::string_view v) { return v.starts_with('5'); }),
                   3);
  EXPECT_DOUBLE_EQ(s.metrics.SumCounter("no_such_total"), 0);
  EXPECT_TRUE(s.metrics.SumHistogram("no_such_seconds").cumulative_counts.empty());
}

TEST(BucketQuantile, InterpolatesInsideTheBucketLikeHistogramQuantile) {
  const std::vector<double> bounds = {0.1, 0.2, 0.4};
  // 10 observations <= 0.1, 10 more in (0.1, 0.2], none above.
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.5, bounds, {10, 20, 20, 20}), 0.1);
  EXPECT_NEAR(*BucketQuantile(0.75, bounds, {10, 20, 20, 20}), 0.15, 1e-12);
  EXPECT_NEAR(*BucketQuantile(0.25, bounds, {10, 20, 20, 20}), 0.05, 1e-12);
  // Beyond the last finite bound: that bound.
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.99, bounds, {0, 0, 0, 5}), 0.4);
  EXPECT_FALSE(BucketQuantile(0.5, bounds, {0, 0, 0, 0}).has_value());
}

TEST(MetricsHistory, PointsAreRatesBetweenSamples) {
  Served s;
  FakeClock clock(1000 * kSecond);
  MetricsHistory history(s.metrics, {.interval_seconds = 10, .retention_seconds = 3600}, clock);
  history.Sample();
  EXPECT_TRUE(history.Points(3600, 100).empty());  // one sample: no span yet

  s.requests->WithLabels({"/api/recommend/{user_id}", "GET", "200"})->Add(90);
  s.requests->WithLabels({"/api/recommend/{user_id}", "GET", "503"})->Add(10);
  s.served->WithLabels({"r1"})->Add(40);
  s.degraded->WithLabels({"r1"})->Add(10);
  s.feedback->WithLabels({"positive"})->Add(5);
  for (int i = 0; i < 100; ++i) s.latency->WithLabels({"/api/recommend/{user_id}"})->Observe(0.003);
  clock.Advance(10 * kSecond);
  history.Sample();

  std::vector<HistoryPoint> points = history.Points(3600, 100);
  ASSERT_EQ(points.size(), 1u);
  const HistoryPoint& p = points[0];
  EXPECT_EQ(p.t, 1010 * kSecond);
  EXPECT_DOUBLE_EQ(p.seconds, 10);
  EXPECT_DOUBLE_EQ(p.requests_per_second, 10);
  EXPECT_DOUBLE_EQ(p.errors_per_second, 1);
  EXPECT_DOUBLE_EQ(*p.error_ratio, 0.1);
  EXPECT_DOUBLE_EQ(p.recommendations_per_second, 4);
  EXPECT_DOUBLE_EQ(*p.degraded_ratio, 0.25);
  EXPECT_DOUBLE_EQ(p.feedback_per_second, 0.5);
  // Every observation is in the (0.0025, 0.005] bucket.
  ASSERT_TRUE(p.recommend_p50_seconds.has_value());
  EXPECT_GT(*p.recommend_p50_seconds, 0.0025);
  EXPECT_LE(*p.recommend_p99_seconds, 0.005);

  // A quiet span: rates 0, nothing to divide by.
  clock.Advance(10 * kSecond);
  history.Sample();
  points = history.Points(3600, 100);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_DOUBLE_EQ(points[1].requests_per_second, 0);
  EXPECT_FALSE(points[1].error_ratio.has_value());
  EXPECT_FALSE(points[1].degraded_ratio.has_value());
  EXPECT_FALSE(points[1].recommend_p50_seconds.has_value());
}

TEST(MetricsHistory, LongWindowsMergeSpansExactlyAndOldSamplesAreDropped) {
  Served s;
  FakeClock clock(0);
  MetricsHistory history(s.metrics, {.interval_seconds = 10, .retention_seconds = 100}, clock);
  Counter* ok = s.requests->WithLabels({"/x", "GET", "200"});
  history.Sample();
  for (int i = 1; i <= 30; ++i) {
    ok->Add(i);  // span i carries i requests
    clock.Advance(10 * kSecond);
    history.Sample();
  }
  // Retention 100 s at 10 s: 11 samples kept, 10 spans (spans 21..30).
  std::vector<HistoryPoint> all = history.Points(1e9, 100);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_DOUBLE_EQ(all.front().requests_per_second, 2.1);
  EXPECT_DOUBLE_EQ(all.back().requests_per_second, 3.0);
  // At most 5 points: pairs of spans merged, each the exact rate over its 20 s.
  std::vector<HistoryPoint> merged = history.Points(1e9, 5);
  ASSERT_EQ(merged.size(), 5u);
  EXPECT_DOUBLE_EQ(merged.front().seconds, 20);
  EXPECT_DOUBLE_EQ(merged.front().requests_per_second, (21 + 22) / 20.0);
  // A 30 s window: the last three spans.
  std::vector<HistoryPoint> recent = history.Points(30, 100);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_DOUBLE_EQ(recent.front().requests_per_second, 2.8);
}

TEST(MetricsHistory, TheSamplerThreadSamplesUntilStopped) {
  Served s;
  MetricsHistory history(s.metrics, {.interval_seconds = 0.01, .retention_seconds = 60},
                         SystemClock::Get());
  history.Start();
  while (history.Points(60, 100).size() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  history.Stop();
  const size_t after_stop = history.Points(60, 1000).size();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(history.Points(60, 1000).size(), after_stop);
}

}  // namespace
}  // namespace reco
