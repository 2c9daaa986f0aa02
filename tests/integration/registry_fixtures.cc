#include "tests/integration/registry_fixtures.h"

#include <gtest/gtest.h>

#include <map>

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

}  // namespace reco::itest
