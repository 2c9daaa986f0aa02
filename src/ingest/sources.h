// Import sources: read files in a known layout (Gorse JSON, CSV, MovieLens, LightGCN) into an
// in-memory ImportBatch. A bad line never stops a source: it becomes an ImportIssue
// (`file:line: reason`) and the line is skipped; a file that cannot be read is an error Status.
//
// Thread-safety: the functions are thread-safe; each call owns its batch and issue list.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/types.h"

namespace reco::ingest {

enum class ImportFormat { kAuto, kJson, kCsv, kMovieLens, kLightGcn };

// "auto", "json", "csv", "movielens", "lightgcn".
Result<ImportFormat> ParseImportFormat(std::string_view name);
std::string_view ImportFormatName(ImportFormat format);

struct ImportBatch {
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;

  size_t rows() const { return users.size() + items.size() + feedback.size(); }

  // Streaming (ingest/importer.cc): when `spill` is set, sources call Spill() as rows come and
  // it hands the rows over (emptying the batch) once there are `spill_rows` of them. `spill`
  // returns false when reading should stop (the import failed): the source then returns early.
  size_t spill_rows = 0;
  std::function<bool(ImportBatch&)> spill;
  bool Spill() { return !spill || rows() < spill_rows || spill(*this); }
};

struct ImportIssue {
  std::string path;
  int64_t line = 0;  // 1-based; 0 when the issue is about the whole file
  std::string reason;

  std::string ToString() const;  // "path:line: reason"
};

struct CsvOptions {
  std::string kind = "feedback";  // "feedback", "users" or "items"
  // "field=column,..." where column is a 0-based index or a header name. Fields: user, item,
  // type, value, timestamp, comment, labels, categories, hidden. Empty = Gorse-like defaults
  // taken from the header (UserId, ItemId, FeedbackType, ...).
  std::string columns;
  char separator = ',';
  bool header = false;        // the first record names the columns
  std::string feedback_type;  // used when no "type" column is mapped
  char list_separator = '|';  // inside "categories" and non-JSON "labels" cells
};

struct SourceOptions {
  TimestampUs default_timestamp = 0;  // rows without a timestamp (usually the import time)
  // Rows dated after this are bad lines (see ingest/time_limits.h).
  TimestampUs latest_timestamp = kMaxTimestamp;
  double positive_threshold = 4.0;    // MovieLens: rating >= this is "like", else "read"
  CsvOptions csv;
  // A streamed batch (ImportBatch::spill) reads JSON-lines files in blocks of this many bytes.
  size_t read_block_bytes = 16 << 20;
};

// Appends what `path` (file or directory) holds in `format` (not kAuto) to `batch`.
Status ReadSource(const std::filesystem::path& path, ImportFormat format,
                  const SourceOptions& options, ImportBatch& batch,
                  std::vector<ImportIssue>& issues);

// Detects the format of a file or directory from names and, for text files, the first line.
Result<ImportFormat> DetectFormat(const std::filesystem::path& path);

// The individual sources (ReadSource dispatches to these).
Status ReadJsonSource(const std::filesystem::path& path, const SourceOptions& options,
                      ImportBatch& batch, std::vector<ImportIssue>& issues);
Status ReadCsvSource(const std::filesystem::path& path, const SourceOptions& options,
                     ImportBatch& batch, std::vector<ImportIssue>& issues);
Status ReadMovieLensSource(const std::filesystem::path& path, const SourceOptions& options,
                           ImportBatch& batch, std::vector<ImportIssue>& issues);
Status ReadLightGcnSource(const std::filesystem::path& path, const SourceOptions& options,
                          ImportBatch& batch, std::vector<ImportIssue>& issues);

// Name of the marker file `reco demo-data` writes; a directory holding it is Gorse JSON.
inline constexpr std::string_view kDemoMarkerFile = "reco-demo.json";

}  // namespace reco::ingest
