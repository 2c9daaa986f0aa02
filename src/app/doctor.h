// `reco doctor`: checks of a data directory and its configuration that name what is wrong and
// print the exact command that fixes it (docs/operations.md, "reco doctor"). Each check reads the
// real thing: file modes and owners, the registry's sha256, SQLite's quick_check, a bind on the
// HTTP port, statvfs, a Matomo connection, the gateway configuration.
//
// Thread-safety: the functions are independent and reentrant; a report is a plain value.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

namespace reco::doctor {

enum class CheckStatus { kOk = 0, kWarning = 1, kFailure = 2 };

// "ok", "warning", "failure".
const char* CheckStatusName(CheckStatus status);

struct CheckResult {
  std::string name;  // "models", "sqlite", "directory models/", ...
  CheckStatus status = CheckStatus::kOk;
  std::string message;  // what was found
  std::string fix;      // the command (or edit) that fixes it; "" when ok
};

struct DoctorReport {
  std::vector<CheckResult> checks;

  CheckStatus Overall() const;                                  // the worst status of the checks
  int ExitCode() const { return static_cast<int>(Overall()); }  // 0 ok, 1 warnings, 2 failures
  // {"status": "...", "checks": [{"name", "status", "message", "fix"}]}
  std::string ToJson() const;
  // One line per check ("[ok]", "[WARN]", "[FAIL]") with its fix indented below, then a summary.
  std::string ToText() const;
};

// The account reco runs as (containers: 50000:50000); writability is judged for it.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  static RunAs Current();  // the effective uid and gid of this process
  std::string ToString() const { return std::to_string(uid) + ":" + std::to_string(gid); }
};

// Free space of the data dir's file system: below either warning figure a warning, below
// either failure figure a failure.
struct DiskThresholds {
  uint64_t warning_bytes = uint64_t{1} << 30;  // 1 GiB
  double warning_fraction = 0.10;
  uint64_t failure_bytes = uint64_t{100} << 20;  // 100 MiB
  double failure_fraction = 0.01;
};

struct DoctorOptions {
  std::filesystem::path data_dir;
  std::filesystem::path config_file;   // "" = DATA_DIR/reco.toml when present, else defaults
  std::filesystem::path gateway_file;  // "" = DATA_DIR/gateway.toml when present
  RunAs run_as = RunAs::Current();     // `reco doctor --user UID:GID`
  DiskThresholds disk;
  double http_timeout_seconds = 3;  // the /health probe of a port in use
};

// All checks, in the order of docs/operations.md. The configuration check comes first; when it
// fails, the other checks use the defaults (and say nothing more about the file).
DoctorReport RunDoctor(const DoctorOptions& options);

// The checks one by one (each test makes one fail on purpose).
CheckResult CheckConfiguration(const std::filesystem::path& config_file, RecoConfig* loaded);
// The data dir, models/, evaluation/, _metadata/ (and runs/, pipeline/, features/ when they
// exist), every entry inside them, and the store files: writable by `run_as`.
std::vector<CheckResult> CheckDirectories(const std::filesystem::path& data_dir,
                                          const RecoConfig& config, RunAs run_as);
CheckResult CheckModels(const std::filesystem::path& data_dir);
CheckResult CheckSqlite(const std::filesystem::path& data_dir, const RecoConfig& config);
CheckResult CheckHttpPort(const RecoConfig& config, double timeout_seconds);
CheckResult CheckDiskSpace(const std::filesystem::path& data_dir, const DiskThresholds& limits);
CheckResult CheckClipModelPath(const RecoConfig& config, RunAs run_as);
CheckResult CheckHfHubOffline(const RecoConfig& config);
CheckResult CheckDataJsonDir(const RecoConfig& config, RunAs run_as);
CheckResult CheckMatomo(const RecoConfig& config);
// cache.url set: the Redis server answers (with the URL's credentials and database).
CheckResult CheckCache(const RecoConfig& config);
// `gateway_file` "" = no file: alerting counts as configured only through WEIXIN_WEBHOOK_*.
CheckResult CheckWecom(const std::filesystem::path& gateway_file);

// Whether `run_as` may write (`want_write`) or read `path` (a directory also needs search
// permission). For the running user it asks the kernel (access(2): groups, ACLs, root); for
// another account it reads the owner, group and mode bits (supplementary groups of that account
// are not consulted).
bool Permitted(const std::filesystem::path& path, RunAs run_as, bool want_write);

}  // namespace reco::doctor
