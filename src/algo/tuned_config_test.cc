// TunedConfig files: round trip, and errors that name the file and line.
#include "algo/tuned_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "data/testing/temp_dir.h"

namespace reco::algo {
namespace {

std::filesystem::path Write(const reco::testing::TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "model.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(TunedConfig, SaveThenLoadRoundTrips) {
  reco::testing::TempDir dir("tuned_config");
  TunedConfig config;
  config.algo = "blend";
  config.settings = {{"blend.components", "rp3beta,itemcf"},
                     {"blend.weights", "0.7,0.3"},
                     {"rp3beta.beta", "0.12"},
                     {"itemcf.neighbors", "50"}};
  config.train_file = "/data/train \"quoted\".txt";
  config.metric = "ndcg@20";
  config.validation_value = 0.1234;
  config.trials = 57;
  config.seconds = 1190.5;
  config.seed = 3;
  const auto path = dir.path() / "model.toml";
  ASSERT_TRUE(SaveTunedConfig(path, config).ok());
  Result<TunedConfig> loaded = LoadTunedConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->algo, "blend");
  auto sorted = config.settings;
  std::sort(sorted.begin(), sorted.end());
  auto got = loaded->settings;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, sorted);
  EXPECT_EQ(loaded->train_file, config.train_file);
  EXPECT_EQ(loaded->metric, "ndcg@20");
  EXPECT_DOUBLE_EQ(loaded->validation_value, 0.1234);
  EXPECT_EQ(loaded->trials, 57);
  EXPECT_DOUBLE_EQ(loaded->seconds, 1190.5);
  EXPECT_EQ(loaded->seed, 3u);
}

TEST(TunedConfig, ReadsTheDocumentedFormat) {
  reco::testing::TempDir dir("tuned_config");
  Result<TunedConfig> loaded = LoadTunedConfig(Write(dir,
                                                     "[algorithm]\n"
                                                     "name = \"rp3beta\"\n"
                                                     "[settings]\n"
                                                     "\"rp3beta.beta\" = \"0.12\"\n"
                                                     "[tune]\n"
                                                     "train = \"t.txt\"\nmetric = \"ndcg@20\"\n"
                                                     "validation = 0.5\ntrials = 2\n"
                                                     "seconds = 1\nseed = 1\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->algo, "rp3beta");
  ASSERT_EQ(loaded->settings.size(), 1u);
  EXPECT_EQ(loaded->settings[0], (Setting{"rp3beta.beta", "0.12"}));
}

TEST(TunedConfig, ErrorsNameTheFileAndLine) {
  reco::testing::TempDir dir("tuned_config");
  const std::string head = "[algorithm]\nname = \"rp3beta\"\n";
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {head + "[tune]\nbogus = 1\n", "model.toml:4: unknown key \"bogus\" in [tune]"},
      {head + "[extra]\nx = 1\n", "model.toml:3: unknown key \"extra\""},
      {head + "[settings]\n\"rp3beta.beta\" = 0.1\n", "model.toml:4: setting \"rp3beta.beta\""},
      {head + "[settings]\n\"rp3beta.nope\" = \"1\"\n", "rp3beta.nope"},
      {head + "[tune]\ntrials = \"x\"\n", "model.toml:4: [tune] trials has the wrong type"},
      {"[algorithm]\nname = \n", "model.toml:2:"},
      {"[settings]\n", "[algorithm] name is missing"},
      {"[algorithm]\nname = \"nope\"\n", "unknown algorithm \"nope\""},
  };
  for (const Case& c : cases) {
    Result<TunedConfig> loaded = LoadTunedConfig(Write(dir, c.text));
    ASSERT_FALSE(loaded.ok()) << c.text;
    EXPECT_NE(loaded.status().ToString().find(c.expected), std::string::npos)
        << loaded.status().ToString();
  }
  EXPECT_EQ(LoadTunedConfig(dir.path() / "missing.toml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::algo
