// `reco runs list|show` (training run records) and `reco models list|promote|rollback|verify|
// retention` (the model registry), all on --data-dir DIR, with tables or --json.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/config_loader.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::cli {
namespace {

using registry::ModelRegistry;
using registry::ModelVersion;
using registry::RunRecord;
using registry::RunTracker;

struct RegistryFlags {
  std::string data_dir;
  std::string config;
  bool json = false;
  std::string run_id;
  std::string alias;
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, message}; }

template <typename T>
T OrFail(Result<T> result, const std::string& what) {
  if (!result.ok()) Fail(what + ": " + result.status().ToString());
  return std::move(result).value();
}


ModelRegistry OpenRegistry(const RegistryFlags& flags, const std::string& command) {
  RequireDataDir(command, flags.data_dir);
  RecoConfig config = LoadCommandConfig(flags.config, flags.data_dir);
  return ModelRegistry(flags.data_dir, SystemClock::Get(),
                       {.keep_versions = config.registry.keep_versions});
}

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

std::string MetricsText(const std::map<std::string, double>& metrics, size_t max_items) {
  std::string out;
  size_t shown = 0;
  for (const auto& [k, v] : metrics) {
    if (k.find('.') != std::string::npos || k.ends_with("_seconds")) continue;  // timings
    if (shown++ == max_items) return out + " ...";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.4g", v);
    out += (out.empty() ? "" : " ") + k + "=" + buf;
  }
  return out;
}

void PrintJson(const std::string& json) { std::printf("%s\n", json.c_str()); }

void RunsList(const RegistryFlags& flags) {
  RequireDataDir("runs list", flags.data_dir);
  RunTracker tracker(flags.data_dir, SystemClock::Get());
  std::vector<std::string> problems;
  std::vector<RunRecord> runs = OrFail(tracker.List(&problems), "runs list");
  if (flags.json) {
    JsonWriter w;
    w.BeginObject().Key("runs").BeginArray();
    for (const RunRecord& r : runs) registry::WriteRunJson(w, r);
    w.EndArray().Key("problems").StringArray(problems).EndObject();
    return PrintJson(w.str());
  }
  std::printf("%-24s %-9s %-20s %9s %-26s %s\n", "RUN_ID", "STATUS", "STARTED", "SECONDS",
              "ALGORITHM", "FILES");
  for (const RunRecord& r : runs) {
    std::printf("%-24s %-9s %-20s %9.1f %-26s %zu\n", r.run_id.c_str(),
                std::string(registry::RunStatusName(r.status)).c_str(),
                FormatTimestamp(r.started).c_str(), r.duration_seconds, r.algorithm.c_str(),
                r.artifacts.size());
  }
  if (runs.empty()) std::printf("(no runs in %s/runs)\n", flags.data_dir.c_str());
  for (const std::string& p : problems) std::fprintf(stderr, "warning: skipped %s\n", p.c_str());
}

void RunsShow(const RegistryFlags& flags) {
  RequireDataDir("runs show", flags.data_dir);
  RunTracker tracker(flags.data_dir, SystemClock::Get());
  RunRecord r = OrFail(tracker.Get(flags.run_id), "runs show");
  if (flags.json) return PrintJson(registry::RunToJson(r));
  std::printf("run_id        %s\nstatus        %s\n", r.run_id.c_str(),
              std::string(registry::RunStatusName(r.status)).c_str());
  std::printf("started       %s\nfinished      %s\nduration      %.2f s\n",
              FormatTimestamp(r.started).c_str(),
              r.finished ? FormatTimestamp(r.finished).c_str() : "-", r.duration_seconds);
  std::printf("algorithm     %s\ncode_version  %s (reco %s)\nsnapshot_id   %s\n",
              r.algorithm.c_str(), r.code_version.c_str(), r.reco_version.c_str(),
              r.data.snapshot_id.c_str());
  if (!r.error.empty()) std::printf("error         %s\n", r.error.c_str());
  for (const auto& [k, v] : r.params) std::printf("param         %s = %s\n", k.c_str(), v.c_str());
  for (const auto& [k, v] : r.metrics) std::printf("metric        %s = %g\n", k.c_str(), v);
  for (const auto& [k, v] : r.data.row_counts) {
    std::printf("rows          %s = %lld\n", k.c_str(), static_cast<long long>(v));
  }
  for (const auto& [k, v] : r.data.watermarks) {
    std::printf("watermark     %s = %s\n", k.c_str(), v.c_str());
  }
  for (const auto& a : r.artifacts) {
    std::printf("artifact      %s (%s, %llu bytes, sha256 %s)\n", a.path.c_str(), a.kind.c_str(),
                static_cast<unsigned long long>(a.bytes), a.sha256.c_str());
  }
}

void PrintVersion(const ModelVersion& v, bool json) {
  if (json) {
    JsonWriter w;
    registry::WriteVersionJson(w, v);
    return PrintJson(w.str());
  }
  std::printf("%s  aliases: %s\n", v.run_id.c_str(),
              v.aliases.empty() ? "-" : Join(v.aliases, ",").c_str());
}

void ModelsList(const RegistryFlags& flags) {
  ModelRegistry reg = OpenRegistry(flags, "models list");
  registry::RegistryContents c = OrFail(reg.Load(), "models list");
  if (flags.json) {
    std::fputs(registry::RegistryToJson(c).c_str(), stdout);
    return;
  }
  std::printf("%-24s %-20s %-20s %5s  %s\n", "RUN_ID", "CREATED", "ALIASES", "FILES", "METRICS");
  for (const ModelVersion& v : c.versions) {
    std::printf("%-24s %-20s %-20s %5zu  %s\n", v.run_id.c_str(),
                FormatTimestamp(v.created).c_str(),
                v.aliases.empty() ? "-" : Join(v.aliases, ",").c_str(), v.artifacts.size(),
                MetricsText(v.metrics, 4).c_str());
  }
  if (c.versions.empty()) std::printf("(no versions in %s)\n", reg.registry_path().c_str());
}

void ModelsPromote(const RegistryFlags& flags) {
  ModelRegistry reg = OpenRegistry(flags, "models promote");
  PrintVersion(OrFail(reg.Promote(flags.run_id, flags.alias), "models promote"), flags.json);
}

void ModelsRollback(const RegistryFlags& flags) {
  ModelRegistry reg = OpenRegistry(flags, "models rollback");
  ModelVersion v = OrFail(reg.Rollback(flags.run_id), "models rollback");
  if (!flags.json) std::printf("production is now ");
  PrintVersion(v, flags.json);
}

void ModelsVerify(const RegistryFlags& flags) {
  ModelRegistry reg = OpenRegistry(flags, "models verify");
  ModelVersion v =
      OrFail(flags.run_id.empty() ? reg.Resolve(flags.alias.empty() ? "production" : flags.alias)
                                  : reg.Get(flags.run_id),
             "models verify");
  if (Status st = reg.VerifyArtifacts(v); !st.ok()) Fail("models verify: " + st.ToString());
  std::printf("run %s: %zu artifact(s) match their sha256\n", v.run_id.c_str(), v.artifacts.size());
}

void ModelsRetention(const RegistryFlags& flags) {
  ModelRegistry reg = OpenRegistry(flags, "models retention");
  registry::RetentionReport r = OrFail(reg.ApplyRetention(), "models retention");
  std::printf("removed %zu version(s) and %zu file(s)\n", r.removed_versions.size(),
              r.removed_files.size());
  for (const auto& id : r.removed_versions) std::printf("  version %s\n", id.c_str());
  for (const auto& f : r.removed_files) std::printf("  file %s\n", f.c_str());
}

CLI::App* AddLeaf(CLI::App& parent, const char* name, const char* help,
                  std::shared_ptr<RegistryFlags> flags, void (*run)(const RegistryFlags&)) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->add_option("--data-dir", flags->data_dir, "Data directory")->required();
  cmd->add_option("--config", flags->config,
                  "Configuration file (default: DATA_DIR/reco.toml when present)");
  cmd->add_flag("--json", flags->json, "Print JSON instead of a table");
  cmd->callback([flags, run] { run(*flags); });
  return cmd;
}

}  // namespace

void RegisterRunsCommand(CLI::App& app) {
  auto flags = std::make_shared<RegistryFlags>();
  CLI::App* runs = app.add_subcommand("runs", "Training run records (DATA_DIR/runs)");
  runs->require_subcommand(1);
  AddLeaf(*runs, "list", "List the training runs, oldest first", flags, RunsList);
  AddLeaf(*runs, "show", "Show one run: params, metrics, data snapshot, artifacts", flags, RunsShow)
      ->add_option("run_id", flags->run_id, "Run id")
      ->required();
}

void RegisterModelsCommand(CLI::App& app) {
  auto flags = std::make_shared<RegistryFlags>();
  CLI::App* models =
      app.add_subcommand("models", "Model registry (DATA_DIR/models/model_registry.json)");
  models->require_subcommand(1);
  AddLeaf(*models, "list", "List the model versions and their aliases, oldest first", flags,
          ModelsList);
  CLI::App* promote = AddLeaf(*models, "promote",
                              "Put an alias on a version (production moves the old one to "
                              "previous)",
                              flags, ModelsPromote);
  promote->add_option("run_id", flags->run_id, "Run id of the version")->required();
  promote->add_option("--alias", flags->alias, "production, shadow, canary or previous")
      ->required();
  AddLeaf(*models, "rollback", "Make RUN (default: the 'previous' version) production again", flags,
          ModelsRollback)
      ->add_option("run_id", flags->run_id, "Run id to roll back to");
  CLI::App* verify = AddLeaf(*models, "verify",
                             "Check a version's files against their sha256 (default: the "
                             "production version)",
                             flags, ModelsVerify);
  verify->add_option("run_id", flags->run_id, "Run id of the version");
  verify->add_option("--alias", flags->alias, "Verify the version holding this alias");
  AddLeaf(*models, "retention",
          "Remove versions beyond registry.keep_versions (those with an alias stay) and their "
          "files",
          flags, ModelsRetention);
}

}  // namespace reco::cli
