// Text helpers for the import sources: whole-file reads with JSON padding, line iteration,
// number parsing without allocation, separator splitting, RFC 4180 CSV records, Latin-1 repair.
//
// Thread-safety: free functions are thread-safe; LineReader and CsvReader are single-threaded
// views over a buffer that must outlive them.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco::ingest {

// Reads the whole file into `out`, followed by `padding` spaces that are not part of the returned
// view (so JSON parsers may read past the end). NotFound / Internal naming the path.
Result<std::string_view> ReadFilePadded(const std::filesystem::path& path, size_t padding,
                                        std::string& out);

// Lines of a buffer without their "\n" / "\r\n"; numbers start at 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool Next(std::string_view& line);
  int64_t line_number() const { return line_number_; }
  size_t offset() const { return pos_; }  // of the next line

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_number_ = 0;
};

bool ParseInt64(std::string_view s, int64_t& out);
bool ParseDouble(std::string_view s, double& out);
std::string_view Trim(std::string_view s);

// Splits `s` on every occurrence of `sep` (not empty) into `out` (cleared first).
void Split(std::string_view s, std::string_view sep, std::vector<std::string_view>& out);

// A timestamp cell: Unix seconds (integer or decimal) or RFC 3339; "" gives `fallback`. Errors
// (InvalidArgument, the message starting with "timestamp") for text that is neither, a time
// outside years 0000..9999, and a time after `latest` (see ingest/time_limits.h).
Result<TimestampUs> ParseTimestampCell(std::string_view s, TimestampUs fallback,
                                       TimestampUs latest = kMaxTimestamp);

// Returns `s` unchanged when it is valid UTF-8, else reads it as Latin-1 (older MovieLens files).
std::string ToUtf8(std::string_view s);

// RFC 4180 records: quoted fields may hold separators, doubled quotes and line breaks.
class CsvReader {
 public:
  CsvReader(std::string_view text, char separator) : text_(text), separator_(separator) {}
  // Reads the next non-empty record; `fields` point into the text or into the reader's scratch
  // storage and stay valid until the next call. False at the end of the text.
  bool Next(std::vector<std::string_view>& fields);
  // Line where the last record started (1-based).
  int64_t line_number() const { return record_line_; }
  // Why the last record is malformed (e.g. an unterminated quote); empty when it is fine.
  const std::string& error() const { return error_; }

 private:
  std::string_view text_;
  char separator_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  std::string error_;
  std::deque<std::string> scratch_;
};

}  // namespace reco::ingest
