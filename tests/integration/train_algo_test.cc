// `reco train` with an algorithm of the table — given as --algo/--set or as a CONFIG.toml written
// by `reco tune` — writes per-user lists that a real `reco serve` answers from first.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

// Users 0-3 like items 0 and 1 together; users 4-9 like item 4 (the most popular); user 10 liked
// item 0. Item-CF answers user 10 with item 1 first; the popular algorithm with item 4.
std::filesystem::path ImportSmallData(const TempDataDir& dir) {
  {
    std::ofstream train(dir.path() / "train.txt");
    train << "0 0 1\n1 0 1\n2 0 1\n3 0 1\n4 4\n5 4\n6 4\n7 4\n8 4\n9 4\n10 0\n11 2 3\n";
  }
  auto data = dir.path() / "data";
  std::filesystem::create_directories(data);
  auto log = dir.path() / "import.log";
  ExitStatus st = RunReco({"import", "--data-dir", data.string(), "--format", "lightgcn",
                           (dir.path() / "train.txt").string()},
                          log);
  EXPECT_TRUE(st.Ok()) << st.ToString() << ReadFile(log);
  return data;
}

std::vector<std::string> RecommendIds(HttpClient& client, const std::string& user, int n) {
  HttpResult r = client.Get("/api/recommend/" + user + "?n=" + std::to_string(n));
  std::vector<std::string> ids;
  Json doc(r.body);
  simdjson::dom::array array;
  if (r.status != 200 || !doc.ok() || doc.root().get_array().get(array) != simdjson::SUCCESS) {
    ADD_FAILURE() << r.status << " " << r.body;
    return ids;
  }
  for (simdjson::dom::element e : array) {
    std::string_view id;
    if (e.get_string().get(id) == simdjson::SUCCESS) ids.emplace_back(id);
  }
  return ids;
}

TEST(TrainAlgorithm, TunedConfigListsAreServedFirst) {
  TempDataDir dir("train_algo");
  auto data = ImportSmallData(dir);
  {
    TestServer server;
    ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, dir.path() / "t0.log").Ok());
    ASSERT_EQ(server.Start(data), "");
    HttpClient client(server.port());
    EXPECT_EQ(RecommendIds(client, "10", 1), std::vector<std::string>{"1"});  // item-CF
  }
  auto tuned = dir.path() / "tuned.toml";
  {
    std::ofstream out(tuned);
    out << "[algorithm]\nname = \"popular\"\n\n[settings]\n";
  }
  auto log = dir.path() / "t1.log";
  ExitStatus st = RunReco({"train", "--data-dir", data.string(), "--config", tuned.string()}, log);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("recs"), std::string::npos) << ReadFile(log);
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient client(server.port());
  HttpResult health = client.Get("/health");
  EXPECT_NE(health.body.find("\"recs\":true"), std::string::npos) << health.body;
  EXPECT_EQ(StringField(Json(health.body).root(), "recs_algorithm"), "popular") << health.body;
  // Popular order without the user's own item 0: 4 (6 likes), then 1 (4 likes).
  EXPECT_EQ(RecommendIds(client, "10", 2), (std::vector<std::string>{"4", "1"}));
  // A like posted now is excluded from the precomputed answer at once.
  HttpResult posted = client.Post(
      "/api/feedback",
      R"([{"FeedbackType":"like","UserId":"10","ItemId":"4","Timestamp":"2026-01-01T00:00:00Z"}])");
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(RecommendIds(client, "10", 1), std::vector<std::string>{"1"});
}

TEST(TrainAlgorithm, AlgoFlagTrainsAnyAlgorithmAndBadSettingsAreClearErrors) {
  TempDataDir dir("train_algo_flag");
  auto data = ImportSmallData(dir);
  auto log = dir.path() / "ok.log";
  ExitStatus st = RunReco(
      {"train", "--data-dir", data.string(), "--algo", "rp3beta", "--set", "rp3beta.beta=0.2"},
      log);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(log);
  bool has_recs = false;
  for (const auto& entry : std::filesystem::directory_iterator(data / "models")) {
    has_recs = has_recs || entry.path().filename().string().starts_with("recs-");
  }
  EXPECT_TRUE(has_recs);

  auto bad = dir.path() / "bad.log";
  st = RunReco(
      {"train", "--data-dir", data.string(), "--algo", "rp3beta", "--set", "rp3beta.bta=0.2"}, bad);
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(bad).find("rp3beta.bta"), std::string::npos) << ReadFile(bad);

  auto tuned = dir.path() / "broken.toml";
  {
    std::ofstream out(tuned);
    out << "[algorithm]\nname = \"no_such_algo\"\n";
  }
  auto broken = dir.path() / "broken.log";
  st = RunReco({"train", "--data-dir", data.string(), "--config", tuned.string()}, broken);
  EXPECT_FALSE(st.Ok());
  EXPECT_NE(ReadFile(broken).find("no_such_algo"), std::string::npos) << ReadFile(broken);
}

// `reco train` leaves the online state snapshot up to date: the next `reco serve` restores it
// instead of replaying the store, and a second training finds it current.
TEST(TrainAlgorithm, TrainingLeavesTheStateSnapshotTheServerStartsFrom) {
  TempDataDir dir("train_snapshot");
  auto data = ImportSmallData(dir);
  auto log = dir.path() / "train.log";
  ExitStatus st = RunReco({"train", "--data-dir", data.string()}, log);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("state snapshot: 17 feedback rows (17 read from the store), "
                               "written"),
            std::string::npos)
      << ReadFile(log);
  ASSERT_TRUE(std::filesystem::exists(data / "online_state.snapshot"));
  {
    TestServer server;
    ASSERT_EQ(server.Start(data), "");
    EXPECT_NE(server.log().find("from_snapshot=true snapshot_rows=17 replayed_rows=0"),
              std::string::npos)
        << server.log();
    HttpClient client(server.port());
    EXPECT_EQ(RecommendIds(client, "10", 1), std::vector<std::string>{"1"});
  }
  auto again = dir.path() / "again.log";
  st = RunReco({"train", "--data-dir", data.string()}, again);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(again);
  EXPECT_NE(ReadFile(again).find("state snapshot: 17 feedback rows (0 read from the store), "
                                 "already up to date"),
            std::string::npos)
      << ReadFile(again);

  std::filesystem::remove(data / "online_state.snapshot");
  auto skipped = dir.path() / "skipped.log";
  st = RunReco({"train", "--data-dir", data.string(), "--no-state-snapshot"}, skipped);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(skipped);
  EXPECT_EQ(ReadFile(skipped).find("state snapshot"), std::string::npos) << ReadFile(skipped);
  EXPECT_FALSE(std::filesystem::exists(data / "online_state.snapshot"));
}

// The ranker trained by `reco train` gets its content features from the catalogue's own texts
// (the items' comments here), with no ranker.item_text file.
TEST(TrainAlgorithm, RankerContentFeaturesComeFromTheCatalogue) {
  TempDataDir dir("train_ranker_content");
  auto in = dir.path() / "in";
  std::filesystem::create_directories(in);
  {
    std::ofstream items(in / "items.jsonl");
    const char* words[] = {"星球大战 space opera", "toy story animation", "红楼梦 classic novel"};
    for (int i = 0; i < 30; ++i) {
      items << R"({"ItemId":"i)" << i << R"(","Comment":")" << words[i % 3] << " " << i
            << R"(","Categories":["c)" << i % 3 << R"("]})"
            << "\n";
    }
    std::ofstream feedback(in / "feedback.jsonl");
    for (int u = 0; u < 40; ++u) {
      for (int k = 0; k < 8; ++k) {
        feedback << R"({"FeedbackType":"like","UserId":"u)" << u << R"(","ItemId":"i)"
                 << (u * 7 + k * 3) % 30 << R"(","Timestamp":"2026-01-0)" << 1 + k % 9
                 << R"(T00:00:00Z"})"
                 << "\n";
      }
    }
  }
  auto data = dir.path() / "data";
  std::filesystem::create_directories(data);
  ExitStatus st = RunReco({"import", "--data-dir", data.string(), "--format", "json", in.string()},
                          dir.path() / "import.log");
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(dir.path() / "import.log");
  auto log = dir.path() / "train.log";
  st = RunReco({"train", "--data-dir", data.string(), "--algo", "ranker", "--set",
                "ranker.sources=itemcf,popular", "--set", "ranker.rounds=5"},
               log);
  ASSERT_TRUE(st.Ok()) << st.ToString() << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("content features from the catalogue's texts"), std::string::npos)
      << ReadFile(log);
}

}  // namespace
}  // namespace reco::itest
