// The extract task's sources and the shared row writer (used by extract.cc; see extract.h).
//
// Thread-safety: not thread-safe; one extract run at a time per data dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <unordered_set>

#include "core/config.h"
#include "core/status.h"
#include "ingest/sources.h"
#include "pipeline/extract.h"
#include "pipeline/extract_state.h"
#include "store/store.h"

namespace reco::pipeline {

// Writes parsed rows into the store and keeps the source's counts (duplicates, written rows).
class RowWriter {
 public:
  RowWriter(Store& store, const RecoConfig& config, const ExtractOptions& options,
            SourceReport& report)
      : store_(store), config_(config), options_(options), report_(report) {}

  // Counts duplicates among the feedback; unless dry_run, writes users and items in one
  // Store::Import, then feedback in chunks of options.batch_rows (existing rows are kept).
  Status Write(ingest::ImportBatch& batch);

 private:
  Store& store_;
  const RecoConfig& config_;
  const ExtractOptions& options_;
  SourceReport& report_;
  std::unordered_set<uint64_t> seen_;  // hashes of (type, user, item, timestamp)
};

// Records a rejected row: counts it (and as an empty id when the reason says so) and keeps the
// first options.max_issues messages.
void AddIssue(const ExtractOptions& options, std::string where, const std::string& reason,
              SourceReport& report);

// Each source reads after its watermark in `state` (all data under full_refresh) and, unless
// dry_run, writes into the store and advances the watermark in `state` (saved by the caller).
// JSON rows without a timestamp get `now`; rows dated more than
// database.max_future_skew_seconds after `now` are rejected.
Status ExtractJsonDir(const ExtractOptions& options, const RecoConfig& config, Store& store,
                      TimestampUs now, ExtractState& state, SourceReport& report);
Status ExtractMatomo(const ExtractOptions& options, const RecoConfig& config, Store& store,
                     TimestampUs now, ExtractState& state, SourceReport& report);

}  // namespace reco::pipeline
