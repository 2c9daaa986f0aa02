#include "pipeline/data_quality.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "core/file_util.h"
#include "core/json_writer.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

namespace {

struct PreviousRun {
  int64_t new_rows = -1;  // -1: none
  TimestampUs newest_feedback = 0;
  double score = 1;
};

Result<PreviousRun> LoadPrevious(const fs::path& path) {
  PreviousRun prev;
  std::error_code ec;
  if (!fs::exists(path, ec)) return prev;
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(text).get_object().get(root) != simdjson::SUCCESS ||
      root["new_rows"].get_int64().get(prev.new_rows) != simdjson::SUCCESS ||
      root["newest_feedback_us"].get_int64().get(prev.newest_feedback) != simdjson::SUCCESS) {
    return DataLoss(path.string() +
                    ": not a valid data quality state file (remove it to start "
                    "the volume comparison afresh)");
  }
  if (root["score"].get_double().get(prev.score) != simdjson::SUCCESS) prev.score = 1;
  return prev;
}

std::string StateJson(const DataQualityReport& r) {
  JsonWriter w;
  w.BeginObject().Key("checked_at").Timestamp(r.checked_at);
  w.Key("new_rows").Int(r.new_rows).Key("newest_feedback_us").Int(r.newest_feedback);
  w.Key("score").Double(r.score).EndObject();
  return w.Take() + "\n";
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double RateScore(int64_t bad, int64_t total, double max_rate) {
  if (total <= 0) return 1.0;
  const double rate = static_cast<double>(bad) / static_cast<double>(total);
  return max_rate <= 0 ? (bad == 0 ? 1.0 : 0.0) : Clamp01(1.0 - rate / max_rate);
}

double Rate(int64_t bad, int64_t total) {
  return total <= 0 ? 0.0 : static_cast<double>(bad) / static_cast<double>(total);
}

std::string Format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c);
  return buf;
}

QualityCheck VolumeCheck(const DataQualityOptions& o, int64_t now_rows, int64_t prev_rows) {
  QualityCheck c{"volume", 1.0, 1.0, o.volume_weight, ""};
  if (prev_rows <= 0) {
    c.detail = Format("%.0f new rows; no previous run to compare with", now_rows);
    return c;
  }
  const double lo = static_cast<double>(std::min(now_rows, prev_rows));
  const double hi = static_cast<double>(std::max(now_rows, prev_rows));
  c.value = lo / hi;
  c.score = o.volume_min_ratio <= 0 ? 1.0 : Clamp01(c.value / o.volume_min_ratio);
  c.detail = Format("%.0f new rows vs %.0f in the previous run (ratio %.3f)", now_rows, prev_rows,
                    c.value);
  return c;
}

QualityCheck FreshnessCheck(const DataQualityOptions& o, TimestampUs newest, TimestampUs now) {
  const double hours =
      std::max<double>(0.0, static_cast<double>(now - newest) / (3600.0 * kMicrosPerSecond));
  if (!(o.max_data_age_hours > 0)) {
    return {"freshness", newest > 0 ? hours : 0.0, 1.0, 0.0,
            "not checked (pipeline.max_data_age_hours = 0)"};
  }
  QualityCheck c{"freshness", 0.0, 0.0, o.freshness_weight, "no feedback at all"};
  if (newest <= 0) return c;
  const double fresh = o.max_data_age_hours, stale = 3 * o.max_data_age_hours;
  c.value = hours;
  c.score = hours <= fresh ? 1.0 : Clamp01((stale - hours) / (stale - fresh));
  c.detail = Format("newest feedback is %.1f hours old (fresh up to %.1f, stale at %.1f)", hours,
                    fresh, stale);
  return c;
}

}  // namespace

DataQualityInput DataQualityInput::FromExtract(const ExtractReport& report) {
  SourceReport t = report.Totals();
  DataQualityInput in;
  in.after_seq = report.store_seq_before;
  in.rows_read = t.rows_read;
  in.rows_duplicate = t.rows_duplicate;
  in.rows_empty_id = t.rows_empty_id;
  return in;
}

const QualityCheck* DataQualityReport::Find(std::string_view name) const {
  for (const auto& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsCatalogueItem(const Item& item) {
  const bool labels = !item.labels_json.empty() && item.labels_json != "null" &&
                      item.labels_json != "[]" && item.labels_json != "{}";
  return item.timestamp != 0 || !item.categories.empty() || labels || !item.comment.empty();
}

Result<DataQualityReport> RunDataQuality(const DataQualityOptions& options,
                                         const DataQualityInput& input, Store& store,
                                         const fs::path& data_dir, const Clock& clock) {
  DataQualityReport r;
  r.checked_at = clock.NowMicros();
  const fs::path state_path = data_dir / kDataQualityStateFile;
  RECO_ASSIGN_OR_RETURN(PreviousRun prev, LoadPrevious(state_path));
  r.previous_new_rows = prev.new_rows;

  std::unordered_set<std::string> catalogue;
  RECO_RETURN_IF_ERROR(store.ScanItems([&](const Item& item) {
    if (IsCatalogueItem(item)) catalogue.insert(item.item_id);
  }));
  const TimestampUs future_limit =
      r.checked_at + static_cast<TimestampUs>(options.max_future_seconds * kMicrosPerSecond);
  const TimestampUs oldest_ok =
      r.checked_at - static_cast<TimestampUs>(options.max_age_days * 86400.0 * kMicrosPerSecond);
  RECO_RETURN_IF_ERROR(store.ScanFeedback(input.after_seq, [&](const FeedbackRecord& rec) {
    const Feedback& f = rec.feedback;
    ++r.new_rows;
    if (!catalogue.contains(f.item_id)) ++r.unknown_item_rows;
    if (f.timestamp <= 0 || f.timestamp > future_limit || f.timestamp < oldest_ok) {
      ++r.bad_timestamp_rows;
    } else {
      r.newest_feedback = std::max(r.newest_feedback, f.timestamp);
    }
  }));
  if (r.newest_feedback == 0) r.newest_feedback = prev.newest_feedback;
  if (r.new_rows == 0 && input.rows_read == 0) {
    r.quiet = true;
    r.score = prev.score;
    return r;
  }

  r.checks.push_back(VolumeCheck(options, r.new_rows, prev.new_rows));
  const double dup_rate = Rate(input.rows_duplicate, input.rows_read);
  r.checks.push_back({"duplicates", dup_rate,
                      RateScore(input.rows_duplicate, input.rows_read, options.max_duplicate_rate),
                      options.duplicate_weight,
                      Format("%.0f of %.0f extracted rows are exact duplicates",
                             input.rows_duplicate, input.rows_read)});
  r.checks.push_back({"empty_ids", Rate(input.rows_empty_id, input.rows_read),
                      RateScore(input.rows_empty_id, input.rows_read, options.max_empty_id_rate),
                      options.empty_id_weight,
                      Format("%.0f of %.0f extracted rows have a missing or empty id",
                             input.rows_empty_id, input.rows_read)});
  r.checks.push_back({"unknown_items", Rate(r.unknown_item_rows, r.new_rows),
                      RateScore(r.unknown_item_rows, r.new_rows, options.max_unknown_item_rate),
                      options.unknown_item_weight,
                      Format("%.0f of %.0f new feedback rows are on items not in the catalogue",
                             r.unknown_item_rows, r.new_rows)});
  r.checks.push_back(
      {"timestamps", Rate(r.bad_timestamp_rows, r.new_rows),
       RateScore(r.bad_timestamp_rows, r.new_rows, options.max_bad_timestamp_rate),
       options.timestamp_weight,
       Format("%.0f of %.0f new feedback rows have a zero, future or too old timestamp",
              r.bad_timestamp_rows, r.new_rows)});
  r.checks.push_back(FreshnessCheck(options, r.newest_feedback, r.checked_at));

  double weighted = 0, weights = 0;
  for (const auto& c : r.checks) {
    weighted += std::max(0.0, c.weight) * c.score;
    weights += std::max(0.0, c.weight);
  }
  r.score = weights > 0 ? weighted / weights : 1.0;
  if (options.dry_run) return r;
  RECO_RETURN_IF_ERROR(
      WriteFileAtomic(data_dir / kDataQualityMetricsFile, DataQualityPrometheusText(r)));
  RECO_RETURN_IF_ERROR(EnsureDirectory(state_path.parent_path()));
  RECO_RETURN_IF_ERROR(WriteFileAtomic(state_path, StateJson(r)));
  return r;
}

std::string DataQualityPrometheusText(const DataQualityReport& report) {
  std::string out;
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    return std::string(buf);
  };
  out += "# HELP " + std::string(kDataQualityScoreGauge) +
         " Weighted data quality score of the last pipeline run, 0..1.\n";
  out += "# TYPE " + std::string(kDataQualityScoreGauge) + " gauge\n";
  out += std::string(kDataQualityScoreGauge) + " " + number(report.score) + "\n";
  out += "# HELP " + std::string(kDataQualityCheckGauge) + " Sub-score of one check, 0..1.\n";
  out += "# TYPE " + std::string(kDataQualityCheckGauge) + " gauge\n";
  for (const auto& c : report.checks) {
    out += std::string(kDataQualityCheckGauge) + "{check=\"" + c.name + "\"} " + number(c.score) +
           "\n";
  }
  out += "# HELP " + std::string(kDataQualityValueGauge) +
         " Measured value of one check (ratio, rate, or age in hours for freshness).\n";
  out += "# TYPE " + std::string(kDataQualityValueGauge) + " gauge\n";
  for (const auto& c : report.checks) {
    out += std::string(kDataQualityValueGauge) + "{check=\"" + c.name + "\"} " + number(c.value) +
           "\n";
  }
  return out;
}

}  // namespace reco::pipeline
