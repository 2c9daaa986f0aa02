#include "content/text_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/file_util.h"

namespace reco::content {
namespace {

TextEmbedderOptions WordsOnly(int dimension, int min_df = 1) {
  TextEmbedderOptions o;
  o.dimension = dimension;
  o.min_df = min_df;
  o.features = {.ngram_min = 8, .ngram_max = 8};  // one-letter words: no grams at all
  o.num_threads = 1;
  return o;
}

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

float SparseDot(const SparseTerms& a, const SparseTerms& b) {
  float s = 0;
  for (const auto& [i, w] : a) {
    for (const auto& [j, v] : b) {
      if (i == j) s += w * v;
    }
  }
  return s;
}

TEST(TextEmbedder, TfIdfWeightsOfATinyCorpus) {
  const std::vector<TextDocument> docs = {{"1", "a b"}, {"2", "a c"}, {"3", "a a d"}};
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, WordsOnly(2));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  // Vocabulary by document frequency, then text: a (3), then b, c, d (1 each).
  ASSERT_EQ(model->vocabulary(), (std::vector<std::string>{"w:a", "w:b", "w:c", "w:d"}));
  // idf = ln((1 + N) / (1 + df)) + 1 with N = 3.
  EXPECT_NEAR(model->idf()[0], 1.0, 1e-6);
  EXPECT_NEAR(model->idf()[1], std::log(2.0) + 1.0, 1e-6);
  // "a b": a = 1·1, b = 1·1.693147, normalised by sqrt(1 + 1.693147²) = 1.966405.
  SparseTerms ab = model->Weights("a b");
  ASSERT_EQ(ab.size(), 2u);
  EXPECT_EQ(ab[0].first, 0u);
  EXPECT_NEAR(ab[0].second, 0.508542, 1e-5);
  EXPECT_NEAR(ab[1].second, 0.861037, 1e-5);
  // "a a d": tf(a) = 2 gives 1 + ln 2 = 1.693147; d = 1.693147: equal weights 1/sqrt(2).
  SparseTerms aad = model->Weights("a a d");
  ASSERT_EQ(aad.size(), 2u);
  EXPECT_NEAR(aad[0].second, 0.707107, 1e-5);
  EXPECT_NEAR(aad[1].second, 0.707107, 1e-5);
  // Unknown words are not features.
  EXPECT_TRUE(model->Weights("zzz").empty());
  EXPECT_TRUE(model->Embed("zzz").empty());
}

TEST(TextEmbedder, MinDfDropsRareFeatures) {
  const std::vector<TextDocument> docs = {{"1", "a b"}, {"2", "a c"}, {"3", "b"}};
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, WordsOnly(2, /*min_df=*/2));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->vocabulary(), (std::vector<std::string>{"w:a", "w:b"}));
  const std::vector<TextDocument> none = {{"1", "x"}, {"2", "y"}};
  Result<TextEmbedder> empty = TextEmbedder::Fit(none, WordsOnly(2, 2));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);
}

// With a dimension at least the rank of the TF-IDF matrix, the SVD keeps the documents' whole
// row space: the embeddings' cosines equal the TF-IDF cosines.
TEST(TextEmbedder, SvdOfFullRankKeepsTheCosinesOfTfIdf) {
  const std::vector<TextDocument> docs = {
      {"1", "a b c"}, {"2", "a b"}, {"3", "c d e"}, {"4", "e f"}, {"5", "a f"}};
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, WordsOnly(5));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->dimension(), 5u);
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::vector<float> ei = model->Embed(docs[i].text);
    ASSERT_EQ(ei.size(), 5u);
    EXPECT_NEAR(Dot(ei, ei), 1.0f, 1e-5f);
    for (size_t j = 0; j < docs.size(); ++j) {
      const std::vector<float> ej = model->Embed(docs[j].text);
      EXPECT_NEAR(Dot(ei, ej),
                  SparseDot(model->Weights(docs[i].text), model->Weights(docs[j].text)), 1e-4f)
          << i << "," << j;
    }
  }
}

TEST(TextEmbedder, ALowDimensionIsCappedByTheCatalogueAndGroupsSimilarTexts) {
  const std::vector<TextDocument> docs = {{"1", "机器学习 入门"}, {"2", "机器学习 实战"},
                                          {"3", "深度学习 入门"}, {"4", "红楼梦 小说"},
                                          {"5", "三国演义 小说"}, {"6", "西游记 小说"}};
  TextEmbedderOptions o;
  o.dimension = 64;
  o.min_df = 1;
  o.num_threads = 1;
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->dimension(), 6u);  // at most the number of documents
  // A new title: closest to the machine-learning books, not to the novels.
  const std::vector<float> q = model->Embed("机器学习 进阶");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_GT(Dot(q, model->Embed(docs[0].text)), Dot(q, model->Embed(docs[3].text)) + 0.2f);
  EXPECT_GT(Dot(q, model->Embed(docs[1].text)), Dot(q, model->Embed(docs[4].text)) + 0.2f);
}

TEST(TextEmbedder, OptionsAreValidatedNamingTheKey) {
  TextEmbedderOptions o;
  o.dimension = 0;
  Status st = ValidateTextEmbedderOptions(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "content.text_dimension");
  o.dimension = 8;
  o.min_df = 0;
  EXPECT_EQ(ValidateTextEmbedderOptions(o).field(), "content.text_min_df");
}

class TextEmbedderFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("textvec_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(TextEmbedderFileTest, SavesAndLoadsTheSameModel) {
  const std::vector<TextDocument> docs = {
      {"1", "toy story"}, {"2", "toy soldiers"}, {"3", "space story"}};
  TextEmbedderOptions o;
  o.dimension = 3;
  o.min_df = 1;
  o.num_threads = 1;
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::filesystem::path path = dir_ / "textvec-20260101T000000000000Z.rmdl";
  ASSERT_TRUE(model->Save(path, 1234).ok());
  Result<TextEmbedder> loaded = TextEmbedder::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->info().created, 1234);
  EXPECT_EQ(loaded->vocabulary(), model->vocabulary());
  EXPECT_EQ(loaded->Embed("toy story 2"), model->Embed("toy story 2"));
  EXPECT_EQ(loaded->Serialize(), model->Serialize());
}

TEST_F(TextEmbedderFileTest, AChangedByteFailsTheChecksum) {
  const std::vector<TextDocument> docs = {{"1", "toy story"}, {"2", "toy soldiers"}};
  TextEmbedderOptions o;
  o.dimension = 2;
  o.min_df = 1;
  o.num_threads = 1;
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::filesystem::path path = dir_ / "textvec-20260101T000000000000Z.rmdl";
  ASSERT_TRUE(model->Save(path, 1).ok());
  Result<std::string> bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  std::string changed = *bytes;
  changed[changed.size() - 5] ^= 0x01;  // inside the payload
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << changed;
  }
  Result<TextEmbedder> loaded = TextEmbedder::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("sha256"), std::string::npos)
      << loaded.status().message();
}

TEST(TextEmbedder, DeserializeRejectsInconsistentSizes) {
  const std::vector<TextDocument> docs = {{"1", "a b"}, {"2", "a c"}};
  Result<TextEmbedder> model = TextEmbedder::Fit(docs, WordsOnly(2));
  ASSERT_TRUE(model.ok());
  std::string payload = model->Serialize();
  payload.resize(payload.size() - 4);
  EXPECT_FALSE(TextEmbedder::Deserialize(payload).ok());
}

}  // namespace
}  // namespace reco::content
