#include "ingest/text_util.h"

#include <simdjson.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "ingest/time_limits.h"

namespace reco::ingest {

Result<std::string_view> ReadFilePadded(const std::filesystem::path& path, size_t padding,
                                        std::string& out) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Internal("cannot read " + path.string() + ": " + ec.message());
  out.resize(static_cast<size_t>(size) + padding);
  size_t got = std::fread(out.data(), 1, static_cast<size_t>(size), f.get());
  if (got != size) return Internal("cannot read " + path.string() + ": short read");
  std::memset(out.data() + size, ' ', padding);
  return std::string_view(out.data(), static_cast<size_t>(size));
}

bool LineReader::Next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end + 1;
  ++line_number_;
  return true;
}

bool ParseInt64(std::string_view s, int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty() && std::isfinite(out);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void Split(std::string_view s, std::string_view sep, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return;
    }
    out.push_back(s.substr(start, end - start));
    start = end + sep.size();
  }
}

Result<TimestampUs> ParseTimestampCell(std::string_view s, TimestampUs fallback,
                                       TimestampUs latest) {
  s = Trim(s);
  if (s.empty()) return fallback;
  int64_t seconds = 0;
  double fractional = 0;
  Result<TimestampUs> ts = fallback;
  if (ParseInt64(s, seconds)) {
    ts = TimestampFromSeconds(seconds);
  } else if (ParseDouble(s, fractional)) {
    ts = TimestampFromSeconds(fractional);
  } else {
    ts = ParseTimestamp(s);  // its errors name the text: "cannot parse timestamp ..."
    if (!ts.ok()) return ts.status();
  }
  if (!ts.ok()) {
    return InvalidArgument("timestamp " + std::string(s.substr(0, 32)) + " " +
                           ts.status().message());
  }
  std::string late = FutureTimestampProblem(*ts, latest);
  if (!late.empty()) return InvalidArgument("timestamp " + late);
  return ts;
}

std::string ToUtf8(std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool CsvReader::Next(std::vector<std::string_view>& fields) {
  fields.clear();
  scratch_.clear();
  error_.clear();
  // Skip blank lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  record_line_ = line_;
  while (true) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      // Quoted field: runs to the closing quote; "" is one quote.
      size_t start = ++pos_;
      std::string* unescaped = nullptr;
      while (true) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) {
          error_ = "unterminated quoted field";
          for (size_t i = pos_; i < text_.size(); ++i) line_ += text_[i] == '\n';
          pos_ = text_.size();
          return true;
        }
        for (size_t i = pos_; i < q; ++i) line_ += text_[i] == '\n';
        if (q + 1 < text_.size() && text_[q + 1] == '"') {
          if (unescaped == nullptr) unescaped = &scratch_.emplace_back();
          unescaped->append(text_.substr(start, q + 1 - start));
          pos_ = start = q + 2;
          continue;
        }
        if (unescaped != nullptr) {
          unescaped->append(text_.substr(start, q - start));
          fields.emplace_back(*unescaped);
        } else {
          fields.push_back(text_.substr(start, q - start));
        }
        pos_ = q + 1;
        break;
      }
      // Anything between the closing quote and the separator is kept out of the field.
      while (pos_ < text_.size() && text_[pos_] != separator_ && text_[pos_] != '\n') ++pos_;
    } else {
      size_t end = pos_;
      while (end < text_.size() && text_[end] != separator_ && text_[end] != '\n') ++end;
      std::string_view field = text_.substr(pos_, end - pos_);
      if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
      fields.push_back(field);
      pos_ = end;
    }
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
      return true;
    }
    ++pos_;  // separator
  }
}

}  // namespace reco::ingest
