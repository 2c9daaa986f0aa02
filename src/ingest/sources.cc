#include "ingest/sources.h"

#include <fstream>

#include "ingest/text_util.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

bool IsMovieLensName(const std::string& name) {
  return name == "u.data" || name == "u.item" || name == "u.user" || name == "ratings.dat" ||
         name == "movies.dat" || name == "users.dat" || name == "ratings.csv" ||
         name == "movies.csv";
}

bool IsJsonName(const fs::path& path) {
  std::string ext = path.extension().string();
  return ext == ".json" || ext == ".jsonl";
}

// True when the first non-blank line is integers separated by spaces ("user item item ...").
bool LooksLikeLightGcn(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view s = Trim(line);
    if (s.empty()) continue;
    bool has_space = false;
    for (char c : s) {
      if (c == ' ') {
        has_space = true;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return has_space;
  }
  return false;
}

}  // namespace

Result<ImportFormat> ParseImportFormat(std::string_view name) {
  if (name == "auto") return ImportFormat::kAuto;
  if (name == "json") return ImportFormat::kJson;
  if (name == "csv") return ImportFormat::kCsv;
  if (name == "movielens") return ImportFormat::kMovieLens;
  if (name == "lightgcn") return ImportFormat::kLightGcn;
  return InvalidArgument("unknown format \"" + std::string(name) +
                             "\" (accepted: auto, json, csv, movielens, lightgcn)",
                         "--format");
}

std::string_view ImportFormatName(ImportFormat format) {
  switch (format) {
    case ImportFormat::kAuto:
      return "auto";
    case ImportFormat::kJson:
      return "json";
    case ImportFormat::kCsv:
      return "csv";
    case ImportFormat::kMovieLens:
      return "movielens";
    case ImportFormat::kLightGcn:
      return "lightgcn";
  }
  return "unknown";
}

std::string ImportIssue::ToString() const {
  return path + ":" + std::to_string(line) + ": " + reason;
}

Result<ImportFormat> DetectFormat(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path.string() + ": no such file or directory");
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / kDemoMarkerFile, ec)) return ImportFormat::kJson;
    for (const char* name : {"u.data", "ratings.dat", "ratings.csv"}) {
      if (fs::exists(path / name, ec)) return ImportFormat::kMovieLens;
    }
    if (fs::exists(path / "train.txt", ec)) return ImportFormat::kLightGcn;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && IsJsonName(entry.path())) return ImportFormat::kJson;
    }
    return InvalidArgument("cannot detect the format of directory " + path.string() +
                           " (no reco-demo.json, *.json[l], MovieLens or train.txt files); "
                           "pass --format");
  }
  const std::string name = path.filename().string();
  if (IsJsonName(path)) return ImportFormat::kJson;
  if (IsMovieLensName(name)) return ImportFormat::kMovieLens;
  if (name == "train.txt" || LooksLikeLightGcn(path)) return ImportFormat::kLightGcn;
  if (path.extension() == ".csv") {
    return InvalidArgument("cannot detect what " + path.string() +
                           " holds; use --format csv with --csv-kind and --csv-columns");
  }
  return InvalidArgument("cannot detect the format of " + path.string() + "; pass --format");
}

Status ReadSource(const fs::path& path, ImportFormat format, const SourceOptions& options,
                  ImportBatch& batch, std::vector<ImportIssue>& issues) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path.string() + ": no such file or directory");
  switch (format) {
    case ImportFormat::kJson:
      return ReadJsonSource(path, options, batch, issues);
    case ImportFormat::kCsv:
      if (fs::is_directory(path, ec)) {
        return InvalidArgument(path.string() + " is a directory; --format csv takes files");
      }
      return ReadCsvSource(path, options, batch, issues);
    case ImportFormat::kMovieLens:
      return ReadMovieLensSource(path, options, batch, issues);
    case ImportFormat::kLightGcn:
      return ReadLightGcnSource(path, options, batch, issues);
    case ImportFormat::kAuto:
      break;
  }
  RECO_ASSIGN_OR_RETURN(ImportFormat detected, DetectFormat(path));
  return ReadSource(path, detected, options, batch, issues);
}

}  // namespace reco::ingest
