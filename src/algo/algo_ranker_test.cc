#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"
#include "rank/ranker.h"

namespace reco::algo {
namespace {

std::vector<Setting> Small() {
  return {{"ranker.sources", "itemcf,popular"},
          {"ranker.rounds", "5"},
          {"ranker.threads", "1"},
          {"itemcf.neighbors", "20"}};
}

TEST(RankerAlgorithm, RoutesSourceSettingsAndRejectsOthersByName) {
  EXPECT_TRUE(CheckScorerSettings("ranker", Small()).ok());
  std::vector<Setting> s = Small();
  s.emplace_back("rp3beta.beta", "0.5");  // not a listed source
  Status st = CheckScorerSettings("ranker", s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("rp3beta.beta"), std::string::npos) << st.ToString();
  s = Small();
  s.emplace_back("itemcf.neighbors", "many");
  EXPECT_NE(CheckScorerSettings("ranker", s).message().find("itemcf.neighbors"), std::string::npos);
  st = CheckScorerSettings("ranker", {{"ranker.rounds", "0"}});
  EXPECT_NE(st.message().find("ranker.rounds"), std::string::npos) << st.ToString();
  st = CheckScorerSettings("ranker", {{"ranker.sources", "itemcf,blend"}});
  EXPECT_NE(st.message().find("blend"), std::string::npos) << st.ToString();
}

TEST(RankerAlgorithm, FitsThroughTheTableAndSavesAModelThatScoresTheSame) {
  Dataset d = testing::RandomLikesDataset(60, 30, 8, 5);
  Result<FittedScorer> fitted = FitScorer("ranker", d, Small());
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EXPECT_EQ(fitted->algo, "ranker");
  EXPECT_EQ(fitted->options.front(), (Setting{"ranker.sources", "itemcf,popular"}));
  testing::TempDir dir("algo_ranker_test");
  ASSERT_TRUE(fitted->scorer->Save(dir.path() / "r.model", 7).ok());
  Result<rank::RankerModel> loaded = rank::RankerModel::Load(dir.path() / "r.model");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (uint32_t u = 0; u < 60; u += 11) {
    std::vector<float> a(30), b(30);
    fitted->scorer->Score(u, d.UserItems(u), a);
    ASSERT_TRUE(loaded->ScoreItems(u, d.UserItems(u), b).ok());
    EXPECT_EQ(a, b);
    for (uint32_t h : d.UserItems(u)) EXPECT_EQ(a[h], rank::RankerModel::kNotCandidate);
  }
}

TEST(RankerAlgorithm, ItemTextGivesTheContentFeaturesTheirInputs) {
  Dataset d = testing::RandomLikesDataset(60, 30, 8, 5);
  testing::TempDir dir("algo_ranker_text");
  {
    std::ofstream movies(dir.path() / "movies.csv");
    movies << "movieId,title,genres\n";
    const char* words[] = {"Star Wars", "Toy Story", "Red Mansions"};
    for (int i = 0; i < 30; ++i) {
      movies << "i" << i << ",\"" << words[i % 3] << " " << i << " (2000)\",Drama\n";
    }
    std::ofstream ratings(dir.path() / "ratings.csv");
    ratings << "userId,movieId,rating,timestamp\nu0,i0,4.0,946684800\n";
  }
  std::vector<Setting> s = Small();
  s.emplace_back("ranker.item_text", dir.path().string());
  Result<FittedScorer> fitted = FitScorer("ranker", d, s);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  ASSERT_TRUE(fitted->scorer->Save(dir.path() / "r.model", 7).ok());
  Result<rank::RankerModel> loaded = rank::RankerModel::Load(dir.path() / "r.model");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_NE(loaded->content(), nullptr);
  size_t with_vectors = 0;
  for (uint8_t v : loaded->content()->has_vector) with_vectors += v;
  EXPECT_EQ(with_vectors, 30u);
  EXPECT_FALSE(loaded->content()->Words(0).empty());

  // A path that holds no item texts fails the fit, naming the setting.
  s.back().second = (dir.path() / "absent").string();
  Result<FittedScorer> bad = FitScorer("ranker", d, s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("ranker.item_text"), std::string::npos)
      << bad.status().ToString();
  EXPECT_EQ(CheckScorerSettings("ranker", {{"ranker.item_text", ""}}).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::algo
