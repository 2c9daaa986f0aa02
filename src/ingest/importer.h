// Importer: the library behind `reco import`. ImportPaths streams: one thread reads the paths
// (bad lines become issues) in chunks of `chunk_rows` rows while the calling thread writes them
// with Store::ImportStream, all in one transaction: all rows or none, in bounded memory
// (JSON-lines files are read block by block; other files are read whole, their rows streamed).
// ReadImport + WriteImport read everything first, then write it with one Store::Import call.
// Users and items that only feedback mentions are created by the store (auto-insert on).
//
// Thread-safety: calls are independent; the Store handles its own synchronisation.
// Lifetime: the Store, Clock and Progress passed in must outlive the call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/progress.h"
#include "core/status.h"
#include "core/time.h"
#include "ingest/sources.h"
#include "store/store.h"

namespace reco::ingest {

struct ImportOptions {
  std::vector<std::filesystem::path> paths;
  ImportFormat format = ImportFormat::kAuto;
  // Any bad line aborts the import: nothing is written.
  bool strict = false;
  double positive_threshold = 4.0;
  CsvOptions csv;
  // Supplies the timestamp of rows that have none (the import time). nullptr = system clock.
  const Clock* clock = nullptr;
  // Rows dated more than this after the clock's now are bad lines
  // (database.max_future_skew_seconds).
  int64_t max_future_skew_seconds = 86400;
  // Counts rows as each path is read; may be null.
  Progress* progress = nullptr;
  // ImportPaths: rows handed to the store at a time (memory holds a few such chunks).
  size_t chunk_rows = 200'000;
  // ImportPaths: JSON-lines files are read in blocks of this many bytes.
  size_t read_block_bytes = 16 << 20;
};

struct ImportStats {
  int64_t users = 0;
  int64_t items = 0;
  int64_t feedback = 0;
  int64_t skipped_lines = 0;
  double read_seconds = 0;
  double write_seconds = 0;

  int64_t rows() const { return users + items + feedback; }
};

// The parsed input, before anything is written.
struct ImportRead {
  ImportBatch batch;
  std::vector<ImportIssue> issues;
  ImportStats stats;
};

struct ImportResult {
  ImportStats stats;
  std::vector<ImportIssue> issues;
};

// Reads all paths. Errors: a missing path (NotFound naming it), an unreadable file, a format
// that cannot be detected, bad CSV options. Bad lines are not errors: they are in `issues`.
Result<ImportRead> ReadImport(const ImportOptions& options);

// Writes what ReadImport produced in one Store::Import call. Under `strict`, any issue fails
// with InvalidArgument and nothing is written.
Status WriteImport(Store& store, ImportRead& read, const ImportOptions& options);

// Reads and writes the paths, streamed (see above). The strict failure message lists the first
// bad lines; nothing is written then.
Result<ImportResult> ImportPaths(Store& store, const ImportOptions& options);
// The same, also giving the issues and counts when the import fails (e.g. under --strict).
Status ImportPaths(Store& store, const ImportOptions& options, ImportResult& result);

}  // namespace reco::ingest
