// Recommender::RecommendScenario: quotas, each filter, the ranker, diversity and MMR reranks and
// the fallback chain when a source has no model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/model_files.h"
#include "models/popularity.h"
#include "serving/recommender.h"
#include "serving/testing/fit_models.h"

namespace reco {
namespace {

// Visible items by popularity: e(6) a(5) b(4) c(3) d(2); f is hidden and the most liked (8);
// g and h have no feedback and are the newest (latest: g h f e d c b a). a<->b and c<->d are
// liked together. Categories: a b h {x}, c d {y}, e {x, y}, g {z}, f {x}.
class ScenarioRecommendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("a", 100, {"x"}, R"(["red"])");
    Add("b", 200, {"x"}, R"(["red","big"])");
    Add("c", 300, {"y"}, R"({"brand":"acme"})");
    Add("d", 400, {"y"}, R"(["big"])");
    Add("e", 500, {"x", "y"}, "null");
    Add("f", 600, {"x"}, R"(["red"])", /*hidden=*/true);
    Add("h", 650, {"x"}, "null");
    Add("g", 700, {"z"}, "null");
    Like("ab", 2, {"a", "b"});
    Like("a", 3, {"a"});
    Like("b", 2, {"b"});
    Like("cd", 2, {"c", "d"});
    Like("c", 1, {"c"});
    Like("e", 6, {"e"});
    Like("f", 8, {"f"});
    for (const Feedback& f : feedback_) state_.ApplyFeedback(f);
    state_.ResetLiveCounts();
  }
  void Add(const char* id, int64_t ts, std::vector<std::string> cats, const char* labels,
           bool hidden = false) {
    Item it;
    it.item_id = id;
    it.timestamp = ts * kMicrosPerSecond;
    it.categories = std::move(cats);
    it.labels_json = labels;
    it.is_hidden = hidden;
    items_.push_back(it);
    state_.UpsertItem(it);
  }
  void Like(const std::string& prefix, int users, std::vector<const char*> items) {
    for (int u = 0; u < users; ++u) {
      for (const char* item : items) {
        feedback_.push_back({"like", prefix + std::to_string(u), item, 1.0, kMicrosPerSecond, ""});
      }
    }
  }
  void LoadModels(std::optional<UserRecsModel> recs = std::nullopt) {
    ModelSet set = testing::FitWorldModels(items_, feedback_);
    set.recs = std::move(recs);
    holder_.Set(ModelBundle::Build(set, state_, 7));
  }
  // Per-user lists of `algorithm` for user "u": d then c.
  static UserRecsModel RecsForU(const std::string& algorithm) {
    return std::move(
               UserRecsModel::Build({"u"}, {"c", "d"}, {{{1, 0.9f}, {0, 0.8f}}}, algorithm, {}))
        .value();
  }
  static ScenarioConfig Make(std::vector<RecallSpec> recall,
                             std::vector<RecallSourceKind> fallback = {}) {
    ScenarioConfig s;
    s.name = "test";
    s.recall = std::move(recall);
    s.fallback = std::move(fallback);
    return s;
  }
  RecommendResult Run(const ScenarioConfig& s, std::string_view user, int n = 10,
                      std::vector<std::string> exclude = {}, std::string_view context = "",
                      int offset = 0) {
    ScenarioRequest q{
        .scenario = &s, .user_id = user, .context_item = context, .n = n, .offset = offset};
    for (const auto& id : exclude) q.exclude.push_back(*state_.FindItem(id));
    std::shared_ptr<const ModelBundle> bundle = holder_.Get();
    return rec_.RecommendScenario(bundle.get(), q);
  }
  static std::vector<std::string> Ids(const RecommendResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.items) out.push_back(s.id);
    return out;
  }
  static bool Has(const RecommendResult& r, std::string_view reason) {
    return std::find(r.degraded.begin(), r.degraded.end(), reason) != r.degraded.end();
  }

  std::vector<Item> items_;
  std::vector<Feedback> feedback_;
  OnlineState state_{OnlineStateOptions{}};
  BundleHolder holder_;
  Recommender rec_{state_, holder_, RecommenderOptions{}, nullptr};
};

using K = RecallSourceKind;
using V = std::vector<std::string>;

TEST_F(ScenarioRecommendTest, SourcesContributeInOrderUpToTheirQuotas) {
  LoadModels();
  const ScenarioConfig s = Make({{K::kLatest, 2}, {K::kPopular, 2}});
  RecommendResult r = Run(s, "nobody");
  EXPECT_EQ(Ids(r), (V{"g", "h", "e", "a"}));
  EXPECT_TRUE(r.degraded.empty());
  EXPECT_EQ(r.SourceOf(0), "latest");
  EXPECT_EQ(r.SourceOf(2), "popular");
  // n below the pool: the best n of it.
  EXPECT_EQ(Ids(Run(s, "nobody", 3)), (V{"g", "h", "e"}));
  // offset pages through the same list.
  EXPECT_EQ(Ids(Run(s, "nobody", 2, {}, "", 2)), (V{"e", "a"}));
}

TEST_F(ScenarioRecommendTest, ItemCfUsesHistoryAndSkipsSeenAndTakenItems) {
  LoadModels();
  state_.ApplyFeedback({"like", "u", "a", 1.0, 0, ""});
  const ScenarioConfig s = Make({{K::kItemCf, 5}, {K::kPopular, 5}});
  EXPECT_EQ(Ids(Run(s, "u")), (V{"b", "e", "c", "d"}));
  // A page's item counts as the newest history and is not served on its own page.
  EXPECT_EQ(Ids(Run(Make({{K::kItemCf, 5}}), "nobody", 10, {}, "c")), (V{"d"}));
}

TEST_F(ScenarioRecommendTest, SeenFilterCanBeTurnedOff) {
  LoadModels();
  state_.ApplyFeedback({"like", "u", "a", 1.0, 0, ""});
  state_.ResetLiveCounts();  // keeps the popularity order of the models
  ScenarioConfig s = Make({{K::kPopular, 3}});
  EXPECT_EQ(Ids(Run(s, "u")), (V{"e", "b", "c"}));
  s.filters.exclude_seen = false;
  EXPECT_EQ(Ids(Run(s, "u")), (V{"e", "a", "b"}));
}

TEST_F(ScenarioRecommendTest, CategoryFilterKeepsItemsOfAnyListedCategory) {
  LoadModels();
  ScenarioConfig s = Make({{K::kPopular, 10}}, {K::kLatest});
  s.filters.categories = {"y"};
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "c", "d"}));  // the fallback obeys it too
  s.filters.categories = {"z", "y"};
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "c", "d", "g"}));
  s.filters.categories = {"no_such"};
  EXPECT_TRUE(Run(s, "nobody").items.empty());
}

TEST_F(ScenarioRecommendTest, LabelFilterMatchesAnyOrAll) {
  LoadModels();
  ScenarioConfig s = Make({{K::kPopular, 10}});
  s.filters.labels = {"big", "brand:acme"};
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"b", "c", "d"}));
  s.filters.labels = {"red", "big"};
  s.filters.labels_match = LabelMatch::kAll;
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"b"}));  // f has "red" too but is hidden
  s.filters.labels = {"red", "unknown"};
  EXPECT_TRUE(Run(s, "nobody").items.empty());
  s.filters.labels_match = LabelMatch::kAny;
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"a", "b"}));
  // A label given by an item update takes effect at once.
  state_.PatchItem("e", ItemPatch{.labels_json = R"(["red"])"});
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "a", "b"}));
}

TEST_F(ScenarioRecommendTest, RequestExcludeListAndHiddenItemsAreNeverServed) {
  LoadModels();
  const ScenarioConfig s = Make({{K::kPopular, 10}, {K::kLatest, 10}});
  RecommendResult r = Run(s, "nobody", 10, {"e", "g"});
  EXPECT_EQ(Ids(r), (V{"a", "b", "c", "d", "h"}));
}

TEST_F(ScenarioRecommendTest, DiversityRerankCapsCategoriesInTheWindow) {
  LoadModels();
  ScenarioConfig s = Make({{K::kPopular, 10}, {K::kLatest, 10}});
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "a", "b", "c", "d", "g", "h"}));
  s.rerank = {.kind = RerankKind::kDiversity, .window = 4, .max_per_category = 2};
  RecommendResult r = Run(s, "nobody");
  EXPECT_EQ(Ids(r), (V{"e", "a", "c", "g", "b", "d", "h"}));
  // In the top 4 no category has more than 2 items.
  std::map<std::string, int> counts;
  for (size_t i = 0; i < 4; ++i) {
    for (const auto& it : items_) {
      if (it.item_id != r.items[i].id) continue;
      for (const auto& c : it.categories) ++counts[c];
    }
  }
  ASSERT_FALSE(counts.empty());
  for (const auto& [category, count] : counts) EXPECT_LE(count, 2) << category;
}

TEST_F(ScenarioRecommendTest, MmrRerankBringsDissimilarItemsForward) {
  LoadModels();
  ScenarioConfig s = Make({{K::kPopular, 10}, {K::kLatest, 10}});
  s.rerank = {.kind = RerankKind::kMmr, .window = 3, .lambda = 0.0};
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "g", "a", "b", "c", "d", "h"}));
  s.rerank.lambda = 1.0;
  EXPECT_EQ(Ids(Run(s, "nobody")), (V{"e", "a", "b", "c", "d", "g", "h"}));
}

TEST_F(ScenarioRecommendTest, SourcesWithoutModelsFallBackAlongTheChain) {
  // No models at all: item-CF, the per-user lists and the popularity model are missing; the
  // live counters are empty, so latest fills.
  const ScenarioConfig s = Make({{K::kItemCf, 10}, {K::kUserRecs, 10}}, {K::kPopular, K::kLatest});
  RecommendResult r = Run(s, "nobody", 3);
  EXPECT_EQ(Ids(r), (V{"g", "h", "e"}));
  EXPECT_TRUE(Has(r, "itemcf_model_missing"));
  EXPECT_TRUE(Has(r, "recs_model_missing"));
  EXPECT_TRUE(Has(r, "popularity_model_missing"));
  EXPECT_TRUE(Has(r, "fallback_latest"));
  EXPECT_FALSE(Has(r, "fallback_popular"));
  // With models: a cold user has no history for item-CF; popular fills.
  LoadModels();
  RecommendResult cold = Run(s, "nobody", 3);
  EXPECT_EQ(Ids(cold), (V{"e", "a", "b"}));
  EXPECT_TRUE(Has(cold, "cold_user"));
  EXPECT_TRUE(Has(cold, "fallback_popular"));
  // Swing lists exist only when the tuned algorithm is swing.
  LoadModels(RecsForU("ials"));
  RecommendResult swing = Run(Make({{K::kSwing, 5}}, {K::kPopular}), "u", 2);
  EXPECT_TRUE(Has(swing, "swing_model_missing"));
  EXPECT_EQ(Ids(swing), (V{"e", "a"}));
  LoadModels(RecsForU("swing"));
  EXPECT_EQ(Ids(Run(Make({{K::kSwing, 5}}, {K::kPopular}), "u", 2)), (V{"d", "c"}));
}

TEST_F(ScenarioRecommendTest, RankerOrdersCandidatesByItsListWhenTrained) {
  ScenarioConfig s = Make({{K::kPopular, 5}});
  s.ranker = RankerKind::kLearned;
  LoadModels(RecsForU("ials"));
  RecommendResult plain = Run(s, "u");
  EXPECT_EQ(Ids(plain), (V{"e", "a", "b", "c", "d"}));
  EXPECT_TRUE(Has(plain, "ranker_model_missing"));
  LoadModels(RecsForU("ranker"));
  RecommendResult ranked = Run(s, "u");
  EXPECT_EQ(Ids(ranked), (V{"d", "c", "e", "a", "b"}));
  EXPECT_FALSE(Has(ranked, "ranker_model_missing"));
}

TEST_F(ScenarioRecommendTest, SameStepsAsThePlainRouteGiveTheSameList) {
  LoadModels();
  state_.ApplyFeedback({"like", "u", "c", 1.0, 0, ""});
  const ScenarioConfig s = Make({{K::kItemCf, 3}}, {K::kCategoryPopular, K::kPopular, K::kLatest});
  for (int n : {1, 3, 6}) {
    EXPECT_EQ(Ids(Run(s, "u", n)), Ids(rec_.Recommend("u", "", n, 0))) << n;
  }
}

}  // namespace
}  // namespace reco
