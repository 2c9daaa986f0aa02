// ExtractState: the watermarks of the extract task, kept in <data>/_metadata/extract_state.json.
// One entry per source: the store's last feedback sequence; for the JSON dir, per file name the
// size, modification time, sha256 and byte offset of what was imported; for Matomo the last
// idlink_va. Each entry also records when it was last advanced.
//
// Thread-safety: plain values and free functions; the caller serialises runs over one data dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "core/status.h"
#include "core/time.h"

namespace reco::pipeline {

// What was imported of one JSON file: bytes [0, offset) whose sha256 is `sha256`, read when the
// file had `size` bytes and modification time `mtime_ns`.
struct JsonFileMark {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t offset = 0;
  std::string sha256;  // of bytes [0, offset)
};

struct ExtractState {
  int64_t store_seq = 0;
  TimestampUs store_updated = 0;
  std::string json_dir;  // the directory the file marks are about; another dir starts afresh
  std::map<std::string, JsonFileMark> json_files;  // by file name
  TimestampUs json_updated = 0;
  int64_t matomo_idlink_va = 0;
  TimestampUs matomo_updated = 0;
};

// A missing file is an empty state (first run). A file that is not the expected JSON is
// DataLoss naming the path and the problem, with the hint to run with --full-refresh.
Result<ExtractState> LoadExtractState(const std::filesystem::path& path);
std::string ExtractStateJson(const ExtractState& state);
// Atomic replacement (WriteFileAtomic); creates the parent directory.
Status SaveExtractState(const std::filesystem::path& path, const ExtractState& state);

}  // namespace reco::pipeline
