#include "serving/recommender.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/model_files.h"
#include "models/popularity.h"
#include "serving/model_manager.h"
#include "serving/testing/fit_models.h"

namespace reco {
namespace {

// Items a..f; a<->b and c<->d are liked together; e is the most popular; f is hidden.
struct World {
  std::vector<Item> items;
  std::vector<Feedback> feedback;
};

World MakeWorld() {
  World w;
  auto item = [&](const char* id, bool hidden, int64_t ts, std::vector<std::string> cats) {
    Item it;
    it.item_id = id;
    it.is_hidden = hidden;
    it.timestamp = ts * kMicrosPerSecond;
    it.categories = std::move(cats);
    w.items.push_back(it);
  };
  item("a", false, 100, {"x"});
  item("b", false, 200, {"x"});
  item("c", false, 300, {"y"});
  item("d", false, 400, {"y"});
  item("e", false, 500, {"x", "y"});
  item("f", true, 600, {"x"});
  auto like = [&](const std::string& u, const char* i) {
    w.feedback.push_back({"like", u, i, 1.0, 1000 * kMicrosPerSecond, ""});
  };
  for (int u = 0; u < 4; ++u) {
    like("ab" + std::to_string(u), "a");
    like("ab" + std::to_string(u), "b");
    like("ab" + std::to_string(u), "f");
  }
  for (int u = 0; u < 4; ++u) {
    like("cd" + std::to_string(u), "c");
    like("cd" + std::to_string(u), "d");
  }
  for (int u = 0; u < 6; ++u) like("e" + std::to_string(u), "e");
  like("ab0", "e");
  return w;
}

ModelSet FitModels(const World& w) { return testing::FitWorldModels(w.items, w.feedback); }

class RecommenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_ = MakeWorld();
    for (const auto& it : world_.items) state_.UpsertItem(it);
    for (const auto& f : world_.feedback) state_.ApplyFeedback(f);
    state_.ResetLiveCounts();
  }
  void LoadModels() { holder_.Set(ModelBundle::Build(FitModels(world_), state_, 7)); }
  std::vector<std::string> Ids(const RecommendResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.items) out.push_back(s.id);
    return out;
  }

  World world_;
  OnlineState state_{OnlineStateOptions{}};
  BundleHolder holder_;
  std::vector<std::string> degraded_;
  Recommender rec_{state_, holder_, RecommenderOptions{},
                   [this](std::string_view r) { degraded_.emplace_back(r); }};
};

TEST_F(RecommenderTest, ItemCfRecommendsCoLikedItemsAndExcludesSeen) {
  LoadModels();
  Feedback f{"like", "new_user", "c", 1.0, 0, ""};
  state_.ApplyFeedback(f);
  RecommendResult r = rec_.Recommend("new_user", "", 1, 0);
  EXPECT_EQ(Ids(r), std::vector<std::string>{"d"});
  EXPECT_TRUE(r.degraded.empty());
  // ab1 has seen a, b and (hidden) f: item-CF has nothing left; the chain fills with popular.
  RecommendResult r2 = rec_.Recommend("ab1", "", 3, 0);
  ASSERT_FALSE(r2.items.empty());
  for (const auto& id : Ids(r2)) {
    EXPECT_NE(id, "a");
    EXPECT_NE(id, "b");
    EXPECT_NE(id, "f");
  }
}

TEST_F(RecommenderTest, NewFeedbackChangesTheNextRecommendationWithoutRetraining) {
  LoadModels();
  state_.ApplyFeedback({"like", "u", "a", 1.0, 0, ""});
  EXPECT_EQ(Ids(rec_.Recommend("u", "", 1, 0)), std::vector<std::string>{"b"});
  state_.ApplyFeedback({"read", "u", "b", 1.0, 0, ""});
  state_.ApplyFeedback({"like", "u", "c", 1.0, 0, ""});
  std::vector<std::string> next = Ids(rec_.Recommend("u", "", 1, 0));
  EXPECT_EQ(next, std::vector<std::string>{"d"});
}

TEST_F(RecommenderTest, UnknownUserGetsPopularItemsAndCountsDegraded) {
  LoadModels();
  RecommendResult r = rec_.Recommend("nobody", "", 2, 0);
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].id, "e");
  EXPECT_NE(std::find(r.degraded.begin(), r.degraded.end(), "cold_user"), r.degraded.end());
  EXPECT_NE(std::find(degraded_.begin(), degraded_.end(), "cold_user"), degraded_.end());
}

TEST_F(RecommenderTest, WithoutModelsFallsBackToLiveCountsAndLatest) {
  state_.ApplyFeedback({"like", "z1", "c", 1.0, 0, ""});
  state_.ApplyFeedback({"like", "z2", "c", 1.0, 0, ""});
  RecommendResult r = rec_.Recommend("someone", "", 3, 0);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].id, "c");  // the only live-counted item
  EXPECT_EQ(r.items[1].id, "e");  // then latest: e (500) > d (400)
  EXPECT_EQ(r.items[2].id, "d");
  EXPECT_NE(std::find(r.degraded.begin(), r.degraded.end(), "itemcf_model_missing"),
            r.degraded.end());
}

TEST_F(RecommenderTest, CategoryFilterAndHiddenItems) {
  LoadModels();
  RecommendResult r = rec_.Popular("y", 10, 0);
  ASSERT_FALSE(r.items.empty());
  for (const auto& s : r.items) EXPECT_TRUE(s.id == "c" || s.id == "d" || s.id == "e") << s.id;
  RecommendResult all = rec_.Popular("", 10, 0);
  ASSERT_FALSE(all.items.empty());
  for (const auto& s : all.items) EXPECT_NE(s.id, "f");
  EXPECT_TRUE(rec_.Popular("no-such-category", 10, 0).items.empty());
  RecommendResult latest = rec_.Latest("x", 10, 0);
  EXPECT_EQ(Ids(latest), (std::vector<std::string>{"e", "b", "a"}));
  EXPECT_EQ(latest.items[0].score, 500);
}

TEST_F(RecommenderTest, OffsetPagesThroughTheSameRanking) {
  LoadModels();
  auto first = Ids(rec_.Latest("", 2, 0));
  auto second = Ids(rec_.Latest("", 2, 2));
  EXPECT_EQ(first, (std::vector<std::string>{"e", "d"}));
  EXPECT_EQ(second, (std::vector<std::string>{"c", "b"}));
}

TEST_F(RecommenderTest, SimilarAndDetail) {
  LoadModels();
  auto sim = rec_.Similar("c", "", 5, 0);
  ASSERT_TRUE(sim.ok());
  ASSERT_FALSE(sim->items.empty());
  EXPECT_EQ(sim->items[0].id, "d");
  EXPECT_EQ(rec_.Similar("missing", "", 5, 0).status().code(), StatusCode::kNotFound);
  // a's neighbours are b (and e through ab0); a user who has seen b gets e.
  state_.ApplyFeedback({"read", "viewer", "b", 1.0, 0, ""});
  auto detail = rec_.ItemDetail("a", "viewer", 1);
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->items.size(), 1u);
  EXPECT_EQ(detail->items[0].id, "e");
}

TEST_F(RecommenderTest, SessionRecommendUsesGivenHistory) {
  LoadModels();
  auto r = rec_.SessionRecommend({"a"}, {"a"}, "", 1, 0);
  EXPECT_EQ(Ids(r), std::vector<std::string>{"b"});
}

TEST_F(RecommenderTest, UserNeighborsShareItems) {
  auto r = rec_.UserNeighbors("ab0", 3, 0);
  ASSERT_FALSE(r.items.empty());
  EXPECT_EQ(r.items[0].id.substr(0, 2), "ab");
}

TEST(ModelManager, CorruptNewestFileIsRejectedAndOldBundleKeepsServing) {
  auto dir =
      std::filesystem::temp_directory_path() / ("reco_model_manager_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  World w = MakeWorld();
  ModelSet set = FitModels(w);
  ASSERT_TRUE(set.itemcf->Save(dir / ModelFileName("itemcf", 1000), 1000).ok());
  OnlineState state{OnlineStateOptions{}};
  for (const auto& it : w.items) state.UpsertItem(it);
  FakeClock clock(5);
  ModelManager manager(dir, state, clock);
  EXPECT_FALSE(manager.models_loaded());
  auto first = manager.Reload();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto before = manager.bundles().Get();
  ASSERT_TRUE(before->has_itemcf());

  // A newer but truncated file.
  ASSERT_TRUE(set.itemcf->Save(dir / ModelFileName("itemcf", 2000), 2000).ok());
  auto path = dir / ModelFileName("itemcf", 2000);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  auto second = manager.Reload();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(second.status().message().find(path.filename().string()), std::string::npos)
      << second.status().ToString();
  EXPECT_EQ(manager.bundles().Get(), before);
  std::filesystem::remove_all(dir);
}

TEST(ModelManager, EmptyDirectoryIsAClearError) {
  OnlineState state{OnlineStateOptions{}};
  FakeClock clock(5);
  ModelManager manager("/nonexistent/reco/models", state, clock);
  auto r = manager.Reload();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("reco train"), std::string::npos);
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

// Adds a precomputed list for "ab1": [e, c, d, a] (a was seen by ab1 and must be skipped).
ModelSet WithUserRecs(ModelSet set) {
  std::vector<std::string> items = {"a", "c", "d", "e"};
  std::vector<std::vector<std::pair<uint32_t, float>>> lists = {
      {{3, 0.9f}, {1, 0.8f}, {2, 0.7f}, {0, 0.6f}}};
  set.recs = std::move(UserRecsModel::Build({"ab1"}, items, lists, "test", {})).value();
  return set;
}

TEST_F(RecommenderTest, PrecomputedListComesFirstWithoutSeenItems) {
  holder_.Set(ModelBundle::Build(WithUserRecs(FitModels(world_)), state_, 7));
  ASSERT_TRUE(holder_.Get()->has_user_recs());
  RecommendResult r = rec_.Recommend("ab1", "", 3, 0);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"e", "c", "d"}));
  EXPECT_TRUE(r.degraded.empty());
  // A new like of c removes it from the precomputed answer at once.
  state_.ApplyFeedback({"like", "ab1", "c", 1.0, 0, ""});
  EXPECT_EQ(Ids(rec_.Recommend("ab1", "", 2, 0)), (std::vector<std::string>{"e", "d"}));
  // Category filter applies to the precomputed list too: only y items (c, d, e).
  EXPECT_EQ(Ids(rec_.Recommend("ab1", "y", 2, 0)), (std::vector<std::string>{"e", "d"}));
}

TEST_F(RecommenderTest, ShortPrecomputedListIsFilledByItemCf) {
  holder_.Set(ModelBundle::Build(WithUserRecs(FitModels(world_)), state_, 7));
  state_.ApplyFeedback({"like", "ab1", "c", 1.0, 0, ""});
  // e and d remain of the list; item-CF then adds nothing new (c's neighbour d is present), so
  // popular fills the rest; no item is repeated and nothing seen is returned.
  RecommendResult r = rec_.Recommend("ab1", "", 5, 0);
  std::vector<std::string> ids = Ids(r);
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], "e");
  EXPECT_EQ(ids[1], "d");
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  for (const auto& id : ids) {
    EXPECT_NE(id, "a");
    EXPECT_NE(id, "b");
    EXPECT_NE(id, "c");
    EXPECT_NE(id, "f");
  }
  // Other users have no list: item-CF answers as before.
  state_.ApplyFeedback({"like", "new_user", "c", 1.0, 0, ""});
  EXPECT_EQ(Ids(rec_.Recommend("new_user", "", 1, 0)), std::vector<std::string>{"d"});
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

// Category x: x1..x3 liked together by ten users, x4 alone by four. Category y: y1 and y2 liked
// together by three users, y3 alone by five. Popularity: x1..x3 (10) > y3 (5) > x4 (4) > y1, y2.
World MakeTasteWorld() {
  World w;
  for (const char* id : {"x1", "x2", "x3", "x4", "y1", "y2", "y3"}) {
    Item it;
    it.item_id = id;
    it.timestamp = 100 * kMicrosPerSecond;
    it.categories = {std::string(1, id[0])};
    w.items.push_back(it);
  }
  auto like = [&](const std::string& u, const char* i) {
    w.feedback.push_back({"like", u, i, 1.0, 1000 * kMicrosPerSecond, ""});
  };
  for (int u = 0; u < 10; ++u) {
    for (const char* i : {"x1", "x2", "x3"}) like("xs" + std::to_string(u), i);
  }
  for (int u = 0; u < 4; ++u) like("x4_" + std::to_string(u), "x4");
  for (int u = 0; u < 3; ++u) {
    like("ys" + std::to_string(u), "y1");
    like("ys" + std::to_string(u), "y2");
  }
  for (int u = 0; u < 5; ++u) like("y3_" + std::to_string(u), "y3");
  return w;
}

class TasteFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    World world = MakeTasteWorld();
    for (const auto& it : world.items) state_.UpsertItem(it);
    for (const auto& f : world.feedback) state_.ApplyFeedback(f);
    state_.ResetLiveCounts();
    holder_.Set(ModelBundle::Build(FitModels(world), state_, 7));
  }
  // Likes given after training: the models do not know them, the online state does.
  void Likes(const std::string& user, std::vector<std::string> items) {
    for (const auto& item : items) state_.ApplyFeedback({"like", user, item, 1.0, 0, ""});
    state_.ResetLiveCounts();
  }
  static std::vector<std::string> Ids(const RecommendResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.items) out.push_back(s.id);
    return out;
  }
  static bool Has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  OnlineState state_{OnlineStateOptions{}};
  BundleHolder holder_;
  Recommender rec_{state_, holder_, RecommenderOptions{}, {}};
};

TEST_F(TasteFallbackTest, UserOfOneCategoryGetsThatCategorysPopularItemsFirst) {
  // y1 and y2 are each other's only neighbours and both seen: item-CF has nothing to offer.
  Likes("fan", {"y1", "y2"});
  RecommendResult r = rec_.Recommend("fan", "", 3, 0);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"y3", "x1", "x2"}));
  EXPECT_TRUE(Has(r.degraded, "itemcf_insufficient"));
  EXPECT_TRUE(Has(r.degraded, "fallback_category_popular"));
  EXPECT_TRUE(Has(r.degraded, "fallback_popular"));
}

TEST_F(TasteFallbackTest, CategoriesAreServedInOrderOfPreference) {
  // Three history items in x, two in y: x's popular item comes first, then y's.
  Likes("mixed", {"y1", "y2", "x1", "x2", "x3"});
  RecommendResult r = rec_.Recommend("mixed", "", 2, 0);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"x4", "y3"}));
  EXPECT_TRUE(Has(r.degraded, "fallback_category_popular"));
  EXPECT_FALSE(Has(r.degraded, "fallback_popular"));
}

TEST_F(TasteFallbackTest, ItemCfComesFirstAndTheCategoryFillsWhatItLeaves) {
  // item-CF answers y2 (y1's neighbour); both missing slots go to y, the only category of the
  // history, which has one more item (y3); global popularity gives the last one.
  Likes("y_only", {"y1"});
  RecommendResult r = rec_.Recommend("y_only", "", 3, 0);
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"y2", "y3", "x1"}));
}

TEST_F(TasteFallbackTest, CategoryRequestsAndUsersWithoutCategoriesKeepGlobalPopularity) {
  Likes("fan", {"y1", "y2"});
  // With a category asked for, that category's popularity is the fallback.
  EXPECT_EQ(Ids(rec_.Recommend("fan", "x", 2, 0)), (std::vector<std::string>{"x1", "x2"}));
  RecommendResult cold = rec_.Recommend("nobody", "", 2, 0);
  EXPECT_EQ(Ids(cold), (std::vector<std::string>{"x1", "x2"}));
  EXPECT_FALSE(Has(cold.degraded, "fallback_category_popular"));
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

// Five hub items, each liked together with 100 of 500 other items by 1..7 users, so that a user
// who liked the five hubs has 500 item-CF candidates with many distinct scores.
class ManyCandidatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    World w;
    auto item = [&](const std::string& id) {
      Item it;
      it.item_id = id;
      it.timestamp = 100 * kMicrosPerSecond;
      w.items.push_back(it);
    };
    for (int h = 0; h < 5; ++h) item("h" + std::to_string(h));
    for (int j = 0; j < 500; ++j) item("c" + std::to_string(j));
    for (int j = 0; j < 500; ++j) {
      for (int r = 0; r <= j % 7; ++r) {
        const std::string user = "u" + std::to_string(j) + "_" + std::to_string(r);
        w.feedback.push_back({"like", user, "h" + std::to_string(j % 5), 1.0, 0, ""});
        w.feedback.push_back({"like", user, "c" + std::to_string(j), 1.0, 0, ""});
      }
    }
    for (const auto& it : w.items) state_.UpsertItem(it);
    for (const auto& f : w.feedback) state_.ApplyFeedback(f);
    state_.ResetLiveCounts();
    holder_.Set(ModelBundle::Build(FitModels(w), state_, 7));
    for (int h = 0; h < 5; ++h) {
      state_.ApplyFeedback({"like", "me", "h" + std::to_string(h), 1.0, 0, ""});
    }
  }

  // The item-CF ranking computed the slow way: every candidate scored, all of them sorted.
  std::vector<std::pair<std::string, float>> FullSort(size_t n) {
    auto bundle = holder_.Get();
    std::vector<float> scores(state_.ItemCount(), 0.0f);
    float weight = 1.0f;
    for (int h = 4; h >= 0; --h) {  // newest first
      for (const ScoredIndex& nb : bundle->Neighbors(*state_.FindItem("h" + std::to_string(h)))) {
        scores[nb.item] += weight * nb.score;
      }
      weight *= static_cast<float>(RecommenderOptions{}.recency_decay);
    }
    std::vector<uint32_t> order;
    auto view = state_.View("");
    for (uint32_t i = 0; i < scores.size(); ++i) {
      if (scores[i] > 0 && view.IsRecommendable(i) && view.ItemId(i)[0] == 'c') order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
    });
    std::vector<std::pair<std::string, float>> out;
    for (size_t k = 0; k < order.size() && k < n; ++k) {
      out.emplace_back(view.ItemId(order[k]), scores[order[k]]);
    }
    return out;
  }
  std::vector<std::pair<std::string, float>> Served(size_t n) {
    std::vector<std::pair<std::string, float>> out;
    for (const auto& s : rec_.Recommend("me", "", static_cast<int>(n), 0).items) {
      out.emplace_back(s.id, static_cast<float>(s.score));
    }
    return out;
  }

  OnlineState state_{OnlineStateOptions{}};
  BundleHolder holder_;
  Recommender rec_{state_, holder_, RecommenderOptions{}, {}};
};

TEST_F(ManyCandidatesTest, ItemCfRankingEqualsAFullSort) {
  std::vector<std::pair<std::string, float>> expected = FullSort(20);
  ASSERT_EQ(expected.size(), 20u);
  EXPECT_EQ(Served(20), expected);
  EXPECT_EQ(Served(300), FullSort(300));
}

TEST_F(ManyCandidatesTest, RankingReachesPastHiddenItems) {
  // Nine items in ten hidden: the best candidates are mostly filtered out, so the ranking has
  // to look further down than its first guess.
  for (int j = 0; j < 500; ++j) {
    if (j % 10 != 0) state_.PatchItem("c" + std::to_string(j), ItemPatch{.is_hidden = true});
  }
  std::vector<std::pair<std::string, float>> expected = FullSort(20);
  ASSERT_EQ(expected.size(), 20u);
  EXPECT_EQ(Served(20), expected);
}

}  // namespace
}  // namespace reco
