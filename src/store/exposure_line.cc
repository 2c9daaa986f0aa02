#include "store/exposure_line.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <optional>

namespace reco {
namespace fs = std::filesystem;

namespace {

Status OptionalString(simdjson::dom::object& o, const char* key, std::string& out) {
  simdjson::dom::element value;
  if (o[key].get(value) != simdjson::SUCCESS || value.is_null()) return Status::Ok();
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return InvalidArgument(std::string("field '") + key + "' is not a string", key);
  }
  out = std::string(text);
  return Status::Ok();
}

// The time of the first valid line at or after the current position of `in`; nullopt at the end.
std::optional<TimestampUs> NextLineTime(std::ifstream& in, std::string& line) {
  while (std::getline(in, line)) {
    Result<ExposureLine> e = ParseExposureLine(line);
    if (e.ok()) return e->ts;
  }
  return std::nullopt;
}

// The offset of a line start at most kSpan before the first line of `in` at or after `from`
// (0 when unsure). `in` is left in any state.
uint64_t BisectStart(std::ifstream& in, uint64_t size, TimestampUs from) {
  constexpr uint64_t kSpan = 64 << 10;
  uint64_t lo = 0, hi = size;  // a line start before the first line >= from; a bound after it
  std::string line;
  while (hi - lo > kSpan) {
    const uint64_t mid = lo + (hi - lo) / 2;
    in.clear();
    in.seekg(static_cast<std::streamoff>(mid));
    std::getline(in, line);  // the rest of the line `mid` falls in
    const auto start = static_cast<int64_t>(in.tellg());
    std::optional<TimestampUs> ts = start < 0 ? std::nullopt : NextLineTime(in, line);
    if (ts.has_value() && *ts < from) {
      lo = static_cast<uint64_t>(start);
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

Result<ExposureLine> ParseExposureLine(std::string_view line) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(line);
  simdjson::dom::object o;
  if (parser.parse(padded).get_object().get(o) != simdjson::SUCCESS) {
    return InvalidArgument("not a JSON object");
  }
  ExposureLine e;
  std::string_view text;
  if (o["ts"].get_string().get(text) != simdjson::SUCCESS) {
    return InvalidArgument("field 'ts' is missing", "ts");
  }
  Result<TimestampUs> ts = ParseTimestamp(text);
  if (!ts.ok()) return InvalidArgument("field 'ts' is not a timestamp", "ts");
  e.ts = *ts;
  if (o["user_id"].get_string().get(text) != simdjson::SUCCESS || text.empty()) {
    return InvalidArgument("field 'user_id' is missing", "user_id");
  }
  e.user_id = std::string(text);
  RECO_RETURN_IF_ERROR(OptionalString(o, "request_id", e.request_id));
  RECO_RETURN_IF_ERROR(OptionalString(o, "scenario", e.scenario));
  RECO_RETURN_IF_ERROR(OptionalString(o, "model_version", e.model_version));
  RECO_RETURN_IF_ERROR(OptionalString(o, "variant", e.variant));
  simdjson::dom::element experiments;
  if (o["experiments"].get(experiments) == simdjson::SUCCESS && !experiments.is_null()) {
    simdjson::dom::object by_id;
    if (experiments.get_object().get(by_id) != simdjson::SUCCESS) {
      return InvalidArgument("field 'experiments' is not an object", "experiments");
    }
    for (auto field : by_id) {
      if (field.value.get_string().get(text) != simdjson::SUCCESS) {
        return InvalidArgument("field 'experiments' holds a non-string variant", "experiments");
      }
      e.experiments.push_back({std::string(field.key), std::string(text)});
    }
  }
  simdjson::dom::array items;
  if (o["items"].get_array().get(items) != simdjson::SUCCESS) {
    return InvalidArgument("field 'items' is missing", "items");
  }
  for (simdjson::dom::element item : items) {
    if (item.get_string().get(text) != simdjson::SUCCESS) {
      return InvalidArgument("field 'items' holds a non-string", "items");
    }
    e.items.emplace_back(text);
  }
  return e;
}

std::vector<fs::path> ExposureLogFiles(const fs::path& live) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (int i = 1;; ++i) {
    fs::path rotated = live;
    rotated += "." + std::to_string(i);
    if (!fs::exists(rotated, ec)) break;
    files.push_back(rotated);
  }
  std::reverse(files.begin(), files.end());
  if (fs::exists(live, ec)) files.push_back(live);
  return files;
}

Status ForEachExposureLine(const std::vector<fs::path>& files,
                           const std::function<bool(std::string_view line)>& fn, TimestampUs from) {
  std::string line;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      // Rotated away (or removed past keep_rotated) since the listing: nothing to read.
      std::error_code ec;
      if (!fs::exists(file, ec)) continue;
      return Internal("cannot read the exposure log " + file.string());
    }
    if (from > kMinTimestamp) {
      std::error_code ec;
      const uint64_t size = fs::file_size(file, ec);
      const uint64_t start = ec ? 0 : BisectStart(in, size, from);
      in.clear();
      in.seekg(static_cast<std::streamoff>(start));
    }
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (!fn(line)) return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace reco
