#include "ops/metrics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <variant>

namespace reco {
namespace {

enum Kind { kCounterKind = 0, kGaugeKind = 1, kHistogramKind = 2, kCallbackKind = 3 };

[[noreturn]] void Fatal(const std::string& message) {
  fmt::print(stderr, "metrics: {}\n", message);
  std::abort();
}

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void AppendEscaped(std::string& out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// Appends `{a="x",b="y"}` (plus an optional `le` label), or nothing when there are no labels.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const LabelValues& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    AppendEscaped(out, values[i], true);
    out += '"';
  }
  if (!le.empty()) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names, const LabelValues& values, double v,
                  std::string_view le = {}) {
  out += name;
  out += suffix;
  AppendLabels(out, label_names, values, le);
  out += ' ';
  AppendValue(out, v);
  out += '\n';
}

template <typename T>
std::unique_ptr<T> MakeSeries(const std::vector<double>& bounds) {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(bounds);
  } else {
    return std::make_unique<T>();
  }
}

}  // namespace

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  const size_t n = bounds_.size();
  while (i < n && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot snap;
  snap.cumulative_counts.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative_counts[i] = running;
  }
  snap.count = running;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

template <typename T>
T* MetricFamily<T>::WithLabels(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    Fatal(fmt::format("{}: {} label values given for {} label names", name_, values.size(),
                      label_names_.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return it->second.get();
  if (series_.size() < kMaxSeries)
    return series_.emplace(values, MakeSeries<T>(bounds_)).first->second.get();
  const LabelValues overflow(values.size(), std::string(kOverflowLabel));
  it = series_.find(overflow);
  if (it == series_.end()) {
    spdlog::warn("metric {} reached {} series; further label values are counted as \"{}\"", name_,
                 kMaxSeries, kOverflowLabel);
    it = series_.emplace(overflow, MakeSeries<T>(bounds_)).first;
  }
  return it->second.get();
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

struct MetricsRegistry::Entry {
  int kind = kCounterKind;
  std::string help;
  std::vector<std::string> label_names;
  std::variant<std::monostate, std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
               std::unique_ptr<HistogramFamily>, std::function<double()>>
      family;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry& MetricsRegistry::AddEntry(std::string_view name, std::string_view help,
                                                  int kind,
                                                  const std::vector<std::string>& label_names) {
  if (!ValidName(name, true)) Fatal(fmt::format("invalid metric name '{}'", name));
  for (const auto& label : label_names) {
    if (!ValidName(label, false) || label == "le" || label.starts_with("__")) {
      Fatal(fmt::format("{}: invalid label name '{}'", name, label));
    }
  }
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->kind != kind || it->second->label_names != label_names ||
        kind == kCallbackKind) {
      Fatal(fmt::format("metric '{}' registered twice with a different kind or labels", name));
    }
    return *it->second;
  }
  auto entry = std::make_unique<Entry>();
  entry->kind = kind;
  entry->help = std::string(help);
  entry->label_names = label_names;
  return *families_.emplace(std::string(name), std::move(entry)).first->second;
}

CounterFamily* MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = AddEntry(name, help, kCounterKind, label_names);
  if (!std::holds_alternative<std::unique_ptr<CounterFamily>>(e.family)) {
    e.family = std::make_unique<CounterFamily>(std::string(name), std::string(help),
                                               std::move(label_names));
  }
  return std::get<std::unique_ptr<CounterFamily>>(e.family).get();
}

GaugeFamily* MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = AddEntry(name, help, kGaugeKind, label_names);
  if (!std::holds_alternative<std::unique_ptr<GaugeFamily>>(e.family)) {
    e.family =
        std::make_unique<GaugeFamily>(std::string(name), std::string(help), std::move(label_names));
  }
  return std::get<std::unique_ptr<GaugeFamily>>(e.family).get();
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  if (bounds.empty()) bounds = DefaultLatencyBuckets();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Fatal(fmt::format("{}: histogram bounds must be finite and strictly increasing", name));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = AddEntry(name, help, kHistogramKind, label_names);
  if (!std::holds_alternative<std::unique_ptr<HistogramFamily>>(e.family)) {
    e.family = std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                                 std::move(label_names), bounds);
  }
  HistogramFamily* family = std::get<std::unique_ptr<HistogramFamily>>(e.family).get();
  if (family->bounds_ != bounds) {
    Fatal(fmt::format("histogram '{}' registered twice with different buckets", name));
  }
  return family;
}

void MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                       std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = AddEntry(name, help, kCallbackKind, {});
  e.family = std::move(fn);
}

Counter* MetricsRegistry::GetCounter(std::string_view name, std::string_view help) {
  return AddCounter(name, help)->WithLabels({});
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, std::string_view help) {
  return AddGauge(name, help)->WithLabels({});
}

Histogram* MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds) {
  return AddHistogram(name, help, {}, std::move(bounds))->WithLabels({});
}

namespace {

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendEscaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <typename T>
void AppendSimpleFamily(std::string& out, const MetricFamily<T>& family,
                        const std::vector<std::string>& label_names,
                        const std::map<LabelValues, std::unique_ptr<T>>& series) {
  for (const auto& [values, metric] : series) {
    AppendSample(out, family.name(), "", label_names, values, metric->Value());
  }
}

void AppendHistogramSeries(std::string& out, const std::string& name,
                           const std::vector<std::string>& label_names, const LabelValues& values,
                           const Histogram& h) {
  const Histogram::Snapshot snap = h.Snap();
  std::string le;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    le.clear();
    AppendValue(le, h.bounds()[i]);
    AppendSample(out, name, "_bucket", label_names, values,
                 static_cast<double>(snap.cumulative_counts[i]), le);
  }
  AppendSample(out, name, "_bucket", label_names, values, static_cast<double>(snap.count), "+Inf");
  AppendSample(out, name, "_sum", label_names, values, snap.sum);
  AppendSample(out, name, "_count", label_names, values, static_cast<double>(snap.count));
}

}  // namespace

std::string MetricsRegistry::RenderText() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, entry] : families_) {
    const Entry& e = *entry;
    switch (e.kind) {
      case kCounterKind: {
        const auto& family = *std::get<std::unique_ptr<CounterFamily>>(e.family);
        AppendHeader(out, name, e.help, "counter");
        std::lock_guard<std::mutex> family_lock(family.mu_);
        AppendSimpleFamily(out, family, e.label_names, family.series_);
        break;
      }
      case kGaugeKind: {
        const auto& family = *std::get<std::unique_ptr<GaugeFamily>>(e.family);
        AppendHeader(out, name, e.help, "gauge");
        std::lock_guard<std::mutex> family_lock(family.mu_);
        AppendSimpleFamily(out, family, e.label_names, family.series_);
        break;
      }
      case kHistogramKind: {
        const auto& family = *std::get<std::unique_ptr<HistogramFamily>>(e.family);
        AppendHeader(out, name, e.help, "histogram");
        std::lock_guard<std::mutex> family_lock(family.mu_);
        for (const auto& [values, h] : family.series_) {
          AppendHistogramSeries(out, name, e.label_names, values, *h);
        }
        break;
      }
      case kCallbackKind: {
        AppendHeader(out, name, e.help, "gauge");
        AppendSample(out, name, "", {}, {}, std::get<std::function<double()>>(e.family)());
        break;
      }
    }
  }
  return out;
}

double MetricsRegistry::SumCounter(std::string_view name, std::string_view label,
                                   const std::function<bool(std::string_view)>& keep) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second->kind != kCounterKind) return 0;
  const CounterFamily& family = *std::get<std::unique_ptr<CounterFamily>>(it->second->family);
  size_t label_index = family.label_names_.size();
  for (size_t i = 0; i < family.label_names_.size(); ++i) {
    if (family.label_names_[i] == label) label_index = i;
  }
  std::lock_guard<std::mutex> family_lock(family.mu_);
  double sum = 0;
  for (const auto& [values, counter] : family.series_) {
    if (!label.empty() && (label_index >= values.size() || !keep(values[label_index]))) continue;
    sum += counter->Value();
  }
  return sum;
}

Histogram::Snapshot MetricsRegistry::SumHistogram(std::string_view name) const {
  Histogram::Snapshot total;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second->kind != kHistogramKind) return total;
  const HistogramFamily& family = *std::get<std::unique_ptr<HistogramFamily>>(it->second->family);
  total.cumulative_counts.assign(family.bounds_.size() + 1, 0);
  std::lock_guard<std::mutex> family_lock(family.mu_);
  for (const auto& [values, histogram] : family.series_) {
    Histogram::Snapshot one = histogram->Snap();
    for (size_t i = 0; i < total.cumulative_counts.size() && i < one.cumulative_counts.size();
         ++i) {
      total.cumulative_counts[i] += one.cumulative_counts[i];
    }
    total.sum += one.sum;
    total.count += one.count;
  }
  return total;
}

std::vector<double> MetricsRegistry::HistogramBounds(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second->kind != kHistogramKind) return {};
  return std::get<std::unique_ptr<HistogramFamily>>(it->second->family)->bounds_;
}

}  // namespace reco
