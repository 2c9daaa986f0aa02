// The JSON dir source: Gorse-format users*/items*/feedback*.json[l] files under sources.json_dir.
// JSON-lines files are read from the byte offset already imported when their imported prefix is
// unchanged (appended files); any other change re-reads the whole file (the store ignores rows it
// already has). A last line without a newline that does not parse yet is left for the next run.
#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/time.h"
#include "ingest/gorse_json.h"
#include "ingest/text_util.h"
#include "ingest/time_limits.h"
#include "pipeline/extract_sources.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

namespace {

enum class Kind { kNone, kUsers, kItems, kFeedback };

Kind KindOf(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string ext = path.extension().string();
  if (ext != ".json" && ext != ".jsonl") return Kind::kNone;
  if (name.starts_with("users")) return Kind::kUsers;
  if (name.starts_with("items")) return Kind::kItems;
  if (name.starts_with("feedback")) return Kind::kFeedback;
  return Kind::kNone;
}

bool IsJsonArray(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && text[i] == '[';
}

// Parses one line into the batch; false (and nothing added) when it does not parse.
bool ParseLine(ingest::GorseJsonParser& parser, Kind kind, std::string_view line,
               ingest::ImportBatch& batch, std::string& error) {
  Status status;
  if (kind == Kind::kUsers) {
    Result<User> r = parser.ParseObject<User>(line);
    if (r.ok()) batch.users.push_back(std::move(r).value());
    status = r.status();
  } else if (kind == Kind::kItems) {
    Result<Item> r = parser.ParseObject<Item>(line);
    if (r.ok()) batch.items.push_back(std::move(r).value());
    status = r.status();
  } else {
    Result<Feedback> r = parser.ParseObject<Feedback>(line);
    if (r.ok()) batch.feedback.push_back(std::move(r).value());
    status = r.status();
  }
  if (status.ok()) return true;
  error = status.message();
  return false;
}

// Parses JSON lines from byte `start`; returns the end offset of what was consumed.
size_t ReadLines(const ExtractOptions& options, const fs::path& path, Kind kind,
                 std::string_view text, size_t start, ingest::GorseJsonParser& parser,
                 ingest::ImportBatch& batch, SourceReport& report) {
  int64_t line_no = 1 + std::count(text.begin(), text.begin() + start, '\n');
  size_t pos = start;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string_view::npos;
    const size_t end = complete ? nl : text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      std::string error;
      if (!ParseLine(parser, kind, line, batch, error)) {
        if (!complete) return pos;  // may still be being written: retry next run
        ++report.rows_read;
        AddIssue(options, path.string() + ":" + std::to_string(line_no), error, report);
      } else {
        ++report.rows_read;
      }
    }
    pos = complete ? nl + 1 : text.size();
    ++line_no;
  }
  return pos;
}

int64_t MtimeNs(const fs::path& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Reads what is new in one file into `batch` and returns the file's new mark.
Result<JsonFileMark> ReadNewRows(const ExtractOptions& options, const fs::path& path, Kind kind,
                                 const JsonFileMark* mark, ingest::GorseJsonParser& parser,
                                 ingest::ImportBatch& batch, SourceReport& report) {
  std::string buffer;
  RECO_ASSIGN_OR_RETURN(std::string_view text,
                        ingest::ReadFilePadded(path, ingest::kJsonPadding, buffer));
  JsonFileMark next;
  next.size = static_cast<int64_t>(text.size());
  next.mtime_ns = MtimeNs(path);
  size_t start = 0;
  if (mark != nullptr && mark->offset <= next.size &&
      Sha256Hex(text.substr(0, mark->offset)) == mark->sha256) {
    start = static_cast<size_t>(mark->offset);
  }
  if (IsJsonArray(text)) {
    if (start == text.size()) {
      next.offset = start;
      next.sha256 = mark->sha256;
      return next;
    }
    // An array cannot be read from the middle: the whole file again.
    std::vector<ingest::ImportIssue> issues;
    const size_t before = batch.rows();
    ingest::SourceOptions source_options;
    source_options.default_timestamp = parser.options().default_timestamp;
    source_options.latest_timestamp = parser.options().latest_timestamp;
    RECO_RETURN_IF_ERROR(ingest::ReadJsonSource(path, source_options, batch, issues));
    report.rows_read += static_cast<int64_t>(batch.rows() - before + issues.size());
    for (const auto& issue : issues) {
      AddIssue(options, issue.path + ":" + std::to_string(issue.line), issue.reason, report);
    }
    next.offset = next.size;
  } else {
    next.offset =
        static_cast<int64_t>(ReadLines(options, path, kind, text, start, parser, batch, report));
  }
  next.sha256 = Sha256Hex(text.substr(0, next.offset));
  return next;
}

}  // namespace

Status ExtractJsonDir(const ExtractOptions& options, const RecoConfig& config, Store& store,
                      TimestampUs now, ExtractState& state, SourceReport& report) {
  const fs::path dir = config.sources.json_dir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return NotFound("JSON source directory " + dir.string() +
                    " does not exist (set by sources.json_dir / DATA_JSON_DIR)");
  }
  if (!fs::is_directory(dir, ec)) {
    return InvalidArgument("JSON source " + dir.string() +
                               " is not a directory (set by sources.json_dir / DATA_JSON_DIR)",
                           "sources.json_dir");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && KindOf(entry.path()) != Kind::kNone) files.push_back(entry);
  }
  if (ec) return Internal("cannot list " + dir.string() + ": " + ec.message());
  // Users and items before feedback, so that feedback finds the catalogue's rows.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return std::pair(KindOf(a), a.filename()) < std::pair(KindOf(b), b.filename());
  });
  const bool same_dir = !options.full_refresh && state.json_dir == dir.string();
  report.watermark_before = std::to_string(same_dir ? state.json_files.size() : 0) + " files";
  std::map<std::string, JsonFileMark> marks;
  // Rows without a time get now; rows dated after now + the allowed skew are rejected.
  ingest::GorseJsonParser parser(ingest::ParseOptions{
      now, ingest::LatestAcceptedTimestamp(now, config.database.max_future_skew_seconds)});
  ingest::ImportBatch batch;
  for (const fs::path& path : files) {
    const std::string name = path.filename().string();
    const JsonFileMark* mark = nullptr;
    if (same_dir) {
      auto it = state.json_files.find(name);
      if (it != state.json_files.end()) mark = &it->second;
    }
    std::error_code size_ec;
    const int64_t size = static_cast<int64_t>(fs::file_size(path, size_ec));
    if (mark != nullptr && !size_ec && mark->size == size && mark->offset == size &&
        mark->mtime_ns == MtimeNs(path)) {
      marks[name] = *mark;  // unchanged since the last run
      continue;
    }
    RECO_ASSIGN_OR_RETURN(marks[name],
                          ReadNewRows(options, path, KindOf(path), mark, parser, batch, report));
  }
  RowWriter writer(store, config, options, report);
  RECO_RETURN_IF_ERROR(writer.Write(batch));
  report.watermark_after = std::to_string(marks.size()) + " files";
  if (!options.dry_run) {
    state.json_dir = dir.string();
    state.json_files = std::move(marks);
  }
  return Status::Ok();
}

}  // namespace reco::pipeline
