// The exposure log's line format read back (serving/exposure_log.h writes it; the exposures are
// durable data beside the store's, kept in files):
//   {"ts":"2026-11-01T10:00:00.5Z","request_id":"…","user_id":"u1","scenario":"recommend",
//    "model_version":"…","variant":"primary","experiments":{"exp1":"treatment"},
//    "items":["i1","i2"]}
// "experiments" is present only when the user was in A/B experiments. One parser for every
// reader (the experiments' results, the analytics), and the list of the log's files, live and
// rotated.
//
// Thread-safety: pure functions (ForEachExposureLine reads files).
// Lifetime: nothing is kept between calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco {

// An A/B experiment the user was in, and the variant of it that was served.
struct ExposureExperiment {
  std::string id;
  std::string variant;
  bool operator==(const ExposureExperiment&) const = default;
};

// One line of the exposure log: one recommendation list served.
struct ExposureLine {
  TimestampUs ts = 0;
  std::string request_id;
  std::string user_id;
  std::string scenario;
  std::string model_version;
  std::string variant;  // "primary", "canary" or "shadow"
  std::vector<ExposureExperiment> experiments;
  std::vector<std::string> items;  // in the order served
};

// Parses one line. "ts" (RFC 3339 text), "user_id" (non-empty) and "items" (strings) are
// required; the other fields may be absent (""). InvalidArgument naming the field otherwise.
Result<ExposureLine> ParseExposureLine(std::string_view line);

// The live log and its rotated siblings (`live`.1 .. `live`.N, .N the oldest), oldest first;
// only files that exist.
std::vector<std::filesystem::path> ExposureLogFiles(const std::filesystem::path& live);

// Calls `fn` with every non-empty line of `files` (without its newline), in file order, one
// line in memory at a time. `fn` returns false to stop reading (the rest of the files too).
// With `from`, lines are taken to be in time order within a file: each file is read from a
// line found by bisection (a few reads of a line each) at most 64 KiB before its first line at
// or after `from`, so that the lines before are not read. A file rotated away since the listing
// is skipped; Internal naming the file when one cannot be read.
Status ForEachExposureLine(const std::vector<std::filesystem::path>& files,
                           const std::function<bool(std::string_view line)>& fn,
                           TimestampUs from = kMinTimestamp);

}  // namespace reco
