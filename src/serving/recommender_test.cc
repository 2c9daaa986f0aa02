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

ModelSet FitModels(const World& w) {
  DatasetBuilder builder;
  for (const auto& it : w.items) builder.AddItem(it);
  for (const auto& f : w.feedback) builder.AddFeedback(f);
  Dataset dataset = std::move(builder).Build();
  ModelSet set;
  ItemCfOptions cf;
  cf.shrinkage = 0;
  cf.num_threads = 1;
  set.itemcf = std::move(ItemCfModel::Fit(dataset, cf)).value();
  set.popularity = std::move(PopularityModel::Fit(dataset, PopularityOptions{})).value();
  set.latest = std::move(LatestModel::Fit(dataset, LatestOptions{})).value();
  set.snapshot_id = dataset.snapshot_id();
  set.created = 42 * kMicrosPerSecond;
  return set;
}

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
  for (const auto& s : r.items) EXPECT_TRUE(s.id == "c" || s.id == "d" || s.id == "e") << s.id;
  RecommendResult all = rec_.Popular("", 10, 0);
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
