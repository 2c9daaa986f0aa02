// Gorse JSON files: users*.json[l], items*.json[l], feedback*.json[l]; each is JSON lines (one
// object per line) or one JSON array of objects.
#include <algorithm>

#include "ingest/gorse_json.h"
#include "ingest/sources.h"
#include "ingest/text_util.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

enum class JsonKind { kNone, kUsers, kItems, kFeedback };

JsonKind KindFromName(const fs::path& path) {
  std::string name = path.filename().string();
  std::string ext = path.extension().string();
  if (ext != ".json" && ext != ".jsonl") return JsonKind::kNone;
  if (name.starts_with("users")) return JsonKind::kUsers;
  if (name.starts_with("items")) return JsonKind::kItems;
  if (name.starts_with("feedback")) return JsonKind::kFeedback;
  return JsonKind::kNone;
}

std::vector<User>& Rows(ImportBatch& b, User*) { return b.users; }
std::vector<Item>& Rows(ImportBatch& b, Item*) { return b.items; }
std::vector<Feedback>& Rows(ImportBatch& b, Feedback*) { return b.feedback; }

// Counts line breaks incrementally so that element offsets map to line numbers in O(n) total.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  int64_t LineAt(size_t offset) {
    offset = std::min(offset, text_.size());
    for (; pos_ < offset; ++pos_) line_ += text_[pos_] == '\n';
    return line_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

template <typename T>
void ReadJsonLines(std::string_view text, const std::string& path, GorseJsonParser& parser,
                   ImportBatch& batch, std::vector<ImportIssue>& issues) {
  auto& rows = Rows(batch, static_cast<T*>(nullptr));
  rows.reserve(rows.size() + std::count(text.begin(), text.end(), '\n') + 1);
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (Trim(line).empty()) continue;
    Result<T> parsed = parser.ParseObjectPadded<T>(line);
    if (parsed.ok()) {
      rows.push_back(std::move(parsed).value());
    } else {
      issues.push_back({path, lines.line_number(), parsed.status().message()});
    }
  }
}

template <typename T>
void ReadJsonArray(std::string_view text, const std::string& path, GorseJsonParser& parser,
                   ImportBatch& batch, std::vector<ImportIssue>& issues) {
  auto& rows = Rows(batch, static_cast<T*>(nullptr));
  LineCounter counter(text);
  int64_t last_line = 1;
  Status walked =
      parser.ForEachInArrayPadded<T>(text, [&](size_t, size_t offset, Result<T>&& parsed) {
        last_line = counter.LineAt(offset);
        if (parsed.ok()) {
          rows.push_back(std::move(parsed).value());
        } else {
          issues.push_back({path, last_line, parsed.status().message()});
        }
      });
  if (!walked.ok()) issues.push_back({path, last_line, walked.message()});
}

template <typename T>
void ReadJsonText(std::string_view text, const std::string& path, GorseJsonParser& parser,
                  ImportBatch& batch, std::vector<ImportIssue>& issues) {
  std::string_view body = text;
  while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\t' ||
                           body.front() == '\r')) {
    body.remove_prefix(1);
  }
  if (!body.empty() && body.front() == '[') {
    ReadJsonArray<T>(text, path, parser, batch, issues);
  } else {
    ReadJsonLines<T>(text, path, parser, batch, issues);
  }
}

Status ReadJsonFile(const fs::path& path, JsonKind kind, GorseJsonParser& parser,
                    ImportBatch& batch, std::vector<ImportIssue>& issues) {
  std::string buffer;
  RECO_ASSIGN_OR_RETURN(std::string_view text, ReadFilePadded(path, kJsonPadding, buffer));
  const std::string name = path.string();
  switch (kind) {
    case JsonKind::kUsers:
      ReadJsonText<User>(text, name, parser, batch, issues);
      break;
    case JsonKind::kItems:
      ReadJsonText<Item>(text, name, parser, batch, issues);
      break;
    case JsonKind::kFeedback:
      ReadJsonText<Feedback>(text, name, parser, batch, issues);
      break;
    case JsonKind::kNone:
      break;
  }
  return Status::Ok();
}

}  // namespace

Status ReadJsonSource(const fs::path& path, const SourceOptions& options, ImportBatch& batch,
                      std::vector<ImportIssue>& issues) {
  GorseJsonParser parser(ParseOptions{options.default_timestamp, options.latest_timestamp});
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && KindFromName(entry.path()) != JsonKind::kNone) {
        files.push_back(entry.path());
      }
    }
    if (ec) return Internal("cannot list " + path.string() + ": " + ec.message());
    if (files.empty()) {
      return InvalidArgument("no users*.json[l], items*.json[l] or feedback*.json[l] files in " +
                             path.string());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      RECO_RETURN_IF_ERROR(ReadJsonFile(file, KindFromName(file), parser, batch, issues));
    }
    return Status::Ok();
  }
  JsonKind kind = KindFromName(path);
  if (kind == JsonKind::kNone) {
    return InvalidArgument("cannot tell what " + path.string() +
                           " holds: name it users*.json[l], items*.json[l] or feedback*.json[l]");
  }
  return ReadJsonFile(path, kind, parser, batch, issues);
}

}  // namespace reco::ingest
