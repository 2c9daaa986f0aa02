// RecordRun: a succeeded training run of given model files, recorded in a data dir and registered
// in its model registry, for tests that need registered versions.
//
// Thread-safety: call from the test thread. Lifetime: no state; the run lives in the data dir.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/time.h"
#include "models/model_files.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::testing {

struct RecordRunOptions {
  std::string algorithm = "popularity+latest+itemcf";
  std::map<std::string, std::string> params;  // the run's settings
  std::map<std::string, double> metrics;      // e.g. {"ndcg@10", 0.12}
  TimestampUs duration = 30 * kMicrosPerSecond;
};

// Starts a run at clock's now, lists `files` (under `data`/models) as its artifacts, advances
// the clock by options.duration, finishes and registers it; returns the run id. Failures are
// recorded as test failures ("" when the run could not start).
inline std::string RecordRun(const std::filesystem::path& data, const std::vector<ModelFile>& files,
                             FakeClock& clock, const RecordRunOptions& options = {}) {
  registry::RunTracker tracker(data, clock, {.seed = static_cast<uint64_t>(clock.NowMicros())});
  Result<registry::RunRecord> run = tracker.Start(options.algorithm, options.params);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  if (!run.ok()) return "";
  for (const ModelFile& f : files) {
    std::string rel = "models/" + f.path.filename().string();
    run->artifacts.push_back(registry::DescribeArtifact(data, rel, f.kind).value());
  }
  for (const auto& [name, value] : options.metrics) run->metrics[name] = value;
  clock.Advance(options.duration);
  EXPECT_TRUE(tracker.Finish(*run, Status::Ok()).ok());
  EXPECT_TRUE(registry::ModelRegistry(data, clock).Register(*run).ok());
  return run->run_id;
}

}  // namespace reco::testing
