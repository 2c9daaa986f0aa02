#include "tests/integration/registry_fixtures.h"

#include <gtest/gtest.h>

#include "registry/model_registry.h"
#include "registry/run_tracker.h"

namespace reco::itest {

std::vector<std::vector<ModelFile>> TrainingOutputs(const std::filesystem::path& data) {
  std::map<TimestampUs, std::vector<ModelFile>> by_created;
  Result<std::vector<ModelFile>> files = ListModelFiles(data / "models");
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  if (!files.ok()) return {};
  for (const ModelFile& f : *files) {
    by_created[f.created].push_back(f);
  }
  std::vector<std::vector<ModelFile>> out;
  for (auto& [created, files] : by_created) out.push_back(files);
  return out;
}

std::string RecordRun(const std::filesystem::path& data, const std::vector<ModelFile>& files,
                      FakeClock& clock, const RecordRunOptions& options) {
  registry::RunTracker tracker(data, clock, {.seed = static_cast<uint64_t>(clock.NowMicros())});
  Result<registry::RunRecord> run = tracker.Start("popularity+latest+itemcf", options.params);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  if (!run.ok()) return "";
  for (const ModelFile& f : files) {
    std::string rel = "models/" + f.path.filename().string();
    run->artifacts.push_back(registry::DescribeArtifact(data, rel, f.kind).value());
  }
  for (const auto& [name, value] : options.metrics) run->metrics[name] = value;
  clock.Advance(30 * kMicrosPerSecond);
  EXPECT_TRUE(tracker.Finish(*run, Status::Ok()).ok());
  EXPECT_TRUE(registry::ModelRegistry(data, clock).Register(*run).ok());
  return run->run_id;
}

}  // namespace reco::itest
