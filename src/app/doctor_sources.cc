// The checks of what the data dir and the configuration point to: the configuration itself, the
// model registry, the SQLite store, the CLIP model directory, the JSON data directory, Matomo
// and the WeCom robots of the alert gateway.
#include <algorithm>
#include <array>

#include "app/doctor.h"
#include "cache/open_cache.h"
#include "cache/redis/redis_cache.h"
#include "clip/clip_config.h"
#include "clip/clip_model.h"
#include "core/time.h"
#include "gateway/gateway_config.h"
#include "pipeline/matomo_source.h"
#include "registry/model_registry.h"
#include "store/sqlite/sqlite_db.h"

namespace reco::doctor {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxWalkEntries = 100000;  // files looked at below a model or data directory

CheckResult Ok(std::string name, std::string message) {
  return {std::move(name), CheckStatus::kOk, std::move(message), ""};
}

CheckResult Problem(std::string name, CheckStatus status, std::string message, std::string fix) {
  return {std::move(name), status, std::move(message), std::move(fix)};
}

std::string Quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// The files below `dir` (recursively, not through symlinked directories), at most
// kMaxWalkEntries of them.
std::vector<fs::path> FilesBelow(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (files.size() >= kMaxWalkEntries) break;
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  return files;
}

// The first entry of `dir` (itself included) that `run_as` cannot read; "" when none.
fs::path FirstUnreadable(const fs::path& dir, RunAs run_as) {
  if (!Permitted(dir, run_as, /*want_write=*/false)) return dir;
  std::error_code ec;
  int seen = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (++seen > kMaxWalkEntries) break;
    if (!Permitted(it->path(), run_as, /*want_write=*/false)) return it->path();
  }
  return {};
}

CheckResult ModelsWithoutRegistry(const fs::path& data_dir) {
  int model_files = 0;
  std::error_code ec;
  for (fs::directory_iterator it(data_dir / "models", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".rmdl") ++model_files;
  }
  if (model_files > 0) {
    return Ok("models",
              "no registry (models/model_registry.json): reco serve loads the newest of " +
                  std::to_string(model_files) + " model files");
  }
  return Problem("models", CheckStatus::kWarning,
                 "no trained model in " + (data_dir / "models").string() +
                     ": recommendations come from the fallbacks only",
                 "reco train --data-dir " + data_dir.string());
}

// The fix of a registered version whose files do not match: production goes back to the
// previous version when that one is intact, anything else is trained again.
std::string BrokenVersionFix(const registry::ModelRegistry& reg,
                             const registry::RegistryContents& contents,
                             const registry::ModelVersion& broken, const fs::path& data_dir) {
  const registry::ModelVersion* previous = contents.WithAlias(registry::kPrevious);
  if (broken.HasAlias(registry::kProduction) && previous != nullptr &&
      reg.VerifyArtifacts(*previous).ok()) {
    return "reco models rollback --data-dir " + data_dir.string();
  }
  return "reco train --data-dir " + data_dir.string();
}

// Why a model directory is not complete ("" when it is): it needs config.json and at least one
// weights file, and holds no empty file and no leftover of an interrupted download.
std::string IncompleteModel(const std::vector<fs::path>& files) {
  bool has_config = false;
  bool has_weights = false;
  for (const fs::path& f : files) {
    const std::string ext = f.extension().string();
    has_config = has_config || f.filename() == "config.json";
    has_weights = has_weights || ext == ".safetensors" || ext == ".bin" || ext == ".onnx" ||
                  ext == ".pt" || ext == ".pth";
    std::error_code ec;
    if (ext == ".incomplete" || ext == ".lock" || ext == ".part" || fs::file_size(f, ec) == 0) {
      return f.string() + " is empty or a partial download";
    }
  }
  if (!has_config) return "no config.json";
  if (!has_weights) return "no weights file (*.safetensors, *.bin, *.onnx, *.pt, *.pth)";
  return "";
}

}  // namespace

CheckResult CheckConfiguration(const fs::path& config_file, RecoConfig* loaded) {
  const std::string source = config_file.empty() ? std::string("the defaults and the environment")
                                                 : config_file.string() + " and the environment";
  Result<RecoConfig> config = RecoConfig::Load(config_file);
  if (config.ok()) {
    *loaded = *std::move(config);
    return Ok("configuration", source + ": valid");
  }
  *loaded = RecoConfig{};
  const std::string key = config.status().field();
  std::string fix =
      key.empty() ? "edit " + source : "set " + key + " to an accepted value in " + source;
  return Problem("configuration", CheckStatus::kFailure,
                 config.status().message() + " (the other checks use the defaults)",
                 fix + " (docs/configuration.md)");
}

CheckResult CheckModels(const fs::path& data_dir) {
  registry::ModelRegistry reg(data_dir, SystemClock::Get());
  std::error_code ec;
  if (!fs::exists(reg.registry_path(), ec)) return ModelsWithoutRegistry(data_dir);
  Result<registry::RegistryContents> contents = reg.Load();
  if (!contents.ok()) {
    const bool backup_ok = registry::ModelRegistry::LoadFile(reg.backup_path()).ok();
    return Problem("models", CheckStatus::kFailure, contents.status().message(),
                   backup_ok
                       ? "cp " + reg.backup_path().string() + " " + reg.registry_path().string()
                       : "mv " + reg.registry_path().string() + " " + reg.registry_path().string() +
                             ".broken && reco train "
                             "--data-dir " +
                             data_dir.string());
  }
  int verified = 0;
  for (const registry::ModelVersion& v : contents->versions) {
    if (v.aliases.empty()) continue;
    if (Status st = reg.VerifyArtifacts(v); !st.ok()) {
      return Problem("models", CheckStatus::kFailure, st.message(),
                     BrokenVersionFix(reg, *contents, v, data_dir));
    }
    ++verified;
  }
  const registry::ModelVersion* production = contents->WithAlias(registry::kProduction);
  if (production == nullptr) {
    return Problem(
        "models", CheckStatus::kWarning,
        std::to_string(contents->versions.size()) + " registered version(s), none is production",
        contents->versions.empty() ? "reco train --data-dir " + data_dir.string()
                                   : "reco models promote " + contents->versions.back().run_id +
                                         " --alias production --data-dir " + data_dir.string());
  }
  return Ok("models", std::to_string(verified) +
                          " version(s) with an alias match the registry's sha256 (production " +
                          production->run_id + ", " + std::to_string(production->artifacts.size()) +
                          " files)");
}

CheckResult CheckSqlite(const fs::path& data_dir, const RecoConfig& config) {
  if (!config.store.url.empty()) {
    return Ok("sqlite", "store.url is set: the store is PostgreSQL, not checked here");
  }
  if (config.database.data_store != "sqlite") {
    return Ok("sqlite", "database.data_store is " + config.database.data_store);
  }
  const fs::path db = data_dir / config.database.sqlite_path;
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    return Problem("sqlite", CheckStatus::kWarning, db.string() + " does not exist yet",
                   "reco serve --init --data-dir " + data_dir.string() +
                       "  # or reco import --data-dir " + data_dir.string() + " PATH");
  }
  const std::string fix = "stop reco, then restore " + db.string() +
                          " from the last backup (docs/operations.md §6.2) or recover it: "
                          "sqlite3 " +
                          db.string() + " .recover | sqlite3 " + db.string() + ".recovered && mv " +
                          db.string() + ".recovered " + db.string();
  auto conn = sqlite::Connection::Open(db, /*create=*/false, 5000, /*read_only=*/true);
  if (!conn.ok()) return Problem("sqlite", CheckStatus::kFailure, conn.status().message(), fix);
  auto stmt = (*conn)->Prepare("PRAGMA quick_check");
  if (!stmt.ok()) return Problem("sqlite", CheckStatus::kFailure, stmt.status().message(), fix);
  std::vector<std::string> rows;
  int rc = 0;
  while ((rc = stmt->Step()) == SQLITE_ROW && rows.size() < 5) rows.emplace_back(stmt->Text(0));
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return Problem("sqlite", CheckStatus::kFailure, stmt->Error(rc, "PRAGMA quick_check").message(),
                   fix);
  }
  if (rows.size() == 1 && rows[0] == "ok") return Ok("sqlite", db.string() + ": quick_check ok");
  std::string found;
  for (const std::string& r : rows) found += (found.empty() ? "" : "; ") + r;
  return Problem("sqlite", CheckStatus::kFailure,
                 db.string() + ": quick_check found damage: " + found, fix);
}

CheckResult CheckClipModelPath(const RecoConfig& config, RunAs run_as) {
  const fs::path dir = config.content.clip_model_path;
  if (dir.empty()) {
    return Ok("clip_model_path",
              "CLIP_MODEL_PATH not set (reco embed-images and embed-text then need "
              "--model)");
  }
  const std::string unset = "  # or unset CLIP_MODEL_PATH";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Problem(
        "clip_model_path", CheckStatus::kFailure,
        "CLIP_MODEL_PATH " + dir.string() + " is not a directory (missing or not mounted)",
        "mount or copy the model directory to " + Quoted(dir) + unset);
  }
  if (fs::path denied = FirstUnreadable(dir, run_as); !denied.empty()) {
    return Problem("clip_model_path", CheckStatus::kFailure,
                   "Permission denied for uid " + std::to_string(run_as.uid) + ": " +
                       denied.string() + " is not readable",
                   "chown -R " + run_as.ToString() + " " + dir.string());
  }
  const std::vector<fs::path> files = FilesBelow(dir);
  const std::string incomplete = IncompleteModel(files);
  if (!incomplete.empty()) {
    return Problem("clip_model_path", CheckStatus::kFailure,
                   "CLIP_MODEL_PATH " + dir.string() + " is incomplete: " + incomplete,
                   "copy the whole model directory again into " + Quoted(dir) +
                       " (config.json, the weights, the tokenizer and preprocessor files)");
  }
  // What reco's encoders read (clip/clip_model.h): a folder with only PyTorch or ONNX weights
  // is a folder reco cannot load, whatever else it holds.
  const std::string for_both = clip::MissingModelFile(dir, {.vision = true, .text = true});
  if (!for_both.empty()) {
    std::error_code exists_ec;
    if (!fs::exists(dir / clip::kWeightsFile, exists_ec)) {
      const bool bin = fs::exists(dir / "pytorch_model.bin", exists_ec);
      return Problem("clip_model_path", CheckStatus::kFailure,
                     "CLIP_MODEL_PATH " + dir.string() + " has no model.safetensors" +
                         (bin ? " (only pytorch_model.bin, which reco does not read)" : ""),
                     "convert the checkpoint once to model.safetensors on a machine with Python "
                     "and copy it into " +
                         Quoted(dir) + " (docs/clip.md)");
    }
    const bool images = clip::MissingModelFile(dir, {.vision = true, .text = false}).empty();
    const bool texts = clip::MissingModelFile(dir, {.vision = false, .text = true}).empty();
    if (!images && !texts) {
      return Problem("clip_model_path", CheckStatus::kFailure,
                     "CLIP_MODEL_PATH " + dir.string() + " is incomplete: missing " + for_both,
                     "copy the whole model directory again into " + Quoted(dir));
    }
    return Problem("clip_model_path", CheckStatus::kWarning,
                   "CLIP_MODEL_PATH " + dir.string() + " can embed " +
                       (images ? "images" : "texts") + " only: missing " + for_both,
                   "copy " + for_both + " into " + Quoted(dir) + " to embed " +
                       (images ? "texts" : "images") + " too");
  }
  return Ok("clip_model_path", "CLIP_MODEL_PATH " + dir.string() + ": " +
                                   std::to_string(files.size()) +
                                   " files, the image and text encoders' files present");
}

CheckResult CheckHfHubOffline(const RecoConfig& config) {
  static constexpr std::array<std::string_view, 5> kOn = {"1", "true", "True", "TRUE", "yes"};
  const std::string& value = config.content.hf_hub_offline;
  const bool offline = std::find(kOn.begin(), kOn.end(), value) != kOn.end();
  if (offline)
    return Ok("hf_hub_offline", "HF_HUB_OFFLINE=" + value + ": model libraries stay offline");
  if (config.content.clip_model_path.empty()) {
    return Ok("hf_hub_offline", "HF_HUB_OFFLINE not set; reco itself downloads no model");
  }
  return Problem("hf_hub_offline", CheckStatus::kWarning,
                 "CLIP_MODEL_PATH is set but HF_HUB_OFFLINE is " +
                     (value.empty() ? std::string("not set") : "'" + value + "'") +
                     ": a model library may still try to reach huggingface.co",
                 "export HF_HUB_OFFLINE=1");
}

CheckResult CheckDataJsonDir(const RecoConfig& config, RunAs run_as) {
  const fs::path dir = config.sources.json_dir;
  if (dir.empty()) return Ok("data_json_dir", "DATA_JSON_DIR not set (the JSON source is unused)");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Problem("data_json_dir", CheckStatus::kFailure,
                   "DATA_JSON_DIR " + dir.string() + " not found or not mounted",
                   "mount the JSON data volume at " + Quoted(dir) +
                       " (docker: -v HOST_DIR:" + dir.string() + ":ro), or correct DATA_JSON_DIR");
  }
  if (fs::path denied = FirstUnreadable(dir, run_as); !denied.empty()) {
    return Problem("data_json_dir", CheckStatus::kFailure,
                   "Permission denied for uid " + std::to_string(run_as.uid) + ": " +
                       denied.string() + " is not readable",
                   "chmod -R a+rX " + dir.string());
  }
  int data_files = 0;
  for (const fs::path& f : FilesBelow(dir)) {
    const std::string ext = f.extension().string();
    if (ext == ".json" || ext == ".jsonl") ++data_files;
  }
  if (data_files == 0) {
    return Problem("data_json_dir", CheckStatus::kWarning,
                   "DATA_JSON_DIR " + dir.string() +
                       " holds no .json or .jsonl file: extract "
                       "finds nothing (is the right volume mounted?)",
                   "ls -la " + dir.string());
  }
  return Ok("data_json_dir", "DATA_JSON_DIR " + dir.string() + ": " + std::to_string(data_files) +
                                 " readable .json/.jsonl files");
}

CheckResult CheckMatomo(const RecoConfig& config) {
  const SourcesConfig& s = config.sources;
  if (s.matomo_host.empty()) return Ok("matomo", "sources.matomo_host not set (Matomo unused)");
  const std::string fix = "mariadb -h " + s.matomo_host + " -P " + std::to_string(s.matomo_port) +
                          " -u " + s.matomo_user + " -p " + s.matomo_database +
                          " -e 'SELECT 1'  # then correct sources.matomo_* "
                          "(RECO_SOURCES_MATOMO_*)";
  if (Status st = pipeline::ValidateMatomoConfig(s); !st.ok()) {
    return Problem("matomo", CheckStatus::kFailure, st.message(), fix);
  }
  auto reader = pipeline::MatomoReader::Connect(s);
  if (!reader.ok()) return Problem("matomo", CheckStatus::kFailure, reader.status().message(), fix);
  return Ok("matomo", s.matomo_user + "@" + s.matomo_host + ":" + std::to_string(s.matomo_port) +
                          "/" + s.matomo_database + " answers and has the tables " +
                          s.matomo_table_prefix + "log_link_visit_action, " +
                          s.matomo_table_prefix + "log_action");
}

CheckResult CheckCache(const RecoConfig& config) {
  if (config.cache.url.empty()) {
    return Ok("cache", "cache.url not set (in-process memory cache; nothing shared, no Redis)");
  }
  const std::string masked = MaskRedisUrl(config.cache.url);
  const std::string fix = "redis-cli -u '" + masked + "' PING  # then correct cache.url (RECO_CACHE_URL)";
  Result<std::unique_ptr<Cache>> cache = OpenCache(config);
  if (!cache.ok()) return Problem("cache", CheckStatus::kFailure, cache.status().message(), fix);
  return Ok("cache", masked + " answers PING");
}

CheckResult CheckWecom(const fs::path& gateway_file) {
  auto loaded = gateway::LoadGatewayConfig(gateway_file.string());
  const std::string where = gateway_file.empty() ? "the environment" : gateway_file.string();
  if (!loaded.ok()) {
    return Problem("wecom", CheckStatus::kFailure, loaded.status().message(),
                   "correct " + where + " (docs/gateway.md), then: reco gateway test-send" +
                       (gateway_file.empty() ? "" : " --config " + gateway_file.string()));
  }
  if (loaded->robots.empty() && gateway_file.empty()) {
    return Ok("wecom",
              "alerting not configured here (no --gateway-config, no DATA_DIR/gateway.toml,"
              " no WEIXIN_WEBHOOK_URL/KEY)");
  }
  if (loaded->robots.empty()) {
    return Problem(
        "wecom", CheckStatus::kFailure,
        "alerting is configured (" + where +
            ") but no WeCom robot has a webhook key: "
            "alerts never arrive",
        "export WEIXIN_WEBHOOK_KEY=<the robot's key>  # or [[gateway.robots]] url in " + where);
  }
  std::string robots;
  for (const auto& r : loaded->robots) {
    robots += (robots.empty() ? "" : ", ") + r.name + " (" + gateway::MaskUrl(r.url) + ")";
  }
  return Ok("wecom", std::to_string(loaded->robots.size()) + " robot(s) from " + where + ": " +
                         robots + "; send a test: reco gateway test-send");
}

}  // namespace reco::doctor
