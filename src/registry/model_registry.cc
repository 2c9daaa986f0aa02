#include "registry/model_registry.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "registry/json_fields.h"

namespace reco::registry {
namespace {

// Artifact paths come from a file an operator can edit, and retention deletes them: they must
// stay inside the data dir.
bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  for (const auto& part : std::filesystem::path(path)) {
    if (part == "..") return false;
  }
  return true;
}

void SortAliases(std::vector<std::string>& aliases) {
  auto rank = [](const std::string& a) {
    return std::find(kAliases.begin(), kAliases.end(), a) - kAliases.begin();
  };
  std::sort(aliases.begin(), aliases.end(),
            [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
}

void RemoveAlias(ModelVersion& v, std::string_view alias) {
  std::erase(v.aliases, std::string(alias));
}

ModelVersion* FindMutable(RegistryContents& c, std::string_view run_id) {
  for (ModelVersion& v : c.versions) {
    if (v.run_id == run_id) return &v;
  }
  return nullptr;
}

Status NotRegistered(std::string_view run_id) {
  return NotFound("run " + std::string(run_id) +
                  " is not a registered model version (never registered, or removed by "
                  "retention); see `reco models list`");
}

Result<ModelVersion> VersionFromJson(simdjson::dom::element e, std::string_view name,
                                     size_t index) {
  std::string where = "versions[" + std::to_string(index) + "].";
  simdjson::dom::object object;
  if (e.get_object().get(object)) {
    return DataLoss(std::string(name) + ": " + where + " is not an object");
  }
  internal::FieldReader f(object, name, where);
  ModelVersion v;
  RECO_RETURN_IF_ERROR(f.String("run_id", v.run_id, /*required=*/true));
  if (!ValidateRunId(v.run_id).ok()) return f.Error("run_id", "is not a valid run id");
  RECO_RETURN_IF_ERROR(f.Timestamp("created", v.created, /*required=*/true));
  RECO_RETURN_IF_ERROR(f.StringList("aliases", v.aliases));
  for (const std::string& a : v.aliases) {
    if (!ValidateAlias(a).ok()) return f.Error("aliases", "has an unknown alias '" + a + "'");
  }
  RECO_RETURN_IF_ERROR(f.DoubleMap("metrics", v.metrics));
  RECO_RETURN_IF_ERROR(f.Artifacts("artifacts", v.artifacts));
  for (const RunArtifact& a : v.artifacts) {
    if (!SafeRelativePath(a.path)) {
      return f.Error("artifacts", "has a path outside the data dir: '" + a.path + "'");
    }
  }
  RECO_RETURN_IF_ERROR(f.String("snapshot_id", v.snapshot_id));
  RECO_RETURN_IF_ERROR(f.String("algorithm", v.algorithm));
  RECO_RETURN_IF_ERROR(f.String("code_version", v.code_version));
  RECO_RETURN_IF_ERROR(f.Timestamp("registered", v.registered));
  return v;
}

}  // namespace

Status ValidateAlias(std::string_view alias, std::string_view field) {
  for (std::string_view a : kAliases) {
    if (a == alias) return Status::Ok();
  }
  return InvalidArgument(
      "unknown alias '" + std::string(alias) + "': use production, shadow, canary or previous",
      std::string(field));
}

bool ModelVersion::HasAlias(std::string_view alias) const {
  return std::find(aliases.begin(), aliases.end(), alias) != aliases.end();
}

const ModelVersion* RegistryContents::Find(std::string_view run_id) const {
  for (const ModelVersion& v : versions) {
    if (v.run_id == run_id) return &v;
  }
  return nullptr;
}

const ModelVersion* RegistryContents::WithAlias(std::string_view alias) const {
  for (const ModelVersion& v : versions) {
    if (v.HasAlias(alias)) return &v;
  }
  return nullptr;
}

const ModelVersion* RegistryContents::NewestNotProduction() const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (!it->HasAlias(kProduction)) return &*it;
  }
  return nullptr;
}

void WriteVersionJson(JsonWriter& w, const ModelVersion& v) {
  w.BeginObject().Key("run_id").String(v.run_id).Key("created").Timestamp(v.created);
  w.Key("aliases").StringArray(v.aliases);
  w.Key("metrics");
  internal::WriteDoubleMap(w, v.metrics);
  w.Key("artifacts");
  internal::WriteArtifacts(w, v.artifacts);
  w.Key("snapshot_id").String(v.snapshot_id).Key("algorithm").String(v.algorithm);
  w.Key("code_version").String(v.code_version);
  if (v.registered != 0) w.Key("registered").Timestamp(v.registered);
  w.EndObject();
}

std::string RegistryToJson(const RegistryContents& contents) {
  // One version per line: readable in a terminal and diffable, still plain JSON.
  std::string out = "{\"versions\": [";
  for (size_t i = 0; i < contents.versions.size(); ++i) {
    JsonWriter w;
    WriteVersionJson(w, contents.versions[i]);
    out += i == 0 ? "\n  " : ",\n  ";
    out += w.str();
  }
  out += contents.versions.empty() ? "]}\n" : "\n]}\n";
  return out;
}

Result<RegistryContents> RegistryFromJson(std::string_view json, std::string_view name) {
  simdjson::dom::parser parser;
  RECO_ASSIGN_OR_RETURN(simdjson::dom::object root, internal::ParseObject(parser, json, name));
  simdjson::dom::element versions;
  simdjson::dom::array array;
  if (root.at_key("versions").get(versions) || versions.get_array().get(array)) {
    return DataLoss(std::string(name) + ": field 'versions' is missing or not an array");
  }
  RegistryContents contents;
  std::set<std::string> seen_ids;
  std::set<std::string> seen_aliases;
  size_t index = 0;
  for (simdjson::dom::element e : array) {
    RECO_ASSIGN_OR_RETURN(ModelVersion v, VersionFromJson(e, name, index++));
    if (!seen_ids.insert(v.run_id).second) {
      return DataLoss(std::string(name) + ": run " + v.run_id + " is listed twice");
    }
    for (const std::string& a : v.aliases) {
      if (!seen_aliases.insert(a).second) {
        return DataLoss(std::string(name) + ": alias '" + a + "' is on more than one version");
      }
    }
    contents.versions.push_back(std::move(v));
  }
  return contents;
}

// flock() on a lock file beside the registry; released when destroyed.
class ModelRegistry::FileLock {
 public:
  static Result<FileLock> Acquire(const std::filesystem::path& path) {
    RECO_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Internal("cannot open " + path.string() + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      Status st = Internal("cannot lock " + path.string() + ": " + std::strerror(errno));
      ::close(fd);
      return st;
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

ModelRegistry::ModelRegistry(std::filesystem::path data_dir, const Clock& clock,
                             ModelRegistryOptions options)
    : data_dir_(std::move(data_dir)), clock_(clock), options_(options) {}

std::filesystem::path ModelRegistry::registry_path() const {
  return data_dir_ / "models" / "model_registry.json";
}

std::filesystem::path ModelRegistry::backup_path() const {
  return data_dir_ / "models" / "model_registry.json.bak";
}

std::filesystem::path ModelRegistry::ArtifactPath(const RunArtifact& artifact) const {
  return data_dir_ / artifact.path;
}

Result<RegistryContents> ModelRegistry::LoadFile(const std::filesystem::path& path) {
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return RegistryFromJson(text, path.string());
}

Result<RegistryContents> ModelRegistry::Parse(std::string_view text) const {
  Result<RegistryContents> contents = RegistryFromJson(text, registry_path().string());
  if (contents.ok()) return contents;
  std::error_code ec;
  std::string hint = std::filesystem::exists(backup_path(), ec)
                         ? "; the previous copy is " + backup_path().string() +
                               " (check it, then copy it over the broken file)"
                         : "; no previous copy exists (fix the file by hand)";
  return DataLoss(contents.status().message() + hint);
}

Result<RegistryContents> ModelRegistry::Load() const {
  std::error_code ec;
  if (!std::filesystem::exists(registry_path(), ec)) return RegistryContents{};
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(registry_path()));
  return Parse(text);
}

Status ModelRegistry::Write(const RegistryContents& contents, const std::string& previous_text) {
  std::string text = RegistryToJson(contents);
  if (text == previous_text) return Status::Ok();  // nothing changed: keep the backup as is
  if (!previous_text.empty()) RECO_RETURN_IF_ERROR(WriteFileAtomic(backup_path(), previous_text));
  return WriteFileAtomic(registry_path(), text);
}

Status ModelRegistry::Mutate(const std::function<Status(RegistryContents&)>& change,
                             const std::function<void()>& after_write) {
  RECO_ASSIGN_OR_RETURN(FileLock lock,
                        FileLock::Acquire(data_dir_ / "models" / ".model_registry.lock"));
  std::string previous_text;
  RegistryContents contents;
  std::error_code ec;
  if (std::filesystem::exists(registry_path(), ec)) {
    RECO_ASSIGN_OR_RETURN(previous_text, ReadFile(registry_path()));
    // A broken file is never overwritten: the operator decides how to repair it.
    RECO_ASSIGN_OR_RETURN(contents, Parse(previous_text));
  }
  RECO_RETURN_IF_ERROR(change(contents));
  RECO_RETURN_IF_ERROR(Write(contents, previous_text));
  if (after_write) after_write();
  return Status::Ok();
}

Result<ModelVersion> ModelRegistry::Register(const RunRecord& run) {
  RECO_RETURN_IF_ERROR(ValidateRunId(run.run_id));
  if (run.status != RunStatus::kSucceeded) {
    return FailedPrecondition("run " + run.run_id + " is " +
                              std::string(RunStatusName(run.status)) +
                              "; only a succeeded run can be registered");
  }
  if (run.artifacts.empty()) {
    return FailedPrecondition("run " + run.run_id + " produced no artifacts to register");
  }
  for (const RunArtifact& a : run.artifacts) {
    if (!SafeRelativePath(a.path)) {
      return InvalidArgument("artifact path '" + a.path + "' of run " + run.run_id +
                             " must be relative to the data dir");
    }
  }
  ModelVersion result;
  Status st = Mutate([&](RegistryContents& c) {
    if (const ModelVersion* existing = c.Find(run.run_id)) {
      result = *existing;
      return Status::Ok();
    }
    ModelVersion v;
    v.run_id = run.run_id;
    v.created = run.finished != 0 ? run.finished : run.started;
    v.metrics = run.metrics;
    v.artifacts = run.artifacts;
    v.snapshot_id = run.data.snapshot_id;
    v.algorithm = run.algorithm;
    v.code_version = run.code_version;
    v.registered = clock_.NowMicros();
    result = v;
    c.versions.push_back(std::move(v));
    std::stable_sort(c.versions.begin(), c.versions.end(),
                     [](const ModelVersion& a, const ModelVersion& b) {
                       return a.created != b.created ? a.created < b.created : a.run_id < b.run_id;
                     });
    return Status::Ok();
  });
  RECO_RETURN_IF_ERROR(st);
  return result;
}

Status ModelRegistry::SetMetrics(std::string_view run_id,
                                 const std::map<std::string, double>& metrics) {
  return Mutate([&](RegistryContents& c) {
    ModelVersion* v = FindMutable(c, run_id);
    if (v == nullptr) return NotRegistered(run_id);
    for (const auto& [k, value] : metrics) v->metrics[k] = value;
    return Status::Ok();
  });
}

Status ModelRegistry::PromoteIn(RegistryContents& c, std::string_view run_id,
                                std::string_view alias) const {
  RECO_RETURN_IF_ERROR(ValidateAlias(alias));
  ModelVersion* target = FindMutable(c, run_id);
  if (target == nullptr) return NotRegistered(run_id);
  if (target->HasAlias(alias)) return Status::Ok();
  if ((alias == kShadow || alias == kCanary) && target->HasAlias(kProduction)) {
    return FailedPrecondition("run " + std::string(run_id) + " is already production; a " +
                              std::string(alias) + " must be another version");
  }
  RECO_RETURN_IF_ERROR(VerifyArtifacts(*target));
  if (alias == kProduction) {
    for (ModelVersion& v : c.versions) RemoveAlias(v, kPrevious);
    for (ModelVersion& v : c.versions) {
      if (v.HasAlias(kProduction)) {
        RemoveAlias(v, kProduction);
        v.aliases.emplace_back(kPrevious);
        SortAliases(v.aliases);
      }
    }
    RemoveAlias(*target, kShadow);
    RemoveAlias(*target, kCanary);
    RemoveAlias(*target, kPrevious);
  } else {
    for (ModelVersion& v : c.versions) RemoveAlias(v, alias);
  }
  target->aliases.emplace_back(alias);
  SortAliases(target->aliases);
  return Status::Ok();
}

Result<ModelVersion> ModelRegistry::Promote(std::string_view run_id, std::string_view alias) {
  RECO_RETURN_IF_ERROR(ValidateRunId(run_id));
  ModelVersion result;
  RECO_RETURN_IF_ERROR(Mutate([&](RegistryContents& c) {
    RECO_RETURN_IF_ERROR(PromoteIn(c, run_id, alias));
    result = *c.Find(run_id);
    return Status::Ok();
  }));
  return result;
}

Result<ModelVersion> ModelRegistry::Rollback(std::string_view run_id) {
  if (!run_id.empty()) RECO_RETURN_IF_ERROR(ValidateRunId(run_id));
  ModelVersion result;
  RECO_RETURN_IF_ERROR(Mutate([&](RegistryContents& c) {
    std::string target(run_id);
    if (target.empty()) {
      const ModelVersion* previous = c.WithAlias(kPrevious);
      if (previous == nullptr) {
        return FailedPrecondition(
            "no model version has the alias 'previous' to roll back to; name the run to roll "
            "back to (reco models rollback RUN_ID)");
      }
      target = previous->run_id;
    }
    RECO_RETURN_IF_ERROR(PromoteIn(c, target, kProduction));
    result = *c.Find(target);
    return Status::Ok();
  }));
  return result;
}

Status ModelRegistry::ClearAlias(std::string_view alias) {
  RECO_RETURN_IF_ERROR(ValidateAlias(alias));
  return Mutate([&](RegistryContents& c) {
    for (ModelVersion& v : c.versions) RemoveAlias(v, alias);
    return Status::Ok();
  });
}

Result<ModelVersion> ModelRegistry::Resolve(std::string_view alias) const {
  RECO_RETURN_IF_ERROR(ValidateAlias(alias));
  RECO_ASSIGN_OR_RETURN(RegistryContents c, Load());
  const ModelVersion* v = c.WithAlias(alias);
  if (v == nullptr) {
    return NotFound("no model version has the alias '" + std::string(alias) + "' in " +
                    registry_path().string());
  }
  return *v;
}

Result<ModelVersion> ModelRegistry::NewestNotProduction() const {
  RECO_ASSIGN_OR_RETURN(RegistryContents c, Load());
  const ModelVersion* v = c.NewestNotProduction();
  if (v != nullptr) return *v;
  const ModelVersion* production = c.WithAlias(kProduction);
  return NotFound("no registered model version other than production" +
                  (production != nullptr ? " (" + production->run_id + ")" : std::string()) +
                  " in " + registry_path().string() +
                  ": run the pipeline (or reco train) to register a new version, or name one "
                  "with run_id");
}

Result<ModelVersion> ModelRegistry::Get(std::string_view run_id) const {
  RECO_RETURN_IF_ERROR(ValidateRunId(run_id));
  RECO_ASSIGN_OR_RETURN(RegistryContents c, Load());
  const ModelVersion* v = c.Find(run_id);
  if (v == nullptr) return NotRegistered(run_id);
  return *v;
}

Status ModelRegistry::VerifyArtifacts(const ModelVersion& version) const {
  for (const RunArtifact& a : version.artifacts) {
    if (!SafeRelativePath(a.path)) {
      return DataLoss("artifact path '" + a.path + "' of run " + version.run_id +
                      " is outside the data dir");
    }
    uint64_t bytes = 0;
    Result<std::string> sha = Sha256File(ArtifactPath(a), &bytes);
    if (!sha.ok() && sha.status().code() == StatusCode::kNotFound) {
      return NotFound("artifact " + a.path + " of run " + version.run_id + " is missing (" +
                      ArtifactPath(a).string() + ")");
    }
    RECO_RETURN_IF_ERROR(sha.status());
    if (*sha != a.sha256 || bytes != a.bytes) {
      return DataLoss("artifact " + a.path + " of run " + version.run_id +
                      ": sha256 mismatch (registered " + a.sha256 + ", " + std::to_string(a.bytes) +
                      " bytes; file has " + *sha + ", " + std::to_string(bytes) +
                      " bytes): the file was modified or corrupted");
    }
  }
  return Status::Ok();
}

Result<RetentionReport> ModelRegistry::ApplyRetention() {
  RetentionReport report;
  std::vector<std::filesystem::path> doomed;
  size_t keep = static_cast<size_t>(std::max(0, options_.keep_versions));
  auto change = [&](RegistryContents& c) {
    std::set<std::string> kept_files;
    std::vector<ModelVersion> kept;
    std::vector<ModelVersion> removed;
    for (size_t i = 0; i < c.versions.size(); ++i) {
      ModelVersion& v = c.versions[i];
      bool newest = c.versions.size() - i <= keep;
      (newest || !v.aliases.empty() ? kept : removed).push_back(std::move(v));
    }
    for (const ModelVersion& v : kept) {
      for (const RunArtifact& a : v.artifacts) kept_files.insert(a.path);
    }
    for (const ModelVersion& v : removed) {
      report.removed_versions.push_back(v.run_id);
      for (const RunArtifact& a : v.artifacts) {
        if (!kept_files.contains(a.path)) doomed.push_back(ArtifactPath(a));
      }
    }
    c.versions = std::move(kept);
    return Status::Ok();
  };
  // Files go only after the registry stops naming them, still under the lock.
  auto delete_files = [&] {
    for (const auto& path : doomed) {
      std::error_code ec;
      if (std::filesystem::remove(path, ec)) {
        report.removed_files.push_back(path);
      } else if (ec) {
        spdlog::warn("retention: cannot delete {}: {}", path.string(), ec.message());
      }
    }
  };
  RECO_RETURN_IF_ERROR(Mutate(change, delete_files));
  return report;
}

}  // namespace reco::registry
