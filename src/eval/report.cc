#include "eval/report.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "core/json_writer.h"

namespace reco::eval {
namespace {

bool IsNumber(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end && std::isfinite(value);
}

void WriteSplit(const EvalReport& r, JsonWriter& w) {
  const SplitStats& s = r.split;
  w.BeginObject();
  w.Key("users").Int(static_cast<int64_t>(r.num_users));
  w.Key("items").Int(static_cast<int64_t>(r.num_items));
  w.Key("train_positives").Int(s.train_positives);
  w.Key("test_positives").Int(s.test_positives);
  w.Key("train_only_users").Int(s.train_only_users);
  w.Key("dropped_test_users").Int(s.dropped_test_users);
  w.Key("dropped_test_items").Int(s.dropped_test_items);
  w.Key("overlap_test_items").Int(s.overlap_test_items);
  w.Key("test_only_items").Int(s.test_only_items);
  w.Key("bad_lines").Int(s.bad_lines);
  if (r.protocol.kind == ProtocolKind::kTemporal && r.protocol.leave_last == 0) {
    w.Key("time_cut").Timestamp(s.time_cut);
  }
  w.Key("load_seconds").Double(r.load_seconds);
  w.EndObject();
}

}  // namespace

std::string FormatTable(const EvalResult& result) {
  std::string out;
  char cell[64];
  std::snprintf(cell, sizeof(cell), "%-16s", "metric");
  out += cell;
  for (size_t k : result.ks) {
    char label[32];
    std::snprintf(label, sizeof(label), "@%zu", k);
    std::snprintf(cell, sizeof(cell), " %10s", label);
    out += cell;
  }
  out += '\n';
  const size_t columns = result.ks.size();
  for (size_t row = 0; columns > 0 && row * columns < result.metrics.size(); ++row) {
    const std::string& name = result.metrics[row * columns].name;
    std::snprintf(cell, sizeof(cell), "%-16s", name.substr(0, name.find('@')).c_str());
    out += cell;
    for (size_t c = 0; c < columns; ++c) {
      std::snprintf(cell, sizeof(cell), " %10.4f", result.metrics[row * columns + c].value);
      out += cell;
    }
    out += '\n';
  }
  return out;
}

std::string ReportToJson(const EvalReport& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("dataset").String(r.dataset);
  w.Key("protocol");
  WriteProtocolJson(r.protocol, w);
  w.Key("model").String(r.model);
  w.Key("options").BeginObject();
  for (const Setting& s : r.options) {
    w.Key(s.first);
    if (IsNumber(s.second)) {
      w.Raw(s.second);
    } else {
      w.String(s.second);
    }
  }
  w.EndObject();
  w.Key("metrics").BeginObject();
  for (const NamedMetric& m : r.result.metrics) w.Key(m.name).Double(m.value);
  w.EndObject();
  w.Key("users_evaluated").Int(r.result.users_evaluated);
  w.Key("users_skipped").Int(r.result.users_skipped);
  w.Key("train_seconds").Double(r.train_seconds);
  w.Key("eval_seconds").Double(r.result.seconds);
  w.Key("peak_memory_bytes").Int(r.peak_memory_bytes);
  w.Key("split");
  WriteSplit(r, w);
  w.EndObject();
  std::string json = w.Take();
  json += '\n';
  return json;
}

int64_t PeakMemoryBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  constexpr std::string_view kKey = "VmHWM:";
  while (std::getline(in, line)) {
    if (line.compare(0, kKey.size(), kKey) != 0) continue;
    int64_t kib = 0;
    const char* p = line.data() + kKey.size();
    const char* end = line.data() + line.size();
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    auto [ptr, ec] = std::from_chars(p, end, kib);
    if (ec != std::errc()) return 0;
    return kib * 1024;
  }
  return 0;
}

}  // namespace reco::eval
