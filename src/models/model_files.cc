#include "models/model_files.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace reco {
namespace {

bool ValidKind(std::string_view kind) {
  if (kind.empty()) return false;
  return std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Loads the newest valid file of model type M among `files` (newest first) into `slot`.
template <typename M>
void LoadNewestOfKind(const std::vector<ModelFile>& files, std::optional<M>& slot, ModelSet& set) {
  for (const ModelFile& file : files) {
    if (file.kind != M::kKind) continue;
    Result<M> model = M::Load(file.path);
    if (!model.ok()) {
      spdlog::warn("event=model_file_rejected file={} reason=\"{}\"", file.path.string(),
                   model.status().ToString());
      set.rejected.push_back(file.path.string() + ": " + model.status().ToString());
      continue;
    }
    set.files.push_back(file.path.string());
    if (set.snapshot_id.empty() || file.created > set.created) {
      set.snapshot_id = model->info().snapshot_id;
      set.created = file.created;
    }
    slot = std::move(model).value();
    return;
  }
}

// Loads `file` into `slot` when it is of M's kind; true when it was.
template <typename M>
Result<bool> LoadIfKind(const ModelFile& file, std::optional<M>& slot, ModelSet& set) {
  if (file.kind != M::kKind) return false;
  if (slot) {
    return InvalidArgument("two model files of kind " + file.kind + " in one version: " +
                               set.files.back() + " and " + file.path.string(),
                           "paths");
  }
  Result<M> model = M::Load(file.path);
  if (!model.ok()) return model.status().WithPrefix("model file " + file.path.string());
  set.files.push_back(file.path.string());
  if (set.snapshot_id.empty() || file.created > set.created) {
    set.snapshot_id = model->info().snapshot_id;
    set.created = file.created;
  }
  slot = std::move(model).value();
  return true;
}

}  // namespace

std::string ModelFileName(std::string_view kind, TimestampUs created) {
  TimestampUs frac = created % kMicrosPerSecond;
  if (frac < 0) frac += kMicrosPerSecond;
  std::string whole = FormatTimestamp(created - frac);  // "2024-01-02T03:04:05Z"
  std::string compact;
  for (char c : whole) {
    if (c != '-' && c != ':' && c != 'Z') compact.push_back(c);
  }
  char frac_text[8];
  std::snprintf(frac_text, sizeof(frac_text), "%06lld", static_cast<long long>(frac));
  return std::string(kind) + "-" + compact + frac_text + "Z" + std::string(kModelFileExtension);
}

std::optional<ModelFile> ParseModelFileName(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (name.size() <= kModelFileExtension.size() || !name.ends_with(kModelFileExtension)) {
    return std::nullopt;
  }
  std::string_view stem(name.data(), name.size() - kModelFileExtension.size());
  size_t dash = stem.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view kind = stem.substr(0, dash);
  std::string_view ts = stem.substr(dash + 1);  // yyyymmddTHHMMSSffffffZ
  if (!ValidKind(kind) || ts.size() != 22 || ts[8] != 'T' || ts[21] != 'Z' ||
      !AllDigits(ts.substr(0, 8)) || !AllDigits(ts.substr(9, 12))) {
    return std::nullopt;
  }
  std::string rfc = std::string(ts.substr(0, 4)) + "-" + std::string(ts.substr(4, 2)) + "-" +
                    std::string(ts.substr(6, 2)) + "T" + std::string(ts.substr(9, 2)) + ":" +
                    std::string(ts.substr(11, 2)) + ":" + std::string(ts.substr(13, 2)) + "." +
                    std::string(ts.substr(15, 6)) + "Z";
  Result<TimestampUs> created = ParseTimestamp(rfc);
  if (!created.ok()) return std::nullopt;
  return ModelFile{std::string(kind), *created, path};
}

Result<std::vector<ModelFile>> ListModelFiles(const std::filesystem::path& dir) {
  std::vector<ModelFile> files;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Internal("cannot list model directory " + dir.string() + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Internal("cannot list model directory " + dir.string() + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    if (std::optional<ModelFile> file = ParseModelFileName(it->path())) {
      files.push_back(std::move(*file));
    }
  }
  std::sort(files.begin(), files.end(), [](const ModelFile& a, const ModelFile& b) {
    if (a.created != b.created) return a.created > b.created;
    return a.path < b.path;
  });
  return files;
}

Result<ModelSet> LoadNewestModels(const std::filesystem::path& dir) {
  RECO_ASSIGN_OR_RETURN(std::vector<ModelFile> files, ListModelFiles(dir));
  ModelSet set;
  LoadNewestOfKind(files, set.popularity, set);
  LoadNewestOfKind(files, set.latest, set);
  LoadNewestOfKind(files, set.itemcf, set);
  // Lists are current when written by the newest full training run (the one that wrote the
  // newest popularity model); a partial refresh of item-CF alone does not make them stale.
  const TimestampUs newest_full_run = set.popularity ? set.popularity->info().created : 0;
  std::vector<ModelFile> current_recs;
  for (const ModelFile& file : files) {
    if (file.kind == UserRecsModel::kKind && file.created >= newest_full_run) {
      current_recs.push_back(file);
    }
  }
  LoadNewestOfKind(current_recs, set.recs, set);
  return set;
}

Result<ModelSet> LoadModelFiles(const std::vector<std::filesystem::path>& paths) {
  ModelSet set;
  for (const std::filesystem::path& path : paths) {
    std::optional<ModelFile> file = ParseModelFileName(path);
    if (!file) {
      return InvalidArgument(
          "not a model file name (<kind>-<yyyymmddTHHMMSSffffffZ>.rmdl): " + path.string(),
          "paths");
    }
    RECO_ASSIGN_OR_RETURN(bool popularity, LoadIfKind(*file, set.popularity, set));
    RECO_ASSIGN_OR_RETURN(bool latest, LoadIfKind(*file, set.latest, set));
    RECO_ASSIGN_OR_RETURN(bool itemcf, LoadIfKind(*file, set.itemcf, set));
    RECO_ASSIGN_OR_RETURN(bool recs, LoadIfKind(*file, set.recs, set));
    const bool loaded = popularity || latest || itemcf || recs;
    if (!loaded)
      spdlog::debug("model file {} is of a kind the server does not load", path.string());
  }
  if (!set.popularity && !set.latest && !set.itemcf) {
    return FailedPrecondition(
        "none of the model version's files is a popularity, latest or itemcf "
        "model");
  }
  return set;
}

Result<std::vector<std::filesystem::path>> ApplyRetention(const std::filesystem::path& dir,
                                                          size_t keep) {
  RECO_ASSIGN_OR_RETURN(std::vector<ModelFile> files, ListModelFiles(dir));
  std::map<std::string, size_t> seen;
  std::vector<std::filesystem::path> removed;
  for (const ModelFile& file : files) {
    if (++seen[file.kind] <= keep) continue;
    std::error_code ec;
    if (!std::filesystem::remove(file.path, ec) && ec) {
      return Internal("cannot remove old model file " + file.path.string() + ": " + ec.message());
    }
    removed.push_back(file.path);
  }
  return removed;
}

}  // namespace reco
