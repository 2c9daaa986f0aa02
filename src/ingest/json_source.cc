// Gorse JSON files: users*.json[l], items*.json[l], feedback*.json[l]; each is JSON lines (one
// object per line) or one JSON array of objects.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

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

// `text` holds whole lines, the first of which is line `first_line` of the file. Returns false
// when the batch's spill asked to stop.
template <typename T>
bool ReadJsonLines(std::string_view text, const std::string& path, GorseJsonParser& parser,
                   ImportBatch& batch, std::vector<ImportIssue>& issues, int64_t first_line = 1) {
  auto& rows = Rows(batch, static_cast<T*>(nullptr));
  if (!batch.spill) rows.reserve(rows.size() + std::count(text.begin(), text.end(), '\n') + 1);
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (Trim(line).empty()) continue;
    Result<T> parsed = parser.ParseObjectPadded<T>(line);
    if (parsed.ok()) {
      rows.push_back(std::move(parsed).value());
      if (!batch.Spill()) return false;
    } else {
      issues.push_back({path, first_line - 1 + lines.line_number(), parsed.status().message()});
    }
  }
  return true;
}

// JSON lines read block by block when the batch is streamed: memory holds one block of the
// file, whatever its size. Blocks end at a line break; a line longer than a block grows it.
template <typename T>
Status ReadJsonLinesBlocks(const fs::path& path, size_t block, GorseJsonParser& parser,
                           ImportBatch& batch, std::vector<ImportIssue>& issues) {
  const size_t kBlock = std::max<size_t>(1, block);
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
  const std::string name = path.string();
  std::string buffer(kBlock + kJsonPadding, ' ');
  size_t filled = 0;  // bytes of the file in buffer (a partial line carried over, then a block)
  int64_t line = 1;   // the file's line number of buffer[0]
  for (bool eof = false; !eof;) {
    if (buffer.size() < filled + kBlock + kJsonPadding) buffer.resize(filled + kBlock + kJsonPadding);
    size_t got = std::fread(buffer.data() + filled, 1, kBlock, f.get());
    if (got < kBlock) {
      if (std::ferror(f.get())) return Internal("cannot read " + name);
      eof = true;
    }
    filled += got;
    std::string_view data(buffer.data(), filled);
    size_t end = eof ? filled : data.rfind('\n');
    if (end == std::string_view::npos) continue;  // no line break yet: read more
    if (!eof) ++end;                              // the block ends after the line break
    // The parser may read kJsonPadding bytes past a line: they are the next lines or spaces.
    std::fill(buffer.begin() + filled, buffer.begin() + filled + kJsonPadding, ' ');
    std::string_view lines(buffer.data(), end);
    if (!ReadJsonLines<T>(lines, name, parser, batch, issues, line)) return Status::Ok();
    line += std::count(lines.begin(), lines.end(), '\n');
    std::memmove(buffer.data(), buffer.data() + end, filled - end);
    filled -= end;
  }
  return Status::Ok();
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
          batch.Spill();  // an array is read whole: the rest of it is parsed anyway
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

// True when the file's first non-blank byte is not '[' (JSON lines, not one array).
bool IsJsonLinesFile(const fs::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return false;
  for (int c; (c = std::fgetc(f.get())) != EOF;) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return c != '[';
  }
  return false;
}

Status ReadJsonFile(const fs::path& path, JsonKind kind, size_t block, GorseJsonParser& parser,
                    ImportBatch& batch, std::vector<ImportIssue>& issues) {
  if (batch.spill && IsJsonLinesFile(path)) {
    switch (kind) {
      case JsonKind::kUsers:
        return ReadJsonLinesBlocks<User>(path, block, parser, batch, issues);
      case JsonKind::kItems:
        return ReadJsonLinesBlocks<Item>(path, block, parser, batch, issues);
      case JsonKind::kFeedback:
        return ReadJsonLinesBlocks<Feedback>(path, block, parser, batch, issues);
      case JsonKind::kNone:
        return Status::Ok();
    }
  }
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
      RECO_RETURN_IF_ERROR(ReadJsonFile(file, KindFromName(file), options.read_block_bytes, parser,
                                       batch, issues));
    }
    return Status::Ok();
  }
  JsonKind kind = KindFromName(path);
  if (kind == JsonKind::kNone) {
    return InvalidArgument("cannot tell what " + path.string() +
                           " holds: name it users*.json[l], items*.json[l] or feedback*.json[l]");
  }
  return ReadJsonFile(path, kind, options.read_block_bytes, parser, batch, issues);
}

}  // namespace reco::ingest
