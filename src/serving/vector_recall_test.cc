// User-to-item vector recall: the query from the user's recent items (supplied before text), the
// request's filters during the search, the scenario source "vector" and its share of the plain
// route.
#include "serving/vector_recall.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "data/testing/temp_dir.h"
#include "serving/recommender.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco {
namespace {

using V = std::vector<std::string>;
using K = RecallSourceKind;

Item MakeItem(std::string id, std::string title, std::string category,
              std::string labels_extra = "") {
  Item item;
  item.item_id = std::move(id);
  item.labels_json = R"({"title": ")" + title + "\"" + labels_extra + "}";
  item.categories = {std::move(category)};
  item.timestamp = 1;
  return item;
}

// Four "Star Wars" items (scifi), four "Toy Story" items (kids), four 红楼梦 chapters (classic),
// the text model fitted on them.
class VectorRecallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenTempSqliteStore(dir_.path(), &store_));
    std::vector<Item> items;
    for (int k = 1; k <= 4; ++k) {
      const std::string n = std::to_string(k);
      items.push_back(MakeItem("war" + n, "Star Wars Episode " + n, "scifi"));
      items.push_back(MakeItem("toy" + n, "Toy Story Part " + n, "kids"));
      items.push_back(MakeItem("hlm" + n, "红楼梦 第" + n + "回", "classic"));
    }
    Write(items);
    content_ = std::make_unique<ContentIndexes>(*store_, state_, clock_, ContentOptions{});
    std::vector<content::TextDocument> docs;
    for (const Item& item : items) docs.push_back({item.item_id, content::ItemText(item)});
    content::TextEmbedderOptions o;
    o.num_threads = 1;
    Result<content::TextEmbedder> model = content::TextEmbedder::Fit(docs, o);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    ASSERT_TRUE(
        content_->Install(std::make_shared<const content::TextEmbedder>(std::move(model).value()))
            .ok());
  }
  void TearDown() override {
    recall_.reset();
    content_.reset();
    store_.reset();
  }
  void Write(const std::vector<Item>& items) {
    ASSERT_TRUE(store_->InsertItems(items).ok());
    for (const Item& item : items) state_.UpsertItem(item);
    if (content_ != nullptr) content_->ItemsWritten(items);
  }
  void Like(const std::string& user, const std::string& item, int64_t second) {
    state_.ApplyFeedback({"like", user, item, 1.0, second * kMicrosPerSecond, ""});
  }
  void Attach(VectorRecallOptions options = {}) {
    recall_ = std::make_unique<VectorRecall>(*content_, options);
    rec_.SetVectorRecall(recall_.get());
  }
  std::vector<uint32_t> Indices(const V& ids) {
    std::vector<uint32_t> out;
    for (const std::string& id : ids) out.push_back(*state_.FindItem(id));
    return out;
  }
  V IdsOf(const std::vector<ScoredIndex>& hits) {
    auto view = state_.View("");
    V out;
    for (const ScoredIndex& h : hits) out.push_back(view.ItemId(h.item));
    return out;
  }
  static V Ids(const RecommendResult& r) {
    V out;
    for (const ScoredId& s : r.items) out.push_back(s.id);
    return out;
  }
  static bool Has(const RecommendResult& r, std::string_view reason) {
    return std::find(r.degraded.begin(), r.degraded.end(), reason) != r.degraded.end();
  }
  static bool AllStartWith(const V& ids, std::string_view prefix) {
    return std::all_of(ids.begin(), ids.end(),
                       [&](const std::string& id) { return id.starts_with(prefix); });
  }
  RecommendResult Scenario(std::vector<RecallSpec> recall, std::string_view user, int n = 10,
                           std::string_view category = "") {
    ScenarioConfig s;
    s.name = "test";
    s.recall = std::move(recall);
    s.fallback = {};
    ScenarioRequest q{.scenario = &s, .user_id = user, .category = category, .n = n};
    return rec_.RecommendScenario(nullptr, q);
  }

  testing::TempDir dir_{"vector_recall"};
  SystemClock clock_;
  std::unique_ptr<Store> store_;
  OnlineState state_{OnlineStateOptions{}};
  std::unique_ptr<ContentIndexes> content_;
  std::unique_ptr<VectorRecall> recall_;
  BundleHolder holder_;
  Recommender rec_{state_, holder_, RecommenderOptions{}, nullptr};
};

TEST_F(VectorRecallTest, RecallsItemsCloseToTheRecentHistoryWithoutTheHistoryItself) {
  Attach();
  VectorRecallResult r = recall_->Recall(Indices({"war1", "war2"}), 2, nullptr);
  EXPECT_FALSE(r.no_vectors);
  ASSERT_EQ(r.items.size(), 2u);
  V ids = IdsOf(r.items);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (V{"war3", "war4"}));
  EXPECT_GT(r.items[0].score, 0.5f);
  EXPECT_GE(r.items[0].score, r.items[1].score);
}

TEST_F(VectorRecallTest, TheNewestHistoryWeighsMost) {
  // Mostly Star Wars, but the newest item is a Toy Story part: with decay 0.1 it dominates.
  Attach({.history = 20, .recency_decay = 0.1});
  VectorRecallResult r = recall_->Recall(Indices({"war1", "war2", "toy1"}), 3, nullptr);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_TRUE(AllStartWith(IdsOf(r.items), "toy")) << ::testing::PrintToString(IdsOf(r.items));
  // Only the newest item counts with history = 1.
  Attach({.history = 1});
  r = recall_->Recall(Indices({"toy1", "hlm1"}), 3, nullptr);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_TRUE(AllStartWith(IdsOf(r.items), "hlm")) << ::testing::PrintToString(IdsOf(r.items));
}

TEST_F(VectorRecallTest, AcceptFilterIsAppliedDuringTheSearch) {
  Attach();
  const uint32_t war3 = *state_.FindItem("war3");
  VectorRecallResult r = recall_->Recall(Indices({"war1", "war2"}), 2,
                                         [war3](uint32_t item) { return item != war3; });
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(IdsOf(r.items)[0], "war4");
  EXPECT_NE(IdsOf(r.items)[1], "war3");
}

TEST_F(VectorRecallTest, SuppliedVectorsComeBeforeTextForAnItemThatHasBoth) {
  // sup1 and sup2 share no word with each other but have nearly the same supplied vector;
  // sup3's title repeats sup1's, its supplied vector is orthogonal.
  Write({MakeItem("sup1", "Alpha Centauri", "x", R"(, "embedding": [1, 0, 0])"),
         MakeItem("sup2", "Quiet Meadow", "x", R"(, "embedding": [0.9, 0.1, 0])"),
         MakeItem("sup3", "Alpha Centauri", "x", R"(, "embedding": [0, 0, 1])")});
  Attach();
  ASSERT_TRUE(content_->HasVector("supplied", *state_.FindItem("sup1")));
  VectorRecallResult r = recall_->Recall(Indices({"sup1"}), 1, nullptr);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(IdsOf(r.items)[0], "sup2");
  EXPECT_GT(r.items[0].score, 0.9f);
}

TEST_F(VectorRecallTest, HistoryWithoutVectorsSaysSo) {
  ASSERT_TRUE(content_->Install(nullptr).ok());  // no text model: no text vectors
  Attach();
  VectorRecallResult r = recall_->Recall(Indices({"war1"}), 5, nullptr);
  EXPECT_TRUE(r.no_vectors);
  EXPECT_TRUE(r.items.empty());
}

TEST_F(VectorRecallTest, ScenarioSourceSkipsSeenHiddenAndOtherCategories) {
  Attach();
  Like("u", "war1", 1);
  Like("u", "war2", 2);
  Item hidden = MakeItem("war3", "Star Wars Episode 3", "scifi");
  hidden.is_hidden = true;
  Write({hidden});
  RecommendResult r = Scenario({{K::kVector, 2}}, "u");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].id, "war4");
  EXPECT_FALSE(r.items[1].id.starts_with("war")) << r.items[1].id;
  EXPECT_EQ(r.SourceOf(0), "vector");
  EXPECT_TRUE(r.degraded.empty());
  // The route's category: only kids items, however far they are from the history.
  RecommendResult kids = Scenario({{K::kVector, 3}}, "u", 10, "kids");
  ASSERT_EQ(kids.items.size(), 3u);
  EXPECT_TRUE(AllStartWith(Ids(kids), "toy")) << ::testing::PrintToString(Ids(kids));
}

TEST_F(VectorRecallTest, ScenarioSourceExplainsAnEmptyAnswer) {
  Like("u", "war1", 1);
  // No vector recall attached (a server without content indexes).
  EXPECT_TRUE(Has(Scenario({{K::kVector, 3}}, "u"), "content_index_missing"));
  Attach();
  EXPECT_TRUE(Has(Scenario({{K::kVector, 3}}, "nobody"), "cold_user"));
  ASSERT_TRUE(content_->Install(nullptr).ok());
  RecommendResult r = Scenario({{K::kVector, 3}}, "u");
  EXPECT_TRUE(r.items.empty());
  EXPECT_TRUE(Has(r, "content_vector_missing"));
}

TEST_F(VectorRecallTest, PlainRouteGivesVectorRecallItsShareOnly) {
  Like("u", "war1", 1);
  Attach();  // share 0: the plain chain, no vector candidates
  RecommendResult plain = rec_.Recommend(nullptr, "u", "", 6, 0);
  for (size_t i = 0; i < plain.items.size(); ++i) EXPECT_NE(plain.SourceOf(i), "vector");
  ASSERT_FALSE(plain.items.empty());
  Attach({.share = 0.5});
  RecommendResult shared = rec_.Recommend(nullptr, "u", "", 6, 0);
  ASSERT_EQ(shared.items.size(), 6u);
  // Without models the lists before it are empty, so vector recall fills what it can.
  EXPECT_EQ(shared.SourceOf(0), "vector");
  const V ids = Ids(shared);
  EXPECT_TRUE(AllStartWith(V(ids.begin(), ids.begin() + 3), "war"))
      << ::testing::PrintToString(ids);
  EXPECT_EQ(recall_->PlainQuota(20), 10u);
  EXPECT_EQ(recall_->PlainQuota(1), 1u);
}

TEST(VectorRecallOptionsTest, FromConfig) {
  ContentConfig config;
  config.user_recall_history = 7;
  config.user_recall_share = 0.25;
  VectorRecallOptions o = VectorRecallOptionsFrom(config);
  EXPECT_EQ(o.history, 7);
  EXPECT_DOUBLE_EQ(o.share, 0.25);
}

}  // namespace
}  // namespace reco
