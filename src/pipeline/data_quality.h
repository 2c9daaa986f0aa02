// Data quality: the second task of `reco pipeline`. Scores the data that arrived since the last
// extract (the store's feedback rows with seq > ExtractReport::store_seq_before, plus the
// extract's own counts) with six weighted checks, each giving a sub-score in [0,1]: volume change
// against the previous run, duplicate rate, empty ids, unknown items, timestamp sanity and
// freshness. The weighted mean is the data quality score; the pipeline stops (nothing published)
// when it is under pipeline.min_data_quality. Writes <data>/data_quality_metrics.prom
// (Prometheus text) and keeps this run's counts in <data>/_metadata/data_quality_state.json.
// A quiet run — no new feedback in the store and no rows from the extract's sources — scores
// nothing: its report is `quiet`, carries the previous run's score, and nothing is written, so the
// next run with data compares its volume with the last run that had data.
//
// Thread-safety: RunDataQuality reads the store concurrently with writers; runs over one data dir
// must not overlap. Lifetime: nothing is retained after the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "pipeline/extract.h"
#include "store/store.h"

namespace reco::pipeline {

// Gauge names, for the server's /metrics and the .prom file.
inline constexpr std::string_view kDataQualityScoreGauge = "data_quality_score";
inline constexpr std::string_view kDataQualityCheckGauge = "data_quality_check_score";
inline constexpr std::string_view kDataQualityValueGauge = "data_quality_check_value";

inline constexpr std::string_view kDataQualityMetricsFile = "data_quality_metrics.prom";
inline constexpr std::string_view kDataQualityStateFile = "_metadata/data_quality_state.json";

// What the extract task saw (rows the sources produced), for the checks the store cannot see:
// the store keeps one row per (type, user, item) and never holds an empty id.
struct DataQualityInput {
  int64_t after_seq = 0;       // new feedback = store rows with seq > after_seq
  int64_t rows_read = 0;       // rows the external sources produced
  int64_t rows_duplicate = 0;  // of which exact duplicates
  int64_t rows_empty_id = 0;   // of which rejected for a missing or empty user/item id

  static DataQualityInput FromExtract(const ExtractReport& report);
};

struct DataQualityOptions {
  // Weights of the checks (any non-negative numbers; the score divides by their sum).
  double volume_weight = 0.2;
  double duplicate_weight = 0.15;
  double empty_id_weight = 0.15;
  double unknown_item_weight = 0.15;
  double timestamp_weight = 0.15;
  double freshness_weight = 0.2;
  // volume: min(new, previous) / max(new, previous) at or above this scores 1, then linearly
  // down to 0 at a ratio of 0. No previous run (or a previous count of 0) scores 1.
  double volume_min_ratio = 0.5;
  // Rate checks score 1 - rate / max_rate, clamped to [0,1].
  double max_duplicate_rate = 0.1;
  double max_empty_id_rate = 0.05;
  double max_unknown_item_rate = 0.2;
  double max_bad_timestamp_rate = 0.05;
  // A timestamp is bad when <= 0, later than now + max_future_seconds or older than
  // max_age_days.
  double max_future_seconds = 300;
  double max_age_days = 3650;
  // freshness: the newest feedback at most max_data_age_hours old scores 1, linearly down to 0
  // at three times that age; no feedback at all scores 0. 0 = freshness is not checked (the
  // check is reported with weight 0), for datasets whose newest event is simply old.
  double max_data_age_hours = 24;
  // Compute and return the report, write nothing.
  bool dry_run = false;
};

struct QualityCheck {
  std::string name;  // volume, duplicates, empty_ids, unknown_items, timestamps, freshness
  double value = 0;  // the measured quantity (ratio, rate or age in hours)
  double score = 1;  // [0,1]
  double weight = 0;
  std::string detail;  // one human-readable line
};

struct DataQualityReport {
  TimestampUs checked_at = 0;
  int64_t new_rows = 0;            // store feedback rows with seq > after_seq
  int64_t previous_new_rows = -1;  // -1 when there was no previous run
  int64_t unknown_item_rows = 0;   // new rows on items that are not in the catalogue
  int64_t bad_timestamp_rows = 0;
  TimestampUs newest_feedback = 0;
  std::vector<QualityCheck> checks;
  double score = 0;  // weighted mean of the checks' scores
  // Nothing new since the last run: no checks; score = the previous run's score (1 when none).
  bool quiet = false;

  const QualityCheck* Find(std::string_view name) const;
};

// An item is "in the catalogue" when it has anything besides its id (a timestamp, categories,
// labels or a comment); items the store created from feedback alone (auto-insert) have none.
bool IsCatalogueItem(const Item& item);

// Scans the new feedback and the items, scores, and (unless dry_run) writes the .prom file and
// the state. Errors: store errors, unwritable files, a corrupt state file (DataLoss naming it).
Result<DataQualityReport> RunDataQuality(const DataQualityOptions& options,
                                         const DataQualityInput& input, Store& store,
                                         const std::filesystem::path& data_dir, const Clock& clock);

// The Prometheus text of a report: data_quality_score, and per check
// data_quality_check_score{check="..."} and data_quality_check_value{check="..."}.
std::string DataQualityPrometheusText(const DataQualityReport& report);

}  // namespace reco::pipeline
