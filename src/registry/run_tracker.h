// Run tracking: one record per training run (params, metrics, data snapshot, code version,
// artifacts with sha256, timings), stored as DATA_DIR/runs/<run_id>.json, written atomically.
//
// Thread-safety: RunTracker is safe from several threads and processes as long as each run id
// is updated by one writer at a time (the run's owner). Lifetime: the Clock must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "core/time.h"
#include "core/version.h"

namespace reco::registry {

// A file a run produced, e.g. {"models/itemcf-20261124T030000000000Z.rmdl", "itemcf", ...}.
struct RunArtifact {
  std::string path;  // relative to the data dir, '/'-separated
  std::string kind;
  uint64_t bytes = 0;
  std::string sha256;  // lowercase hex of the whole file
};

// What the run was trained on.
struct DataSnapshot {
  std::string snapshot_id;                        // Dataset::snapshot_id()
  std::map<std::string, std::string> watermarks;  // source -> watermark (extract state)
  std::map<std::string, int64_t> row_counts;      // "users", "items", "positives", ...
};

enum class RunStatus { kRunning, kSucceeded, kFailed };
std::string_view RunStatusName(RunStatus status);  // "running", "succeeded", "failed"

struct RunRecord {
  std::string run_id;
  RunStatus status = RunStatus::kRunning;
  TimestampUs started = 0;
  TimestampUs finished = 0;  // 0 while running
  double duration_seconds = 0;
  std::string algorithm;                      // e.g. "popularity+latest+itemcf"
  std::map<std::string, std::string> params;  // settings, as text
  std::map<std::string, double> metrics;
  DataSnapshot data;
  std::string code_version = CodeVersion();
  std::string reco_version = RecoVersion();
  std::vector<RunArtifact> artifacts;
  std::string error;  // why a failed run failed
};

// "20261124T030000Z-1a2b3c": the start time in UTC (sorts by time) and 6 hex digits.
std::string MakeRunId(TimestampUs started, uint32_t suffix);
// Ok for ids made by MakeRunId and any other [A-Za-z0-9_.-] name of 1..128 characters that does
// not start with '.'; InvalidArgument naming `field` otherwise (ids reach file names).
Status ValidateRunId(std::string_view run_id, std::string_view field = "run_id");

// JSON form of a record (the runs/<id>.json file and the REST body).
void WriteRunJson(JsonWriter& w, const RunRecord& run);
std::string RunToJson(const RunRecord& run);
// Parses RunToJson's output; `name` (the file) appears in every error (DataLoss).
Result<RunRecord> RunFromJson(std::string_view json, std::string_view name);

// Size and sha256 of DATA_DIR/relative_path, streamed (model files can be large).
Result<RunArtifact> DescribeArtifact(const std::filesystem::path& data_dir,
                                     const std::string& relative_path, std::string kind);
// Streams the file through SHA-256; NotFound when it cannot be opened.
Result<std::string> Sha256File(const std::filesystem::path& path, uint64_t* bytes = nullptr);

struct RunTrackerOptions {
  // Seed of the run id suffixes; 0 = from std::random_device. Tests pass a fixed seed.
  uint64_t seed = 0;
};

class RunTracker {
 public:
  RunTracker(std::filesystem::path data_dir, const Clock& clock, RunTrackerOptions options = {});

  // Creates runs/<new id>.json with status "running" and started = now.
  Result<RunRecord> Start(std::string algorithm, std::map<std::string, std::string> params);
  // Sets finished, duration and status (succeeded when `outcome` is ok, else failed with its
  // message) and saves.
  Status Finish(RunRecord& run, const Status& outcome);
  // Writes the record as it is (atomic replace).
  Status Save(const RunRecord& run);
  // Merges `metrics` into the stored record (e.g. offline evaluation after training).
  Status AddMetrics(std::string_view run_id, const std::map<std::string, double>& metrics);

  // NotFound "run R not found (no runs/R.json in DIR)"; DataLoss for an unreadable file.
  Result<RunRecord> Get(std::string_view run_id) const;
  // All runs, oldest first. A file that does not parse is skipped with a warning and its
  // error appended to `problems` (when given), so one bad file does not hide the others.
  Result<std::vector<RunRecord>> List(std::vector<std::string>* problems = nullptr) const;

  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path runs_dir() const { return data_dir_ / "runs"; }
  std::filesystem::path RunPath(std::string_view run_id) const;

 private:
  uint32_t NextSuffix();

  std::filesystem::path data_dir_;
  const Clock& clock_;
  uint64_t seed_;
  std::mutex mu_;
  bool seeded_ = false;  // seeded on the first Start(): readers never touch the RNG
  std::mt19937_64 rng_;
};

}  // namespace reco::registry
