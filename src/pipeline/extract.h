// Extract: the first task of `reco pipeline`. Brings new data from the configured external
// sources (a JSON directory, a Matomo analytics database) into the Store, which is what reco
// trains from, and measures what arrived in the store since the last run. Each source keeps a
// watermark in <data>/_metadata/extract_state.json; per-source row counts and timings go to
// <data>/_metadata/extract_metrics.json. Both files are replaced atomically, and only after every
// store write of the run succeeded: a crash in between re-reads rows that the store then ignores
// (feedback inserts keep an existing (type, user, item) row unchanged), so a run is idempotent.
//
// Thread-safety: RunExtract may run concurrently with store writers (REST, gRPC), but two extract
// runs over the same data dir must not overlap (the pipeline runs tasks one at a time).
// Lifetime: the Store, Clock and config must outlive the call; nothing is retained afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace reco::pipeline {

// Names of the sources, as they appear in the state and metrics files.
inline constexpr std::string_view kStoreSource = "store";
inline constexpr std::string_view kJsonDirSource = "json_dir";
inline constexpr std::string_view kMatomoSource = "matomo";

// Paths under the data dir.
inline constexpr std::string_view kExtractStateFile = "_metadata/extract_state.json";
inline constexpr std::string_view kExtractMetricsFile = "_metadata/extract_metrics.json";

struct ExtractOptions {
  // Ignore every watermark: re-read all data of every source (the store keeps existing rows).
  bool full_refresh = false;
  // Validate the configuration, reach every source and report what would be read; write
  // nothing (no store rows, no state, no metrics).
  bool dry_run = false;
  // Rows fetched from Matomo per query, and feedback rows written per store call.
  int batch_rows = 10000;
  // At most this many rejected-row messages are kept per source in the report.
  int max_issues = 20;
  // Show a progress line on stderr while reading Matomo.
  bool show_progress = false;
};

// What one source did in one run.
struct SourceReport {
  std::string source;          // kStoreSource, kJsonDirSource or kMatomoSource
  int64_t rows_read = 0;       // rows (users, items, feedback) the source produced
  int64_t rows_written = 0;    // of which new feedback/users/items rows written into the store
  int64_t rows_rejected = 0;   // malformed rows (bad JSON, bad fields); not written
  int64_t rows_skipped = 0;    // well-formed rows with nothing to import (Matomo URL no match)
  int64_t rows_duplicate = 0;  // feedback rows identical (type, user, item, time) to an earlier one
  int64_t rows_empty_id = 0;   // rejected rows whose user or item id is missing or empty
  double seconds = 0;
  std::string watermark_before;  // human-readable, e.g. "idlink_va 41" or "seq 1200"
  std::string watermark_after;
  std::vector<std::string> issues;  // first ExtractOptions::max_issues rejected rows, "where: why"
};

struct ExtractReport {
  TimestampUs started = 0;
  bool full_refresh = false;
  bool dry_run = false;
  double seconds = 0;
  // The store's feedback sequence before and after the run: rows with seq in
  // (store_seq_before, store_seq_after] are this run's new feedback (data_quality reads them).
  int64_t store_seq_before = 0;
  int64_t store_seq_after = 0;
  std::vector<SourceReport> sources;  // store last; only the configured sources

  const SourceReport* Find(std::string_view source) const;
  // Sums over the external sources (not the store line, which counts their rows again).
  SourceReport Totals() const;
};

// Runs every configured source. Errors name the source and, for configuration problems, the key:
// a missing JSON dir is NotFound naming the path and sources.json_dir (DATA_JSON_DIR); an
// unreachable Matomo database is Unavailable naming host:port. A failing source fails the run
// and no state is written, so the next run starts again from the previous watermarks.
Result<ExtractReport> RunExtract(const ExtractOptions& options, const RecoConfig& config,
                                 Store& store, const std::filesystem::path& data_dir,
                                 const Clock& clock);

// Renders the metrics file's JSON (the same data as the report).
std::string ExtractMetricsJson(const ExtractReport& report);

}  // namespace reco::pipeline
