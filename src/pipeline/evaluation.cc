#include "pipeline/evaluation.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "pipeline/extract.h"
#include "training/training_run.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

Result<ModelChoice> ChooseModel(const RecoConfig& config, const fs::path& data_dir) {
  const RecommendConfig& r = config.recommend;
  RECO_ASSIGN_OR_RETURN(std::optional<ModelChoice> tuned,
                        training::ModelConfigChoice(config, data_dir));
  if (tuned) return std::move(*tuned);
  return ModelChoice{"itemcf",
                     {{"itemcf.neighbors", std::to_string(r.itemcf_neighbors)},
                      {"itemcf.shrinkage", fmt::format("{}", r.itemcf_shrinkage)}},
                     "built-in item-CF"};
}

bool RunIsCurrent(const registry::RunRecord& run, std::string_view store_watermark,
                  const RecoConfig& config, const ModelChoice& choice) {
  if (run.status != registry::RunStatus::kSucceeded) return false;
  auto watermark = run.data.watermarks.find(std::string(kStoreSource));
  if (watermark == run.data.watermarks.end() || watermark->second != store_watermark) return false;
  std::map<std::string, std::string> want = ChoiceParams(choice);
  std::map<std::string, std::string> have = ChoiceParams(ChoiceFromParams(run.params));
  for (const auto& [key, value] : training::TrainParams(config, {})) {
    if (key == "num_threads") continue;
    want[key] = value;
    auto it = run.params.find(key);
    if (it != run.params.end()) have[key] = it->second;
  }
  return want == have;
}

namespace {

// Seconds, milliseconds or microseconds by magnitude; out of range (years 0000..9999) is an error.
Result<TimestampUs> NumberToMicros(double v) {
  double a = std::fabs(v);
  if (a >= 1e14) return TimestampFromSeconds(v / 1e6);  // microseconds
  if (a >= 1e11) return TimestampFromSeconds(v / 1e3);  // milliseconds
  return TimestampFromSeconds(v);                       // seconds
}

}  // namespace

Result<Exposure> ParseExposureLine(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(line);
  simdjson::dom::object o;
  if (parser.parse(padded).get_object().get(o)) return InvalidArgument("not a JSON object");
  Exposure e;
  simdjson::dom::element ts;
  if (o["ts"].get(ts)) return InvalidArgument("field 'ts' is missing", "ts");
  if (ts.is_string()) {
    Result<TimestampUs> parsed = ParseTimestamp(ts.get_string().value());
    if (!parsed.ok()) return InvalidArgument("field 'ts' is not a timestamp", "ts");
    e.ts = *parsed;
  } else if (ts.is_number()) {
    double v = ts.is_double() ? ts.get_double().value()
                              : static_cast<double>(ts.is_int64() ? ts.get_int64().value()
                                                                  : ts.get_uint64().value());
    Result<TimestampUs> micros = NumberToMicros(v);
    if (!micros.ok()) return InvalidArgument("field 'ts' " + micros.status().message(), "ts");
    e.ts = *micros;
  } else {
    return InvalidArgument("field 'ts' is not a timestamp", "ts");
  }
  for (auto [key, out] : {std::pair{"user_id", &e.user_id}, std::pair{"scenario", &e.scenario},
                          std::pair{"model_version", &e.model_version}}) {
    std::string_view v;
    auto field = o[key];
    if (field.error() || field.is_null()) continue;
    if (field.get_string().get(v)) {
      return InvalidArgument(std::string("field '") + key + "' is not a string", key);
    }
    *out = std::string(v);
  }
  if (e.user_id.empty()) return InvalidArgument("field 'user_id' is missing", "user_id");
  simdjson::dom::array items;
  if (o["items"].get_array().get(items)) {
    return InvalidArgument("field 'items' is not an array", "items");
  }
  for (simdjson::dom::element item : items) {
    std::string_view id;
    if (item.is_string()) {
      id = item.get_string().value();
    } else if (item.is_object() && !item["item_id"].get_string().get(id)) {
      // {"item_id": ..., "score": ...} entries are accepted too.
    } else {
      return InvalidArgument("field 'items' holds an entry without an item id", "items");
    }
    e.items.emplace_back(id);
  }
  return e;
}

std::vector<fs::path> ExposureLogFiles(const fs::path& data_dir) {
  std::vector<fs::path> files;
  fs::path dir = data_dir / kEvaluationDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  const std::string base = fs::path(kExposureLogFile).filename().string();
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || name.rfind("exposure_log", 0) != 0) continue;
    if (name.find(".jsonl") == std::string::npos || name.ends_with(".gz")) continue;
    files.push_back(e.path());
  }
  // Rotated files first (oldest by modification time), the live log last.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    bool a_live = a.filename() == base, b_live = b.filename() == base;
    if (a_live != b_live) return b_live;
    std::error_code e1, e2;
    return fs::last_write_time(a, e1) < fs::last_write_time(b, e2);
  });
  return files;
}

void CountExposures(
    const std::vector<Exposure>& exposures,
    const std::map<std::pair<std::string, std::string>, std::vector<TimestampUs>>& positives,
    ExposureMetrics& metrics) {
  for (const Exposure& e : exposures) {
    bool clicked = false;
    for (const std::string& item : e.items) {
      auto it = positives.find({e.user_id, item});
      if (it == positives.end()) continue;
      for (TimestampUs t : it->second) {
        if (t >= e.ts && t <= e.ts + metrics.click_window_us) clicked = true;
      }
    }
    for (ExposureCounts* c : {&metrics.by_version[e.model_version],
                              &metrics.by_version_scenario[{e.model_version, e.scenario}]}) {
      ++c->exposures;
      c->items += static_cast<int64_t>(e.items.size());
      c->clicks += clicked ? 1 : 0;
    }
  }
}

Result<ExposureMetrics> ReadExposureMetrics(const std::vector<fs::path>& logs, Store& store,
                                            const FeedbackTypes& types,
                                            TimestampUs click_window_us) {
  ExposureMetrics metrics;
  metrics.click_window_us = click_window_us;
  std::vector<Exposure> exposures;
  std::set<std::string> users;
  for (const fs::path& path : logs) {
    std::ifstream in(path);
    if (!in) return NotFound("cannot read the exposure log " + path.string());
    metrics.files.push_back(path.string());
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++metrics.lines;
      Result<Exposure> e = ParseExposureLine(line);
      if (!e.ok()) {
        ++metrics.bad_lines;
        if (metrics.issues.size() < 20) {
          metrics.issues.push_back(
              fmt::format("{}:{}: {}", path.string(), number, e.status().message()));
        }
        continue;
      }
      users.insert(e->user_id);
      exposures.push_back(std::move(e).value());
    }
  }
  std::set<std::string_view> positive(types.positive.begin(), types.positive.end());
  std::map<std::pair<std::string, std::string>, std::vector<TimestampUs>> clicks;
  if (!exposures.empty()) {
    RECO_RETURN_IF_ERROR(store.ScanFeedback(0, [&](const FeedbackRecord& r) {
      const Feedback& f = r.feedback;
      if (!positive.contains(f.feedback_type) || !users.contains(f.user_id)) return;
      clicks[{f.user_id, f.item_id}].push_back(f.timestamp);
    }));
  }
  CountExposures(exposures, clicks, metrics);
  return metrics;
}

namespace {

void WriteCounts(JsonWriter& w, const ExposureCounts& c) {
  w.Key("exposures").Int(c.exposures).Key("items").Int(c.items).Key("clicks").Int(c.clicks);
  w.Key("ctr").Double(c.ctr());
}

}  // namespace

std::string ExposureMetricsJson(const ExposureMetrics& m, TimestampUs computed_at) {
  JsonWriter w;
  w.BeginObject().Key("computed_at").Timestamp(computed_at);
  w.Key("click_window_seconds").Double(static_cast<double>(m.click_window_us) / kMicrosPerSecond);
  w.Key("files").StringArray(m.files).Key("lines").Int(m.lines).Key("bad_lines").Int(m.bad_lines);
  w.Key("issues").StringArray(m.issues);
  ExposureCounts total;
  for (const auto& [v, c] : m.by_version) {
    total.exposures += c.exposures;
    total.items += c.items;
    total.clicks += c.clicks;
  }
  w.Key("total").BeginObject();
  WriteCounts(w, total);
  w.EndObject();
  w.Key("by_version").BeginArray();
  for (const auto& [v, c] : m.by_version) {
    w.BeginObject().Key("model_version").String(v);
    WriteCounts(w, c);
    w.EndObject();
  }
  w.EndArray().Key("by_version_scenario").BeginArray();
  for (const auto& [key, c] : m.by_version_scenario) {
    w.BeginObject().Key("model_version").String(key.first).Key("scenario").String(key.second);
    WriteCounts(w, c);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

namespace {

// Rank 1 = highest value; equal values share the better rank.
std::map<std::string, int> RankDescending(const std::vector<std::pair<std::string, double>>& v) {
  std::map<std::string, int> ranks;
  for (const auto& [name, value] : v) {
    int better = 0;
    for (const auto& other : v) better += other.second > value ? 1 : 0;
    ranks[name] = better + 1;
  }
  return ranks;
}

}  // namespace

std::vector<ReconcileRow> Reconcile(const std::map<std::string, ExposureCounts>& online,
                                    const std::map<std::string, double>& offline,
                                    double max_divergence) {
  std::vector<ReconcileRow> rows;
  std::vector<std::pair<std::string, double>> ctr, metric;
  for (const auto& [version, counts] : online) {
    ReconcileRow row;
    row.model_version = version;
    row.online = counts;
    auto it = offline.find(version);
    if (it != offline.end()) {
      row.offline = it->second;
      ctr.emplace_back(version, counts.ctr());
      metric.emplace_back(version, it->second);
    }
    rows.push_back(std::move(row));
  }
  std::map<std::string, int> online_rank = RankDescending(ctr);
  std::map<std::string, int> offline_rank = RankDescending(metric);
  double span = std::max<double>(1, static_cast<double>(ctr.size()) - 1);
  for (ReconcileRow& row : rows) {
    if (!row.offline) continue;
    row.online_rank = online_rank[row.model_version];
    row.offline_rank = offline_rank[row.model_version];
    row.rank_gap = std::abs(row.online_rank - row.offline_rank) / span;
    row.divergent = row.rank_gap > max_divergence;
  }
  return rows;
}

std::string ReconciliationJson(const std::vector<ReconcileRow>& rows, std::string_view date,
                               std::string_view metric, double max_divergence,
                               TimestampUs computed_at) {
  JsonWriter w;
  w.BeginObject().Key("date").String(date).Key("computed_at").Timestamp(computed_at);
  w.Key("offline_metric").String(metric).Key("max_divergence").Double(max_divergence);
  int divergent = 0;
  w.Key("versions").BeginArray();
  for (const ReconcileRow& r : rows) {
    w.BeginObject().Key("model_version").String(r.model_version);
    WriteCounts(w, r.online);
    w.Key("offline");
    if (r.offline) {
      w.Double(*r.offline);
    } else {
      w.Null();
    }
    w.Key("online_rank").Int(r.online_rank).Key("offline_rank").Int(r.offline_rank);
    w.Key("rank_gap").Double(r.rank_gap).Key("divergent").Bool(r.divergent);
    w.EndObject();
    divergent += r.divergent ? 1 : 0;
  }
  w.EndArray().Key("divergent_versions").Int(divergent).EndObject();
  return w.Take();
}

GateDecision DecideGate(std::string_view metric, double candidate, std::optional<double> production,
                        double min_ratio) {
  if (!production) {
    return {true, fmt::format("no production model yet; {} {:.4f}", metric, candidate)};
  }
  if (*production <= 0) {
    bool ok = candidate >= 0;
    return {ok, fmt::format("{} {:.4f} vs production {:.4f}", metric, candidate, *production)};
  }
  double ratio = candidate / *production;
  bool ok = ratio >= min_ratio;
  return {ok, fmt::format("{} {:.4f} / production {:.4f} = {:.3f} {} {}", metric, candidate,
                          *production, ratio, ok ? ">=" : "<", min_ratio)};
}

}  // namespace reco::pipeline
