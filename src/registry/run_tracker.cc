#include "registry/run_tracker.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "core/file_util.h"
#include "registry/json_fields.h"

namespace reco::registry {
namespace {

constexpr std::string_view kStatusNames[] = {"running", "succeeded", "failed"};

Result<RunStatus> ParseRunStatus(std::string_view name) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (kStatusNames[i] == name) return static_cast<RunStatus>(i);
  }
  return DataLoss("unknown run status '" + std::string(name) + "'");
}

std::string Hex(const unsigned char* data, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::string MakeRunId(TimestampUs started, uint32_t suffix) {
  std::time_t secs = static_cast<std::time_t>(started / kMicrosPerSecond);
  if (started < 0 && started % kMicrosPerSecond != 0) --secs;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ-%06x", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(suffix & 0xffffffu));
  return buf;
}

Status ValidateRunId(std::string_view run_id, std::string_view field) {
  bool ok = !run_id.empty() && run_id.size() <= 128 && run_id.front() != '.';
  for (char c : run_id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  if (ok) return Status::Ok();
  return InvalidArgument("invalid run id '" + std::string(run_id.substr(0, 140)) +
                             "': use 1-128 characters of A-Z a-z 0-9 _ . - (e.g. "
                             "20261124T030000Z-1a2b3c)",
                         std::string(field));
}

void WriteRunJson(JsonWriter& w, const RunRecord& run) {
  w.BeginObject();
  w.Key("run_id").String(run.run_id);
  w.Key("status").String(RunStatusName(run.status));
  w.Key("started").Timestamp(run.started);
  w.Key("finished");
  if (run.finished != 0) {
    w.Timestamp(run.finished);
  } else {
    w.Null();
  }
  w.Key("duration_seconds").Double(run.duration_seconds);
  w.Key("algorithm").String(run.algorithm);
  w.Key("params");
  internal::WriteStringMap(w, run.params);
  w.Key("metrics");
  internal::WriteDoubleMap(w, run.metrics);
  w.Key("data").BeginObject().Key("snapshot_id").String(run.data.snapshot_id);
  w.Key("watermarks");
  internal::WriteStringMap(w, run.data.watermarks);
  w.Key("row_counts").BeginObject();
  for (const auto& [k, v] : run.data.row_counts) w.Key(k).Int(v);
  w.EndObject().EndObject();
  w.Key("code_version").String(run.code_version);
  w.Key("reco_version").String(run.reco_version);
  w.Key("artifacts");
  internal::WriteArtifacts(w, run.artifacts);
  if (!run.error.empty()) w.Key("error").String(run.error);
  w.EndObject();
}

std::string RunToJson(const RunRecord& run) {
  JsonWriter w;
  WriteRunJson(w, run);
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

Result<RunRecord> RunFromJson(std::string_view json, std::string_view name) {
  simdjson::dom::parser parser;
  RECO_ASSIGN_OR_RETURN(simdjson::dom::object object, internal::ParseObject(parser, json, name));
  internal::FieldReader f(object, name);
  RunRecord run;
  std::string status;
  RECO_RETURN_IF_ERROR(f.String("run_id", run.run_id, /*required=*/true));
  RECO_RETURN_IF_ERROR(f.String("status", status, /*required=*/true));
  Result<RunStatus> parsed = ParseRunStatus(status);
  if (!parsed.ok()) return f.Error("status", "is not running, succeeded or failed");
  run.status = *parsed;
  RECO_RETURN_IF_ERROR(f.Timestamp("started", run.started, /*required=*/true));
  RECO_RETURN_IF_ERROR(f.Timestamp("finished", run.finished));
  RECO_RETURN_IF_ERROR(f.Double("duration_seconds", run.duration_seconds));
  RECO_RETURN_IF_ERROR(f.String("algorithm", run.algorithm));
  RECO_RETURN_IF_ERROR(f.StringMap("params", run.params));
  RECO_RETURN_IF_ERROR(f.DoubleMap("metrics", run.metrics));
  simdjson::dom::object data;
  RECO_ASSIGN_OR_RETURN(bool has_data, f.Object("data", data));
  if (has_data) {
    internal::FieldReader d(data, name, "data.");
    RECO_RETURN_IF_ERROR(d.String("snapshot_id", run.data.snapshot_id));
    RECO_RETURN_IF_ERROR(d.StringMap("watermarks", run.data.watermarks));
    RECO_RETURN_IF_ERROR(d.IntMap("row_counts", run.data.row_counts));
  }
  RECO_RETURN_IF_ERROR(f.String("code_version", run.code_version));
  RECO_RETURN_IF_ERROR(f.String("reco_version", run.reco_version));
  RECO_RETURN_IF_ERROR(f.Artifacts("artifacts", run.artifacts));
  RECO_RETURN_IF_ERROR(f.String("error", run.error));
  return run;
}

Result<std::string> Sha256File(const std::filesystem::path& path, uint64_t* bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
  FdCloser closer{fd};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Internal("cannot initialise SHA-256");
  }
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  if (bytes != nullptr) *bytes = total;
  return Hex(digest, len);
}

Result<RunArtifact> DescribeArtifact(const std::filesystem::path& data_dir,
                                     const std::string& relative_path, std::string kind) {
  RunArtifact a;
  a.path = relative_path;
  a.kind = std::move(kind);
  RECO_ASSIGN_OR_RETURN(a.sha256, Sha256File(data_dir / relative_path, &a.bytes));
  return a;
}

RunTracker::RunTracker(std::filesystem::path data_dir, const Clock& clock,
                       RunTrackerOptions options)
    : data_dir_(std::move(data_dir)), clock_(clock), seed_(options.seed) {}

uint32_t RunTracker::NextSuffix() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!seeded_) {
    rng_.seed(seed_ != 0 ? seed_
                         : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}());
    seeded_ = true;
  }
  return static_cast<uint32_t>(rng_() & 0xffffffu);
}

std::filesystem::path RunTracker::RunPath(std::string_view run_id) const {
  return runs_dir() / (std::string(run_id) + ".json");
}

Result<RunRecord> RunTracker::Start(std::string algorithm,
                                    std::map<std::string, std::string> params) {
  RECO_RETURN_IF_ERROR(EnsureDirectory(runs_dir()));
  RunRecord run;
  run.started = clock_.NowMicros();
  run.algorithm = std::move(algorithm);
  run.params = std::move(params);
  // link() claims the id atomically: two processes starting in the same second never share
  // one, and a reader never sees a half-written file.
  for (int attempt = 0; attempt < 16; ++attempt) {
    run.run_id = MakeRunId(run.started, NextSuffix());
    std::filesystem::path path = RunPath(run.run_id);
    std::filesystem::path tmp = runs_dir() / ("." + run.run_id + ".new");
    RECO_RETURN_IF_ERROR(WriteFileAtomic(tmp, RunToJson(run)));
    int rc = ::link(tmp.c_str(), path.c_str());
    int link_errno = errno;
    ::unlink(tmp.c_str());
    if (rc == 0) return run;
    if (link_errno != EEXIST) {
      return Internal("cannot create " + path.string() + ": " + std::strerror(link_errno));
    }
  }
  return Internal("cannot find a free run id in " + runs_dir().string());
}

Status RunTracker::Save(const RunRecord& run) {
  RECO_RETURN_IF_ERROR(ValidateRunId(run.run_id));
  return WriteFileAtomic(RunPath(run.run_id), RunToJson(run));
}

Status RunTracker::Finish(RunRecord& run, const Status& outcome) {
  run.finished = clock_.NowMicros();
  run.duration_seconds = static_cast<double>(run.finished - run.started) / kMicrosPerSecond;
  run.status = outcome.ok() ? RunStatus::kSucceeded : RunStatus::kFailed;
  run.error = outcome.ok() ? "" : outcome.ToString();
  return Save(run);
}

Status RunTracker::AddMetrics(std::string_view run_id,
                              const std::map<std::string, double>& metrics) {
  RECO_ASSIGN_OR_RETURN(RunRecord run, Get(run_id));
  for (const auto& [k, v] : metrics) run.metrics[k] = v;
  return Save(run);
}

Result<RunRecord> RunTracker::Get(std::string_view run_id) const {
  RECO_RETURN_IF_ERROR(ValidateRunId(run_id));
  std::filesystem::path path = RunPath(run_id);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound("run " + std::string(run_id) + " not found (no " + path.string() + ")");
  }
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  RECO_ASSIGN_OR_RETURN(RunRecord run, RunFromJson(text, path.string()));
  if (run.run_id != run_id) {
    return DataLoss(path.string() + ": field 'run_id' is '" + run.run_id +
                    "', not the file's name");
  }
  return run;
}

Result<std::vector<RunRecord>> RunTracker::List(std::vector<std::string>* problems) const {
  std::vector<RunRecord> runs;
  std::error_code ec;
  if (!std::filesystem::is_directory(runs_dir(), ec)) return runs;
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(runs_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".json") || name.starts_with(".")) continue;
    ids.push_back(name.substr(0, name.size() - 5));
  }
  if (ec) return Internal("cannot list " + runs_dir().string() + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    Result<RunRecord> run = Get(id);
    if (!run.ok()) {
      spdlog::warn("skipping run {}: {}", id, run.status().message());
      if (problems != nullptr) problems->push_back(run.status().message());
      continue;
    }
    runs.push_back(std::move(run).value());
  }
  // Ids carry whole seconds only: runs started within one second are ordered by start time.
  std::stable_sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.started < b.started;
  });
  return runs;
}

}  // namespace reco::registry
