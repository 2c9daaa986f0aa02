#include "ops/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace reco {
namespace {

TEST(MetricsRegistry, RendersExactTextFormat) {
  MetricsRegistry registry;
  CounterFamily* requests =
      registry.AddCounter("http_requests_total", "Requests served.", {"route", "status"});
  requests->WithLabels({"/api/user/{id}", "200"})->Add(3);
  requests->WithLabels({"/api/a\"b\\c\nd", "500"})->Inc();
  registry.GetGauge("a_gauge", "A gauge\nwith \\ newline.")->Set(-2.5);
  registry.AddCallbackGauge("model_age_seconds", "Age.", [] { return 42.0; });
  Histogram* latency = registry.GetHistogram("latency_seconds", "Latency.", {0.1, 1});
  latency->Observe(0.05);
  latency->Observe(0.1);
  latency->Observe(3);

  const std::string expected =
      "# HELP a_gauge A gauge\\nwith \\\\ newline.\n"
      "# TYPE a_gauge gauge\n"
      "a_gauge -2.5\n"
      "# HELP http_requests_total Requests served.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{route=\"/api/a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"
      "http_requests_total{route=\"/api/user/{id}\",status=\"200\"} 3\n"
      "# HELP latency_seconds Latency.\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{le=\"0.1\"} 2\n"
      "latency_seconds_bucket{le=\"1\"} 2\n"
      "latency_seconds_bucket{le=\"+Inf\"} 3\n"
      "latency_seconds_sum 3.15\n"
      "latency_seconds_count 3\n"
      "# HELP model_age_seconds Age.\n"
      "# TYPE model_age_seconds gauge\n"
      "model_age_seconds 42\n";
  EXPECT_EQ(registry.RenderText(), expected);
}

TEST(MetricsRegistry, HistogramWithLabelsPutsLeLast) {
  MetricsRegistry registry;
  registry.AddHistogram("d_seconds", "D.", {"route"}, {0.5})->WithLabels({"r"})->Observe(1);
  EXPECT_EQ(registry.RenderText(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{route=\"r\",le=\"0.5\"} 0\n"
            "d_seconds_bucket{route=\"r\",le=\"+Inf\"} 1\n"
            "d_seconds_sum{route=\"r\"} 1\n"
            "d_seconds_count{route=\"r\"} 1\n");
}

TEST(MetricsRegistry, DefaultBucketsSpanHalfMillisecondToTenSeconds) {
  const auto& buckets = DefaultLatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0005);
  EXPECT_DOUBLE_EQ(buckets.back(), 10.0);
  MetricsRegistry registry;
  EXPECT_EQ(registry.GetHistogram("h", "H.")->bounds(), buckets);
}

TEST(MetricsRegistry, SameLabelsReturnSameSeriesAndSameFamily) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("c_total", "C.", {"k"});
  EXPECT_EQ(registry.AddCounter("c_total", "C.", {"k"}), family);
  Counter* a = family->WithLabels({"x"});
  EXPECT_EQ(family->WithLabels({"x"}), a);
  EXPECT_NE(family->WithLabels({"y"}), a);
}

TEST(MetricsRegistry, GaugeSetAndAdd) {
  MetricsRegistry registry;
  Gauge* g = registry.GetGauge("g", "G.");
  g->Set(10);
  g->Add(-3);
  EXPECT_DOUBLE_EQ(g->Value(), 7);
}

TEST(MetricsRegistryDeathTest, WrongLabelCountAborts) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("c_total", "C.", {"a", "b"});
  EXPECT_DEATH(family->WithLabels({"only-one"}), "label values");
}

TEST(MetricsRegistryDeathTest, ConflictingKindAborts) {
  MetricsRegistry registry;
  registry.GetCounter("x_total", "X.");
  EXPECT_DEATH(registry.GetGauge("x_total", "X."), "registered twice");
}

TEST(MetricsRegistry, ConcurrentIncrementsSumCorrectly) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("hits_total", "Hits.", {"t"});
  Histogram* h = registry.GetHistogram("obs", "Obs.", {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter* shared = family->WithLabels({"shared"});
      Counter* own = family->WithLabels({std::to_string(t)});
      for (int i = 0; i < kPerThread; ++i) {
        shared->Inc();
        own->Add(2);
        h->Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(family->WithLabels({"shared"})->Value(), kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_DOUBLE_EQ(family->WithLabels({std::to_string(t)})->Value(), 2.0 * kPerThread);
  }
  const Histogram::Snapshot snap = h->Snap();
  EXPECT_EQ(snap.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(snap.cumulative_counts[0], static_cast<uint64_t>(kThreads * kPerThread / 2));
  EXPECT_DOUBLE_EQ(snap.sum, kThreads * (kPerThread / 2) * 1.25);
}

TEST(MetricsRegistry, FamilyStopsAddingSeriesAtTheCapAndCountsTheRestAsOverflow) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("odd_total", "Odd.", {"method", "status"});
  const size_t cap = CounterFamily::kMaxSeries;
  const auto method = [](size_t i) { return fmt::format("m{}", i); };
  for (size_t i = 0; i < cap + 500; ++i) family->WithLabels({method(i), "405"})->Inc();
  const std::string text = registry.RenderText();
  size_t samples = 0;
  for (size_t pos = text.find("\nodd_total{"); pos != std::string::npos;
       pos = text.find("\nodd_total{", pos + 1)) {
    ++samples;
  }
  EXPECT_EQ(samples, cap + 1);
  EXPECT_DOUBLE_EQ(family->WithLabels({"overflow", "overflow"})->Value(), 500);
  EXPECT_DOUBLE_EQ(family->WithLabels({"m0", "405"})->Value(), 1);  // existing series still count
  EXPECT_EQ(text.find(fmt::format("\"{}\"", method(cap + 1))), std::string::npos);
}

}  // namespace
}  // namespace reco
