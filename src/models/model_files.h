// Model files in a models directory: naming (<kind>-<yyyymmddTHHMMSSffffffZ>.rmdl, the creation
// time in UTC), discovery of the newest valid file per kind, and retention of old files.
//
// Thread-safety: functions are thread-safe; they only read the directory, except ApplyRetention,
// which must not race with a writer of the same directory. A ModelSet is a movable value.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/popularity.h"

namespace reco {

constexpr std::string_view kModelFileExtension = ".rmdl";

// "itemcf-20240102T030405000006Z.rmdl".
std::string ModelFileName(std::string_view kind, TimestampUs created);

struct ModelFile {
  std::string kind;
  TimestampUs created = 0;
  std::filesystem::path path;
};

// Parses a file name made by ModelFileName; nullopt for any other name.
std::optional<ModelFile> ParseModelFileName(const std::filesystem::path& path);

// Model files of `dir` (other names ignored), newest first; empty when `dir` does not exist.
Result<std::vector<ModelFile>> ListModelFiles(const std::filesystem::path& dir);

struct ModelSet {
  std::optional<PopularityModel> popularity;
  std::optional<LatestModel> latest;
  std::optional<ItemCfModel> itemcf;
  // Of the newest loaded file ("" / 0 when nothing loaded). Each model's info() has its own.
  std::string snapshot_id;
  TimestampUs created = 0;
  std::vector<std::string> files;     // paths of the loaded files
  std::vector<std::string> rejected;  // "<path>: <reason>" of newer files that failed to load
};

// For each kind, the newest file that reads, verifies and decodes; newer files that fail are
// skipped (spdlog::warn) and listed in `rejected`. A missing directory gives an empty set.
Result<ModelSet> LoadNewestModels(const std::filesystem::path& dir);

// Keeps the newest `keep` files of each kind in `dir` and deletes the older ones. Returns the
// removed paths.
Result<std::vector<std::filesystem::path>> ApplyRetention(const std::filesystem::path& dir,
                                                          size_t keep = 3);

}  // namespace reco
