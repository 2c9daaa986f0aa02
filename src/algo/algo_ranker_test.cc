#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "content/text_embedder.h"
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

// The catalogue's texts a training gives the fit (FitContext), with or without the text embedder
// the model version serves: the content features get their inputs with no ranker.item_text.
TEST(RankerAlgorithm, CatalogueTextsFromTheFitContextGiveTheContentFeaturesTheirInputs) {
  Dataset d = testing::RandomLikesDataset(60, 30, 8, 5);
  auto texts = std::make_shared<std::vector<content::TextDocument>>();
  const char* words[] = {"星球大战 Star Wars", "Toy Story", "红楼梦 Red Mansions"};
  for (int i = 0; i < 20; ++i) {  // items i20..i29 have no text
    texts->push_back(
        {"i" + std::to_string(i), std::string(words[i % 3]) + " " + std::to_string(i)});
  }
  testing::TempDir dir("algo_ranker_context");
  ASSERT_NE(d.ItemIndex("i0"), Dataset::kNoIndex);
  ASSERT_NE(d.ItemIndex("i25"), Dataset::kNoIndex);
  auto with_vectors = [&](const FitContext& context) -> size_t {
    Result<FittedScorer> fitted = FitScorer("ranker", d, Small(), context);
    EXPECT_TRUE(fitted.ok()) << fitted.status().ToString();
    if (!fitted.ok()) return 0;
    EXPECT_TRUE(fitted->scorer->Save(dir.path() / "r.model", 7).ok());
    Result<rank::RankerModel> loaded = rank::RankerModel::Load(dir.path() / "r.model");
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    if (!loaded.ok() || loaded->content() == nullptr) return 0;
    size_t n = 0;
    for (uint8_t v : loaded->content()->has_vector) n += v;
    EXPECT_FALSE(loaded->content()->Words(d.ItemIndex("i0")).empty());
    EXPECT_TRUE(loaded->content()->Words(d.ItemIndex("i25")).empty());
    return n;
  };
  EXPECT_EQ(with_vectors(FitContext{.item_texts = texts}), 20u);  // embedder fitted by the ranker

  content::TextEmbedderOptions options;
  options.dimension = 4;
  Result<content::TextEmbedder> embedder = content::TextEmbedder::Fit(*texts, options);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  FitContext context{
      .item_texts = texts,
      .text_embedder = std::make_shared<const content::TextEmbedder>(std::move(*embedder))};
  EXPECT_EQ(with_vectors(context), 20u);

  // No texts anywhere: the columns are missing values, the model has no content.
  Result<FittedScorer> plain = FitScorer("ranker", d, Small(), FitContext{});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE(plain->scorer->Save(dir.path() / "p.model", 7).ok());
  Result<rank::RankerModel> loaded = rank::RankerModel::Load(dir.path() / "p.model");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->content(), nullptr);
}

}  // namespace
}  // namespace reco::algo
