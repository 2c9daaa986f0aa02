// MetricsRegistry: Prometheus counters, gauges and histograms, rendered in the text exposition
// format 0.0.4 for GET /metrics.
//
// Thread-safety: everything is safe for concurrent use. Creating a family or looking up a label
// set takes a mutex; the returned Counter*/Gauge*/Histogram* are stable for the registry's
// lifetime, so hot paths look them up once, cache the pointer and update it with relaxed atomics.
// Lifetime: families and series live as long as the registry; callbacks must outlive it too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

// A monotonically increasing value.
class Counter {
 public:
  void Inc() { Add(1.0); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into buckets with upper bounds `bounds` (sorted ascending, +Inf implied).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Snap() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 non-cumulative
  std::atomic<double> sum_{0.0};
};

// 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 seconds.
const std::vector<double>& DefaultLatencyBuckets();

using LabelValues = std::vector<std::string>;

// One metric name with a fixed list of label names; one series per distinct label values.
// WithLabels() aborts when the number of values differs from the number of label names
// (a programming error, not a runtime condition). Label values must come from a known set, never
// from client input; as a safety net a family holds at most kMaxSeries series, and label values
// beyond that are counted in one series whose labels are all kOverflowLabel (with one warning).
template <typename T>
class MetricFamily {
 public:
  static constexpr size_t kMaxSeries = 10000;
  static constexpr std::string_view kOverflowLabel = "overflow";

  // Created by MetricsRegistry; other code only calls WithLabels().
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  T* WithLabels(const LabelValues& values);
  const std::string& name() const { return name_; }

 private:
  friend class MetricsRegistry;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> series_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Adding a name again with the same kind and label names returns the existing family; a
  // different kind or label names, or an invalid metric/label name, aborts.
  CounterFamily* AddCounter(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names = {});
  GaugeFamily* AddGauge(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names = {});
  // `bounds` empty = DefaultLatencyBuckets(); otherwise strictly increasing and finite.
  HistogramFamily* AddHistogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names = {},
                                std::vector<double> bounds = {});
  // A gauge without labels whose value is `fn()` evaluated at each scrape (e.g. queue sizes,
  // model age). `fn` runs on the scraping thread under the registry's lock: it must be
  // thread-safe and must not call back into the registry.
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> fn);

  // Shorthands for metrics without labels.
  Counter* GetCounter(std::string_view name, std::string_view help);
  Gauge* GetGauge(std::string_view name, std::string_view help);
  Histogram* GetHistogram(std::string_view name, std::string_view help,
                          std::vector<double> bounds = {});

  // Prometheus text format 0.0.4; families sorted by name, series by label values.
  std::string RenderText() const;

  // The read side for in-process views (the console's metrics history). The sum of the counter
  // family `name` over its series whose label `label` passes `keep` (every series when `label`
  // is empty); 0 when there is no counter family of that name.
  double SumCounter(std::string_view name, std::string_view label = {},
                    const std::function<bool(std::string_view)>& keep = {}) const;
  // The histogram family `name` merged over its series (their bounds are the family's); an
  // empty snapshot when there is no histogram family of that name.
  Histogram::Snapshot SumHistogram(std::string_view name) const;
  // The bounds of the histogram family `name`; empty when there is none.
  std::vector<double> HistogramBounds(std::string_view name) const;

 private:
  struct Entry;
  Entry& AddEntry(std::string_view name, std::string_view help, int kind,
                  const std::vector<std::string>& label_names);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> families_;
};

// The content type of RenderText()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace reco
