// ModelRegistry: the model versions (one per training run that produced models) with the
// aliases production, shadow, canary and previous, persisted in DATA_DIR/models/
// model_registry.json ({"versions": [...]}, oldest first). Promote, rollback, resolve an alias,
// verify artifacts against their sha256, and retention of old versions' files.
//
// Thread-safety: every call re-reads the file, so several instances and processes can share a
// data dir; changes are serialised by an advisory lock (flock on models/.model_registry.lock)
// and written atomically, with the last good file kept as model_registry.json.bak.
// Lifetime: the Clock must outlive the registry.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "core/time.h"
#include "registry/run_tracker.h"

namespace reco::registry {

constexpr std::string_view kProduction = "production";
constexpr std::string_view kShadow = "shadow";
constexpr std::string_view kCanary = "canary";
constexpr std::string_view kPrevious = "previous";
constexpr std::array<std::string_view, 4> kAliases = {kProduction, kShadow, kCanary, kPrevious};

// InvalidArgument naming `field` unless `alias` is one of kAliases.
Status ValidateAlias(std::string_view alias, std::string_view field = "alias");

struct ModelVersion {
  std::string run_id;
  TimestampUs created = 0;           // when the run's models were written (run finished)
  std::vector<std::string> aliases;  // in kAliases order
  std::map<std::string, double> metrics;
  std::vector<RunArtifact> artifacts;  // paths relative to the data dir
  std::string snapshot_id;
  std::string algorithm;
  std::string code_version;
  TimestampUs registered = 0;

  bool HasAlias(std::string_view alias) const;
};

struct RegistryContents {
  std::vector<ModelVersion> versions;  // oldest first

  const ModelVersion* Find(std::string_view run_id) const;
  const ModelVersion* WithAlias(std::string_view alias) const;
  // The newest version (by creation time) without the production alias; nullptr when none.
  const ModelVersion* NewestNotProduction() const;
};

// The contract's JSON ({"versions": [{"run_id", "created", "aliases", "metrics", "artifacts",
// ...}]}) and its parser; `name` (the file) appears in every error (DataLoss).
std::string RegistryToJson(const RegistryContents& contents);
void WriteVersionJson(JsonWriter& w, const ModelVersion& version);
Result<RegistryContents> RegistryFromJson(std::string_view json, std::string_view name);

struct ModelRegistryOptions {
  int keep_versions = 5;  // newest versions kept by retention, besides those with an alias
};

struct RetentionReport {
  std::vector<std::string> removed_versions;         // run ids
  std::vector<std::filesystem::path> removed_files;  // files deleted (data_dir() / path)
};

class ModelRegistry {
 public:
  ModelRegistry(std::filesystem::path data_dir, const Clock& clock,
                ModelRegistryOptions options = {});

  // The registry as stored; empty when the file does not exist yet. A file that does not
  // parse is DataLoss naming it and the backup to restore from.
  Result<RegistryContents> Load() const;
  // Parses any registry file (e.g. the .bak copy).
  static Result<RegistryContents> LoadFile(const std::filesystem::path& path);

  // Adds a version for a succeeded run with artifacts. Registering the same run again returns
  // the stored version unchanged (tasks are restartable). FailedPrecondition when the run did
  // not succeed or produced no artifacts.
  Result<ModelVersion> Register(const RunRecord& run);
  // Merges offline metrics into a version (e.g. from the evaluate task).
  Status SetMetrics(std::string_view run_id, const std::map<std::string, double>& metrics);

  // Puts `alias` on `run_id` (taking it from any other version) after verifying the version's
  // artifacts. Promoting to production moves the old production to previous and ends the
  // version's own shadow/canary role. NotFound for an unknown run id.
  Result<ModelVersion> Promote(std::string_view run_id, std::string_view alias);
  // Makes `run_id` production again (the current production becomes previous). With an empty
  // run id, rolls back to the version aliased previous (FailedPrecondition when none).
  Result<ModelVersion> Rollback(std::string_view run_id = {});
  // Removes `alias` from whichever version has it (ok when none has it): ends a canary/shadow.
  Status ClearAlias(std::string_view alias);

  // The version holding `alias`; NotFound "no model version has the alias 'canary'" when none.
  Result<ModelVersion> Resolve(std::string_view alias) const;
  // The candidate of a canary or shadow reload that names no run: the newest
  // registered version that is not production. NotFound saying so when there is none.
  Result<ModelVersion> NewestNotProduction() const;
  Result<ModelVersion> Get(std::string_view run_id) const;
  // Every artifact file must exist with its recorded size and sha256: NotFound "artifact F of
  // run R is missing", DataLoss "artifact F of run R: sha256 mismatch (...)".
  Status VerifyArtifacts(const ModelVersion& version) const;

  // Keeps the newest keep_versions versions plus any with an alias; the others are removed
  // from the registry and their artifact files deleted (files still used by a kept version
  // stay).
  Result<RetentionReport> ApplyRetention();

  std::filesystem::path registry_path() const;
  std::filesystem::path backup_path() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }
  // Where an artifact file is: data_dir() / artifact.path.
  std::filesystem::path ArtifactPath(const RunArtifact& artifact) const;

 private:
  class FileLock;
  // Under the lock: loads, runs `change`, writes the result, then runs `after_write`.
  Status Mutate(const std::function<Status(RegistryContents&)>& change,
                const std::function<void()>& after_write = {});
  // Parses the registry file's text; a parse error names the backup to restore from.
  Result<RegistryContents> Parse(std::string_view text) const;
  Status Write(const RegistryContents& contents, const std::string& previous_text);
  Status PromoteIn(RegistryContents& contents, std::string_view run_id,
                   std::string_view alias) const;

  std::filesystem::path data_dir_;
  const Clock& clock_;
  ModelRegistryOptions options_;
};

}  // namespace reco::registry
