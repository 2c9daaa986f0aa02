// The report and the checks of the data directory itself: directories and their owners, disk
// space, the HTTP port. The checks of what lives in it (models, store, sources, alerting) are in
// doctor_sources.cc.
#include "app/doctor.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "api/http/http_client.h"
#include "core/json_writer.h"

namespace reco::doctor {
namespace fs = std::filesystem;

namespace {

// Entries looked at below one directory at most: enough for any data dir reco writes, bounded
// for a directory someone filled by mistake.
constexpr int kMaxWalkEntries = 100000;

CheckResult Ok(std::string name, std::string message) {
  return {std::move(name), CheckStatus::kOk, std::move(message), ""};
}

CheckResult Problem(std::string name, CheckStatus status, std::string message, std::string fix) {
  return {std::move(name), status, std::move(message), std::move(fix)};
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string Owner(const fs::path& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "unknown owner";
  return "owner " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + ", mode " +
         OctalMode(st.st_mode);
}

// The first entry under `dir` (recursively when `recursive`, never through symlinks) that
// `run_as` may not write, and how many such entries there are.
struct Denied {
  fs::path first;
  int count = 0;
  int seen = 0;
};

void WalkDenied(const fs::path& dir, RunAs run_as, bool recursive, Denied& denied) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (++denied.seen > kMaxWalkEntries) return;
    const fs::file_status st = it->symlink_status(ec);
    if (ec || fs::is_symlink(st)) continue;
    const bool is_dir = fs::is_directory(st);
    if (is_dir && !recursive) continue;
    if (!Permitted(it->path(), run_as, /*want_write=*/true)) {
      if (denied.count++ == 0) denied.first = it->path();
    }
    if (is_dir) WalkDenied(it->path(), run_as, recursive, denied);
  }
}

// How a directory of the data dir is treated when it does not exist.
enum class Presence { kDataDir, kExpected, kCreatedOnUse };

CheckResult MissingDirectory(const std::string& name, const fs::path& dir, Presence presence,
                             RunAs run_as) {
  const std::string create =
      "mkdir -p " + dir.string() + " && chown -R " + run_as.ToString() + " " + dir.string();
  switch (presence) {
    case Presence::kDataDir:
      return Problem(name, CheckStatus::kFailure, dir.string() + " does not exist", create);
    case Presence::kExpected:
      return Problem(name, CheckStatus::kWarning,
                     dir.string() +
                         " does not exist yet (reco creates it when it can write the "
                         "data dir; create it now to fix its owner)",
                     create);
    case Presence::kCreatedOnUse:
      break;
  }
  return Ok(name, dir.string() + " not created yet (reco creates it on first use)");
}

CheckResult CheckOneDirectory(const std::string& name, const fs::path& dir, Presence presence,
                              RunAs run_as) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return MissingDirectory(name, dir, presence, run_as);
  if (!fs::is_directory(dir, ec)) {
    return Problem(name, CheckStatus::kFailure, dir.string() + " is not a directory",
                   "mv " + dir.string() + " " + dir.string() + ".old && mkdir -p " + dir.string());
  }
  Denied denied;
  if (!Permitted(dir, run_as, /*want_write=*/true)) {
    denied.first = dir;
    denied.count = 1;
  }
  // The data dir's own files (the store) here; its subdirectories have checks of their own.
  WalkDenied(dir, run_as, /*recursive=*/presence != Presence::kDataDir, denied);
  // chown -R does not follow a symlink given as its argument: name the real directory.
  const std::string fix =
      "chown -R " + run_as.ToString() + " " + fs::weakly_canonical(dir, ec).string();
  if (denied.count > 0) {
    return Problem(name, CheckStatus::kFailure,
                   "Permission denied for uid " + std::to_string(run_as.uid) + ": " +
                       denied.first.string() + " is not writable (" + Owner(denied.first) + "); " +
                       std::to_string(denied.count) + " entr" + (denied.count == 1 ? "y" : "ies") +
                       " not writable",
                   fix);
  }
  return Ok(name, dir.string() + " writable by uid " + std::to_string(run_as.uid));
}

// errno of binding a listening TCP socket to host:port (0 when it binds); EADDRNOTAVAIL when
// the host has no address.
int TryBind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return EADDRNOTAVAIL;
  }
  int err = 0;
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd < 0) {
    err = errno;
  } else {
    int one = 1;  // as the server does: a socket in TIME_WAIT does not count as in use
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) err = errno;
    close(fd);
  }
  freeaddrinfo(found);
  return err;
}

std::string GiB(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(bytes) / (1 << 30));
  return buf;
}

}  // namespace

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kWarning:
      return "warning";
    case CheckStatus::kFailure:
      return "failure";
  }
  return "failure";
}

RunAs RunAs::Current() { return {geteuid(), getegid()}; }

CheckStatus DoctorReport::Overall() const {
  CheckStatus worst = CheckStatus::kOk;
  for (const CheckResult& c : checks) worst = std::max(worst, c.status);
  return worst;
}

std::string DoctorReport::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("status").String(CheckStatusName(Overall())).Key("checks").BeginArray();
  for (const CheckResult& c : checks) {
    w.BeginObject().Key("name").String(c.name).Key("status").String(CheckStatusName(c.status));
    w.Key("message").String(c.message).Key("fix").String(c.fix).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take() + "\n";
}

std::string DoctorReport::ToText() const {
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const CheckResult& c : checks) {
    ++counts[static_cast<int>(c.status)];
    static constexpr const char* kMarkers[] = {"[ok]  ", "[WARN]", "[FAIL]"};
    out +=
        std::string(kMarkers[static_cast<int>(c.status)]) + " " + c.name + ": " + c.message + "\n";
    if (!c.fix.empty()) out += "       fix: " + c.fix + "\n";
  }
  out += "reco doctor: " + std::to_string(counts[0]) + " ok, " + std::to_string(counts[1]) +
         " warning(s), " + std::to_string(counts[2]) + " failure(s)\n";
  return out;
}

bool Permitted(const fs::path& path, RunAs run_as, bool want_write) {
  struct stat st {};
  // Through symlinks: a data dir or models/ linked to another volume is judged by its target.
  if (stat(path.c_str(), &st) != 0) return false;
  const bool is_dir = S_ISDIR(st.st_mode);
  if (run_as.uid == geteuid() && run_as.gid == getegid()) {
    const int mode = (want_write ? W_OK : R_OK) | (is_dir ? X_OK : 0);
    return access(path.c_str(), mode) == 0;
  }
  if (run_as.uid == 0) return true;
  unsigned bits = st.st_mode & 7;
  if (st.st_uid == run_as.uid) {
    bits = (st.st_mode >> 6) & 7;
  } else if (st.st_gid == run_as.gid) {
    bits = (st.st_mode >> 3) & 7;
  }
  const unsigned need = (want_write ? 2u : 4u) | (is_dir ? 1u : 0u);
  return (bits & need) == need;
}

std::vector<CheckResult> CheckDirectories(const fs::path& data_dir, const RecoConfig& config,
                                          RunAs run_as) {
  std::vector<CheckResult> out;
  out.push_back(CheckOneDirectory("directory data dir", data_dir, Presence::kDataDir, run_as));
  if (out.back().status == CheckStatus::kFailure && !fs::is_directory(data_dir)) return out;
  for (const char* sub : {"models", "evaluation", "_metadata"}) {
    out.push_back(CheckOneDirectory(std::string("directory ") + sub + "/", data_dir / sub,
                                    Presence::kExpected, run_as));
  }
  for (const char* sub : {"runs", "pipeline", "features"}) {
    out.push_back(CheckOneDirectory(std::string("directory ") + sub + "/", data_dir / sub,
                                    Presence::kCreatedOnUse, run_as));
  }
  // A store kept outside the data dir (database.sqlite_path absolute) has its own directory.
  const fs::path store = fs::path(config.database.sqlite_path);
  if (config.database.data_store == "sqlite" && store.is_absolute() &&
      store.parent_path() != data_dir) {
    out.push_back(CheckOneDirectory("directory of the store", store.parent_path(),
                                    Presence::kDataDir, run_as));
  }
  return out;
}

CheckResult CheckDiskSpace(const fs::path& data_dir, const DiskThresholds& limits) {
  struct statvfs vfs {};
  if (statvfs(data_dir.c_str(), &vfs) != 0) {
    return Problem("disk_space", CheckStatus::kFailure,
                   "statvfs " + data_dir.string() + ": " + std::strerror(errno),
                   "ls -ld " + data_dir.string());
  }
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const uint64_t total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  const double fraction = total == 0 ? 0 : static_cast<double>(free_bytes) / total;
  char pct[16];
  std::snprintf(pct, sizeof(pct), "%.1f %%", fraction * 100);
  const std::string found =
      GiB(free_bytes) + " free of " + GiB(total) + " (" + pct + ") on " + data_dir.string();
  const std::string fix = "du -sh " + data_dir.string() + "/* | sort -h  # then free space: " +
                          "reco models retention --data-dir " + data_dir.string() +
                          ", remove rotated evaluation/exposure_log.jsonl.N";
  if (free_bytes < limits.failure_bytes || fraction < limits.failure_fraction) {
    return Problem("disk_space", CheckStatus::kFailure, found + ": writes will fail soon", fix);
  }
  if (free_bytes < limits.warning_bytes || fraction < limits.warning_fraction) {
    return Problem("disk_space", CheckStatus::kWarning, found + ": running low", fix);
  }
  return Ok("disk_space", found);
}

CheckResult CheckHttpPort(const RecoConfig& config, double timeout_seconds) {
  const int port = config.server.http_port;
  const std::string& host = config.server.host;
  const std::string where = host + ":" + std::to_string(port);
  if (port == 0) return Ok("http_port", "server.http_port = 0: reco serve picks a free port");
  const int err = TryBind(host, port);
  if (err == 0) return Ok("http_port", where + " is free");
  const std::string change = "or set server.http_port (RECO_SERVER_HTTP_PORT) to a free port";
  if (err != EADDRINUSE) {
    return Problem("http_port", CheckStatus::kFailure,
                   "cannot listen on " + where + ": " + std::strerror(err),
                   err == EACCES ? "use a port >= 1024 " + change
                                 : "set server.host (RECO_SERVER_HOST) to an address of this "
                                   "machine, e.g. 127.0.0.1 or 0.0.0.0");
  }
  const std::string probe_host = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host;
  auto answer = HttpFetch("GET", "http://" + probe_host + ":" + std::to_string(port) + "/health",
                          {}, {}, timeout_seconds);
  if (answer.ok() && answer->body.find("\"models_loaded\"") != std::string::npos) {
    return Ok("http_port", where + " is in use by a running reco serve (GET /health answered " +
                               std::to_string(answer->status) + ")");
  }
  return Problem(
      "http_port", CheckStatus::kFailure,
      where + " is in use by another program (it does not answer GET /health as reco)",
      "ss -ltnp 'sport = :" + std::to_string(port) + "'  # stop that program, " + change);
}

namespace {
DoctorReport RunChecks(const DoctorOptions& options);
}  // namespace

DoctorReport RunDoctor(const DoctorOptions& options) {
  DoctorReport report;
  // Absolute paths, so that every printed fix can be pasted from any directory.
  fs::path data_dir = fs::absolute(options.data_dir).lexically_normal();
  if (data_dir.filename().empty()) data_dir = data_dir.parent_path();
  DoctorOptions o = options;
  o.data_dir = data_dir;
  return RunChecks(o);
}

namespace {

DoctorReport RunChecks(const DoctorOptions& options) {
  DoctorReport report;
  fs::path config_file = options.config_file;
  if (config_file.empty() && fs::is_regular_file(options.data_dir / "reco.toml")) {
    config_file = options.data_dir / "reco.toml";
  }
  RecoConfig config;
  report.checks.push_back(CheckConfiguration(config_file, &config));
  for (CheckResult& c : CheckDirectories(options.data_dir, config, options.run_as)) {
    report.checks.push_back(std::move(c));
  }
  report.checks.push_back(CheckModels(options.data_dir));
  report.checks.push_back(CheckSqlite(options.data_dir, config));
  report.checks.push_back(CheckHttpPort(config, options.http_timeout_seconds));
  report.checks.push_back(CheckDiskSpace(options.data_dir, options.disk));
  report.checks.push_back(CheckClipModelPath(config, options.run_as));
  report.checks.push_back(CheckHfHubOffline(config));
  report.checks.push_back(CheckDataJsonDir(config, options.run_as));
  report.checks.push_back(CheckMatomo(config));
  report.checks.push_back(CheckCache(config));
  fs::path gateway_file = options.gateway_file;
  if (gateway_file.empty() && fs::is_regular_file(options.data_dir / "gateway.toml")) {
    gateway_file = options.data_dir / "gateway.toml";
  }
  report.checks.push_back(CheckWecom(gateway_file));
  return report;
}

}  // namespace

}  // namespace reco::doctor
