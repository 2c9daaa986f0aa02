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
#include "models/user_recs.h"

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
  // Per-user lists; only loaded when written by the newest full training run (see below).
  std::optional<UserRecsModel> recs;
  // Of the newest loaded file ("" / 0 when nothing loaded). Each model's info() has its own.
  std::string snapshot_id;
  TimestampUs created = 0;
  std::vector<std::string> files;     // paths of the loaded files
  std::vector<std::string> rejected;  // "<path>: <reason>" of newer files that failed to load
  // Registry run id of the version these files belong to; "" when loaded as the newest files.
  std::string run_id;
};

// For each kind, the newest file that reads, verifies and decodes; newer files that fail are
// skipped (spdlog::warn) and listed in `rejected`. A "recs" file older than the newest popularity
// model is stale (a later full training run had no tuned algorithm) and is not loaded. A missing
// directory gives an empty set.
Result<ModelSet> LoadNewestModels(const std::filesystem::path& dir);

// Loads exactly `paths` (one model version's files, named by ModelFileName): each file fills the
// slot of its kind. Files of kinds the server does not load (other algorithms' artifacts) are
// skipped. InvalidArgument for a name that is not a model file name or two files of one kind;
// the load error (NotFound, DataLoss, ...) prefixed with the path for a file that does not
// load; FailedPrecondition when no file is of a served kind.
Result<ModelSet> LoadModelFiles(const std::vector<std::filesystem::path>& paths);

// Keeps the newest `keep` files of each kind in `dir` and deletes the older ones. Returns the
// removed paths.
Result<std::vector<std::filesystem::path>> ApplyRetention(const std::filesystem::path& dir,
                                                          size_t keep = 3);

}  // namespace reco
