#include "training/algorithm_choice.h"

#include <gtest/gtest.h>

#include <fstream>

#include "data/testing/temp_dir.h"

namespace reco::training {
namespace {

TEST(ModelChoiceParams, RoundTripAndItemCfFallback) {
  AlgorithmChoice choice{"rp3beta", {{"rp3beta.beta", "0.5"}}, "x"};
  AlgorithmChoice back = ChoiceFromParams(ChoiceParams(choice));
  EXPECT_EQ(back.algo, "rp3beta");
  EXPECT_EQ(back.settings, choice.settings);
  AlgorithmChoice old = ChoiceFromParams({{"itemcf_neighbors", "50"}, {"num_threads", "0"}});
  EXPECT_EQ(old.algo, "itemcf");
  EXPECT_EQ(old.settings, (std::vector<eval::Setting>{{"itemcf.neighbors", "50"}}));
}

TEST(ModelConfigChoice, UnsetIsNoChoice) {
  Result<std::optional<AlgorithmChoice>> choice = ModelConfigChoice(RecoConfig{}, "/data");
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_FALSE(choice->has_value());
  EXPECT_TRUE(ModelConfigPath(RecoConfig{}, "/data").empty());
}

TEST(ModelConfigChoice, ReadsATunedConfigRelativeToTheDataDir) {
  testing::TempDir dir("algorithm_choice");
  std::ofstream(dir.path() / "tuned.toml")
      << "[algorithm]\nname = \"rp3beta\"\n[settings]\n\"rp3beta.beta\" = \"0.4\"\n";
  RecoConfig config;
  config.recommend.model_config = "tuned.toml";
  EXPECT_EQ(ModelConfigPath(config, dir.path()), dir.path() / "tuned.toml");
  Result<std::optional<AlgorithmChoice>> choice = ModelConfigChoice(config, dir.path());
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  ASSERT_TRUE(choice->has_value());
  EXPECT_EQ((*choice)->algo, "rp3beta");
  EXPECT_EQ((*choice)->settings, (std::vector<eval::Setting>{{"rp3beta.beta", "0.4"}}));
  EXPECT_NE((*choice)->source.find("recommend.model_config"), std::string::npos);
}

TEST(ModelConfigChoice, AMissingFileIsAnErrorNamingTheKeyAndTheFile) {
  testing::TempDir dir("algorithm_choice");
  RecoConfig config;
  config.recommend.model_config = "missing.toml";
  Result<std::optional<AlgorithmChoice>> choice = ModelConfigChoice(config, dir.path());
  ASSERT_FALSE(choice.ok());
  EXPECT_TRUE(choice.status().message().starts_with("recommend.model_config: "))
      << choice.status().ToString();
  EXPECT_NE(choice.status().message().find("missing.toml"), std::string::npos);
}

TEST(SettingsWithThreads, AddsTheThreadCountOnlyWhereTheAlgorithmTakesIt) {
  AlgorithmChoice itemcf{"itemcf", {{"itemcf.neighbors", "20"}}, "test"};
  EXPECT_EQ(SettingsWithThreads(itemcf, 3),
            (std::vector<eval::Setting>{{"itemcf.neighbors", "20"}, {"itemcf.threads", "3"}}));
  EXPECT_EQ(SettingsWithThreads(itemcf, 0), itemcf.settings);
  AlgorithmChoice popular{"popular", {}, "test"};
  EXPECT_TRUE(SettingsWithThreads(popular, 3).empty());
}

}  // namespace
}  // namespace reco::training
