// The cold-items and warm-start measurements of vector recall: on a small catalogue whose
// titles tell the users' tastes apart, and on ml-latest-small when ../shared/datasets has it.
#include "algo/content_eval.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "data/loader.h"

namespace reco::algo {
namespace {

// Three title families of 20 items; each of 90 users likes 8 items of one family.
struct Small {
  Dataset data;
  std::vector<content::TextDocument> texts;
};

Small Families() {
  const char* families[] = {"Star Wars Episode", "Toy Story Part", "Pride Prejudice Chapter"};
  Small s;
  DatasetBuilder b;
  for (int f = 0; f < 3; ++f) {
    for (int k = 0; k < 20; ++k) {
      const std::string id = "f" + std::to_string(f) + "_" + std::to_string(k);
      b.AddItem(id);
      s.texts.push_back({id, std::string(families[f]) + " " + std::to_string(k)});
    }
  }
  for (int u = 0; u < 90; ++u) {
    const uint32_t user = b.AddUser("u" + std::to_string(u));
    const int f = u % 3;
    for (int k = 0; k < 8; ++k) {
      const uint32_t item = static_cast<uint32_t>(f * 20 + (u * 7 + k * 3) % 20);
      b.AddPositive(user, item, (k + 1) * kMicrosPerSecond);
    }
  }
  s.data = std::move(b).Build();
  return s;
}

const ContentEvalRow& Row(const std::vector<ContentEvalRow>& rows, std::string_view prefix) {
  for (const ContentEvalRow& r : rows) {
    if (r.method.starts_with(prefix)) return r;
  }
  ADD_FAILURE() << "no row " << prefix;
  return rows.front();
}

ContentEvalOptions Options() {
  ContentEvalOptions o;
  o.text.num_threads = 1;
  o.text.dimension = 8;
  return o;
}

TEST(ContentEval, TextVectorsFindWithheldItemsOfTheUsersFamily) {
  const Small s = Families();
  ContentEvalOptions o = Options();
  o.k = 3;  // fewer than the withheld items, so that the order matters
  Result<ColdItemsReport> r = EvaluateColdItems(s.data, s.texts, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->withheld_items, 6u);
  EXPECT_EQ(r->withheld_with_text, r->withheld_items);
  EXPECT_GT(r->users, 0u);
  ASSERT_EQ(r->rows.size(), 5u);
  const ContentEvalRow& text = Row(r->rows, "text vectors, mean of the 20");
  const ContentEvalRow& random = Row(r->rows, "random");
  // Only withheld items of the user's family are relevant: the text ranks them first.
  EXPECT_GT(text.recall, 2 * random.recall) << text.recall << " vs " << random.recall;
  EXPECT_GT(text.ndcg, random.ndcg) << text.ndcg << " vs " << random.ndcg;
}

TEST(ContentEval, WarmStartGivesTheLastPlacesToVectors) {
  const Small s = Families();
  ContentEvalOptions o = Options();
  o.k = 5;
  o.shares = {0.0, 1.0};
  ScorerFit fit = [](const Dataset& train) -> Result<std::unique_ptr<eval::Scorer>> {
    RECO_ASSIGN_OR_RETURN(FittedScorer fitted, FitScorer("popular", train, {}));
    return std::move(fitted.scorer);
  };
  Result<WarmStartReport> r = EvaluateWarmStart(s.data, s.texts, fit, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_GT(r->users, 0u);
  // Share 1: every place is vector recall's, so the row equals vector recall alone.
  EXPECT_DOUBLE_EQ(r->rows[1].ndcg, r->rows[2].ndcg);
  // Popularity ignores the family, vectors do not.
  EXPECT_GT(r->rows[2].ndcg, r->rows[0].ndcg);
}

TEST(ContentEval, MlLatestSmall) {
  const std::filesystem::path dir =
      std::filesystem::path(RECO_SOURCE_DIR "/../shared/datasets") / "ml-latest-small";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "ml-latest-small dataset absent: " << dir;
  Result<std::vector<content::TextDocument>> texts =
      ItemTexts(dir, ingest::ImportFormat::kMovieLens);
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  EXPECT_EQ(texts->size(), 9742u);
  Result<ColdItemsReport> r = EvaluateColdItems(
      [&] {
        Result<Dataset> d = LoadDataset(dir, ingest::ImportFormat::kMovieLens);
        EXPECT_TRUE(d.ok()) << d.status().ToString();
        return std::move(d).value();
      }(),
      *texts, ContentEvalOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->withheld_items, 1260u);
  // The figures of docs/quality.md: the text vectors find several times random's share.
  const ContentEvalRow& text = Row(r->rows, "text vectors, mean of the 20");
  const ContentEvalRow& random = Row(r->rows, "random");
  EXPECT_GT(text.recall, 5 * random.recall) << text.recall << " vs " << random.recall;
  EXPECT_NEAR(text.recall, 0.1362, 0.01);
}

}  // namespace
}  // namespace reco::algo
