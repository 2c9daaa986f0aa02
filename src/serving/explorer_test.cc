#include "serving/explorer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "serving/model_manager.h"
#include "serving/testing/fit_models.h"

namespace reco {
namespace {

// Old items x0..x19 (category x), y0..y19 (y) and z0..z9 (z), liked by other users so that each
// has live popularity (xK and yK by 20 - K users); fresh items f0..f4 (category z), the newest
// and never liked.
class ExplorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto add = [this](const std::string& id, std::string category, int64_t ts) {
      Item it;
      it.item_id = id;
      it.categories = {std::move(category)};
      it.timestamp = ts * kMicrosPerSecond;
      items_.push_back(it);
      state_.UpsertItem(it);
    };
    for (int k = 0; k < 20; ++k) add("x" + std::to_string(k), "x", 100 + k);
    for (int k = 0; k < 20; ++k) add("y" + std::to_string(k), "y", 200 + k);
    for (int k = 0; k < 10; ++k) add("z" + std::to_string(k), "z", 300 + k);
    for (int k = 0; k < 5; ++k) add("f" + std::to_string(k), "z", 10000 + k);
    for (int k = 0; k < 20; ++k) {
      for (int u = 0; u < 20 - k; ++u) {
        Like("fan" + std::to_string(u), "x" + std::to_string(k));
        Like("fan" + std::to_string(u), "y" + std::to_string(k));
      }
    }
    for (int k = 0; k < 10; ++k) Like("zfan", "z" + std::to_string(k));
  }

  void Like(const std::string& user, const std::string& item) {
    Feedback f{"like", user, item, 1.0, 1000 * kMicrosPerSecond, ""};
    feedback_.push_back(f);
    state_.ApplyFeedback(f);
  }

  ExploreOptions Options() {
    ExploreOptions o;
    o.min_history = 5;
    o.share = 0.2;
    o.fresh_candidates = 5;
    o.refresh_seconds = 0;
    o.seed = 1234;
    return o;
  }

  std::unique_ptr<Explorer> Make(ExploreOptions options, ItemCountsFn counts = {}) {
    return std::make_unique<Explorer>(
        state_, recommender_, clock_, options, std::move(counts),
        [this](std::string_view user) {
          auto it = chosen_.find(std::string(user));
          return it == chosen_.end() ? std::vector<std::string>() : it->second;
        },
        [this](std::string_view reason) { degraded_.emplace_back(reason); });
  }

  static std::vector<std::string> Ids(const RecommendResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.items) out.push_back(s.id);
    return out;
  }
  static bool IsFresh(const std::string& id) { return id[0] == 'f'; }
  // The loaded bundle (null before any), kept alive by the fixture.
  const ModelBundle* bundle() {
    snapshot_ = holder_.Get();
    return snapshot_.get();
  }

  std::vector<Item> items_;
  std::vector<Feedback> feedback_;
  OnlineState state_{OnlineStateOptions{}};
  BundleHolder holder_;
  std::shared_ptr<const ModelBundle> snapshot_;
  Recommender recommender_{state_, holder_, RecommenderOptions{}, {}};
  FakeClock clock_{20000 * kMicrosPerSecond};
  std::map<std::string, std::vector<std::string>> chosen_;
  std::vector<std::string> degraded_;
};

TEST(ExploreSlots, CollaborativePartGrowsWithTheHistory) {
  EXPECT_EQ(Explorer::CollaborativeSlots(10, 0, 5), 0u);
  EXPECT_EQ(Explorer::CollaborativeSlots(10, 1, 5), 2u);
  EXPECT_EQ(Explorer::CollaborativeSlots(10, 4, 5), 8u);
  EXPECT_EQ(Explorer::CollaborativeSlots(10, 5, 5), 10u);
  EXPECT_EQ(Explorer::CollaborativeSlots(10, 9, 5), 10u);
  EXPECT_EQ(Explorer::CollaborativeSlots(3, 1, 2), 2u);  // 1.5 rounds up
}

TEST(ExploreSlots, FreshShareIsExactOnAverage) {
  EXPECT_EQ(Explorer::FreshSlots(10, 0.2, 0.0), 2u);
  EXPECT_EQ(Explorer::FreshSlots(10, 0.2, 0.99), 2u);
  EXPECT_EQ(Explorer::FreshSlots(10, 0.0, 0.99), 0u);
  EXPECT_EQ(Explorer::FreshSlots(10, 1.0, 0.5), 10u);
  EXPECT_EQ(Explorer::FreshSlots(3, 0.2, 0.3), 0u);  // 0.6 + 0.3
  EXPECT_EQ(Explorer::FreshSlots(3, 0.2, 0.5), 1u);  // 0.6 + 0.5
  // Over evenly spread u, the mean is mix * share.
  double sum = 0;
  for (int i = 0; i < 1000; ++i)
    sum += static_cast<double>(Explorer::FreshSlots(3, 0.2, (i + 0.5) / 1000));
  EXPECT_NEAR(sum / 1000, 0.6, 1e-9);
}

TEST(ExploreSlots, FreshPositionsAreSpreadOverTheList) {
  EXPECT_EQ(Explorer::FreshPositions(10, 2), (std::vector<size_t>{2, 7}));
  EXPECT_EQ(Explorer::FreshPositions(10, 1), (std::vector<size_t>{5}));
  EXPECT_EQ(Explorer::FreshPositions(4, 4), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_TRUE(Explorer::FreshPositions(10, 0).empty());
}

TEST(ChosenCategories, ReadsTheLabelKeyOrAListOfNames) {
  EXPECT_EQ(ChosenCategories(R"({"categories": ["books", "music", "books"]})", "categories"),
            (std::vector<std::string>{"books", "music"}));
  EXPECT_EQ(ChosenCategories(R"({"categories": "books", "city": "Paris"})", "categories"),
            (std::vector<std::string>{"books"}));
  EXPECT_EQ(ChosenCategories(R"({"topics": ["a"]})", "topics"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ChosenCategories(R"(["books", 3, "music"])", "categories"),
            (std::vector<std::string>{"books", "music"}));
  EXPECT_TRUE(ChosenCategories(R"({"city": "Paris"})", "categories").empty());
  EXPECT_TRUE(ChosenCategories(R"({"categories": 7})", "categories").empty());
  EXPECT_TRUE(ChosenCategories("null", "categories").empty());
  EXPECT_TRUE(ChosenCategories("not json", "categories").empty());
}

TEST_F(ExplorerTest, ANewUserGetsPopularItemsOfChosenCategoriesAndFreshItemsInShare) {
  chosen_["newbie"] = {"x", "no-such-category"};
  auto explorer = Make(Options());
  EXPECT_TRUE(explorer->Applies("newbie"));
  const RecommendResult r = explorer->Recommend(nullptr, "newbie", "", 10, 0);
  const std::vector<std::string> ids = Ids(r);
  ASSERT_EQ(ids.size(), 10u);
  // 10 * 0.2 = 2 fresh items, at the spread positions; the 8 others are x's most popular.
  std::vector<std::string> popular;
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(IsFresh(ids[i]), i == 2 || i == 7) << i << " " << ids[i];
    if (!IsFresh(ids[i])) popular.push_back(ids[i]);
  }
  EXPECT_EQ(popular, (std::vector<std::string>{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"}));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // No popularity model: the live counts answered, which the answer says.
  EXPECT_EQ(r.degraded, (std::vector<std::string>{"popularity_model_missing"}));
  EXPECT_EQ(degraded_, r.degraded);
}

TEST_F(ExplorerTest, ChosenCategoriesShareThePopularPartByWeight) {
  chosen_["newbie"] = {"y", "x"};
  ExploreOptions o = Options();
  o.share = 0;
  const RecommendResult r = Make(o)->Recommend(nullptr, "newbie", "", 6, 0);
  // Equal weights: 3 each, the category first by name first (x), then y.
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"x0", "x1", "x2", "y0", "y1", "y2"}));
}

TEST_F(ExplorerTest, CategoriesAreInferredFromTheFewItemsLiked) {
  Like("newbie", "y5");
  ExploreOptions o = Options();
  o.share = 0;
  auto explorer = Make(o);
  ASSERT_TRUE(explorer->Applies("newbie"));
  const RecommendResult r = explorer->Recommend(bundle(), "newbie", "", 4, 0);
  // One positive out of min_history 5: round(4 / 5) = 1 collaborative slot, but no model: the
  // popular items of y fill the list, without the liked item.
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"y0", "y1", "y2", "y3"}));
}

TEST_F(ExplorerTest, WithoutAnyCategoryThePopularItemsOverallAnswer) {
  ExploreOptions o = Options();
  o.share = 0;
  const RecommendResult r = Make(o)->Recommend(nullptr, "stranger", "", 4, 0);
  // x0 and y0 have the most likes (20 each), then x1, y1 (19).
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"x0", "y0", "x1", "y1"}));
}

TEST_F(ExplorerTest, TheRouteCategoryRestrictsEveryPart) {
  chosen_["newbie"] = {"x"};
  ExploreOptions o = Options();
  o.share = 0.5;
  const RecommendResult r = Make(o)->Recommend(nullptr, "newbie", "z", 6, 0);
  const std::vector<std::string> ids = Ids(r);
  ASSERT_EQ(ids.size(), 6u);
  int fresh = 0;
  for (const std::string& id : ids) {
    EXPECT_TRUE(id[0] == 'z' || id[0] == 'f') << id;
    fresh += IsFresh(id) ? 1 : 0;
  }
  EXPECT_EQ(fresh, 3);
}

TEST_F(ExplorerTest, SeenAndHiddenItemsAreLeftOut) {
  Like("newbie", "x0");
  state_.PatchItem("f0", ItemPatch{.is_hidden = true});
  chosen_["newbie"] = {"x"};
  ExploreOptions o = Options();
  o.share = 1.0;  // every slot fresh: 4 of the 5 fresh items are left
  auto explorer = Make(o);
  const std::vector<std::string> ids = Ids(explorer->Recommend(nullptr, "newbie", "", 6, 0));
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "f0"), 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "x0"), 0);
  EXPECT_EQ(std::count_if(ids.begin(), ids.end(), IsFresh), 4);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "x1"), 1);  // the popular part filled the rest
}

TEST_F(ExplorerTest, ANewItemWithNoExposureCanAppearAtOnce) {
  ExploreOptions o = Options();
  o.fresh_candidates = 1;  // the newest item only
  o.share = 0.2;
  auto explorer = Make(o);
  Item fresh;
  fresh.item_id = "brand-new";
  fresh.categories = {"z"};
  fresh.timestamp = 19999 * kMicrosPerSecond;
  state_.UpsertItem(fresh);
  const std::vector<std::string> ids = Ids(explorer->Recommend(nullptr, "stranger", "", 5, 0));
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[2], "brand-new");  // 5 * 0.2 = 1 fresh item, in the middle
}

TEST_F(ExplorerTest, TheBanditShowsAnItemSeenOftenAndNeverClickedLess) {
  ExploreOptions o = Options();
  o.fresh_candidates = 2;  // f4 (ignored 1000 times) and f3 (never shown)
  o.share = 0.1;           // one fresh slot in 10
  auto explorer = Make(o, [](ItemArmCounts& out) {
    out.clear();
    out["f4"] = {.exposures = 1000, .clicks = 0};
  });
  int f3 = 0;
  int f4 = 0;
  for (int i = 0; i < 200; ++i) {
    const std::vector<std::string> ids = Ids(explorer->Recommend(nullptr, "stranger", "", 10, 0));
    f3 += static_cast<int>(std::count(ids.begin(), ids.end(), "f3"));
    f4 += static_cast<int>(std::count(ids.begin(), ids.end(), "f4"));
  }
  EXPECT_EQ(f3 + f4, 200);
  // P(Beta(1, 1001) > U) is about 1/1000 a request.
  EXPECT_GT(f3, 190);
  EXPECT_LT(f4, 10);
}

TEST_F(ExplorerTest, ASeedMakesTheDrawsReproducible) {
  auto a = Make(Options());
  auto b = Make(Options());
  ExploreOptions other = Options();
  other.seed = 99;
  auto c = Make(other);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const auto ia = Ids(a->Recommend(nullptr, "u" + std::to_string(i), "", 10, 0));
    EXPECT_EQ(ia, Ids(b->Recommend(nullptr, "u" + std::to_string(i), "", 10, 0)));
    differs = differs || ia != Ids(c->Recommend(nullptr, "u" + std::to_string(i), "", 10, 0));
  }
  EXPECT_TRUE(differs);
}

TEST_F(ExplorerTest, OffsetPagesTheSameList) {
  chosen_["newbie"] = {"x"};
  ExploreOptions o = Options();
  o.share = 0;
  auto explorer = Make(o);
  const RecommendResult page = explorer->Recommend(nullptr, "newbie", "", 3, 2);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"x2", "x3", "x4"}));
  EXPECT_EQ(page.offset, 2u);
}

// Fade-out: item-CF over a history of k likes takes round(10 k / 5) of 10 slots, first; at
// min_history the Explorer no longer applies.
TEST_F(ExplorerTest, CollaborativeSignalsTakeOverAsTheHistoryGrows) {
  // Co-likes: fans of xK like xK..xK+4, so item-CF links neighbouring x items.
  for (int u = 0; u < 16; ++u) {
    for (int k = u; k < u + 5; ++k) Like("chain" + std::to_string(u), "x" + std::to_string(k));
  }
  holder_.Set(ModelBundle::Build(testing::FitWorldModels(items_, feedback_), state_, 7));
  ExploreOptions o = Options();
  o.share = 0;
  auto explorer = Make(o);
  std::vector<size_t> collaborative;
  for (int liked = 0; liked < 5; ++liked) {
    ASSERT_TRUE(explorer->Applies("grower"));
    const RecommendResult r = explorer->Recommend(bundle(), "grower", "", 10, 0);
    const RecommendResult cf = recommender_.Recommend(bundle(), "grower", "", 10, 0);
    // The collaborative answer's own items (not its fallbacks), in its order.
    std::vector<std::string> cf_ids;
    for (size_t i = 0; i < cf.items.size(); ++i) {
      if (cf.SourceOf(i) == "itemcf" || cf.SourceOf(i) == "precomputed")
        cf_ids.push_back(cf.items[i].id);
    }
    const size_t slots = Explorer::CollaborativeSlots(10, liked, 5);
    ASSERT_GE(cf_ids.size(), slots) << liked;
    ASSERT_EQ(r.items.size(), 10u);
    for (size_t i = 0; i < slots; ++i) EXPECT_EQ(r.items[i].id, cf_ids[i]) << liked << " " << i;
    collaborative.push_back(slots);
    Like("grower", "x" + std::to_string(10 + liked));
  }
  EXPECT_EQ(collaborative, (std::vector<size_t>{0, 2, 4, 6, 8}));
  EXPECT_FALSE(explorer->Applies("grower"));
}

}  // namespace
}  // namespace reco
