#include "ingest/importer.h"

#include <chrono>

#include "ingest/time_limits.h"

namespace reco::ingest {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status StrictFailure(const std::vector<ImportIssue>& issues) {
  constexpr size_t kListed = 5;
  std::string msg = std::to_string(issues.size()) + " bad line" + (issues.size() == 1 ? "" : "s") +
                    "; nothing imported (--strict):";
  for (size_t i = 0; i < issues.size() && i < kListed; ++i) msg += "\n  " + issues[i].ToString();
  if (issues.size() > kListed)
    msg += "\n  ... and " + std::to_string(issues.size() - kListed) + " more";
  return InvalidArgument(std::move(msg), "--strict");
}

}  // namespace

Result<ImportRead> ReadImport(const ImportOptions& options) {
  if (options.paths.empty()) return InvalidArgument("no input paths given", "PATH");
  auto start = std::chrono::steady_clock::now();
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Get();
  SourceOptions source;
  source.default_timestamp = clock.NowMicros();
  source.latest_timestamp =
      LatestAcceptedTimestamp(source.default_timestamp, options.max_future_skew_seconds);
  source.positive_threshold = options.positive_threshold;
  source.csv = options.csv;
  ImportRead read;
  for (const auto& path : options.paths) {
    size_t before = read.batch.rows();
    RECO_RETURN_IF_ERROR(ReadSource(path, options.format, source, read.batch, read.issues));
    if (options.progress != nullptr) options.progress->Add(read.batch.rows() - before);
  }
  read.stats.users = static_cast<int64_t>(read.batch.users.size());
  read.stats.items = static_cast<int64_t>(read.batch.items.size());
  read.stats.feedback = static_cast<int64_t>(read.batch.feedback.size());
  read.stats.skipped_lines = static_cast<int64_t>(read.issues.size());
  read.stats.read_seconds = SecondsSince(start);
  return read;
}

Status WriteImport(Store& store, ImportRead& read, const ImportOptions& options) {
  if (options.strict && !read.issues.empty()) return StrictFailure(read.issues);
  auto start = std::chrono::steady_clock::now();
  InsertFeedbackOptions insert;
  insert.overwrite = false;
  insert.auto_insert_users = true;
  insert.auto_insert_items = true;
  Status st = store.Import(read.batch.users, read.batch.items, read.batch.feedback, insert);
  read.stats.write_seconds = SecondsSince(start);
  if (!st.ok()) return st.WithPrefix("import failed, nothing was written");
  return Status::Ok();
}

Result<ImportResult> ImportPaths(Store& store, const ImportOptions& options) {
  RECO_ASSIGN_OR_RETURN(ImportRead read, ReadImport(options));
  RECO_RETURN_IF_ERROR(WriteImport(store, read, options));
  return ImportResult{read.stats, std::move(read.issues)};
}

}  // namespace reco::ingest
