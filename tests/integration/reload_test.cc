// Model reload of a real `reco serve`: under load without a failed request, a corrupt
// production model file rejected (sha256 mismatch) while the old models keep serving, and the
// reload token enforced.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

std::string ModelVersion(HttpClient& client) {
  HttpResult r = client.Get("/health");
  return r.status == 200 ? StringField(Json(r.body).root(), "model_version") : "";
}

// The newest model file of `kind` in `models_dir` ("" when none); names sort by time.
std::filesystem::path NewestModel(const std::filesystem::path& models_dir, std::string_view kind) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(models_dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(std::string(kind) + "-") && name.ends_with(".rmdl") &&
        (newest.empty() || name > newest.filename().string())) {
      newest = entry.path();
    }
  }
  return newest;
}

void WriteBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(Reload, UnderLoadNoRequestFailsAndVersionChanges) {
  constexpr int kClients = 3;
  constexpr int kMaxRequestsPerClient = 20000;
  constexpr int kReloads = 3;
  TempDataDir dir("reload");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 150, .items = 200, .seed = 8}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient control(server.port());
  std::string version_before = ModelVersion(control);
  ASSERT_FALSE(version_before.empty());

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<int> counts(kClients, 0);
  std::vector<std::string> first_failure(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(server.port());
      for (int k = 0; k < kMaxRequestsPerClient && !stop.load(); ++k) {
        HttpResult r = client.Get("/api/recommend/u" + std::to_string((k * 7 + i) % 150) + "?n=10");
        ++counts[i];
        Json doc(r.body);
        simdjson::dom::array array;
        if (r.status != 200 || !doc.ok() ||
            doc.root().get_array().get(array) != simdjson::SUCCESS) {
          if (failures++ == 0) first_failure[i] = std::to_string(r.status) + " " + r.body;
        }
      }
    });
  }
  std::vector<std::string> versions = {version_before};
  for (int k = 0; k < kReloads; ++k) {
    auto log = dir.path() / ("train" + std::to_string(k) + ".log");
    ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, log).Ok()) << ReadFile(log);
    HttpResult r = control.Post("/models/reload", "");
    EXPECT_EQ(r.status, 200) << r.body;
    versions.push_back(ModelVersion(control));
  }
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0) << first_failure[0] << first_failure[1] << first_failure[2];
  for (int i = 0; i < kClients; ++i) EXPECT_GT(counts[i], kReloads) << "client " << i;
  EXPECT_NE(versions.back(), version_before);
  for (size_t k = 1; k < versions.size(); ++k) EXPECT_NE(versions[k], versions[k - 1]) << k;
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

TEST(Reload, CorruptProductionModelIsRejectedAndOldModelsKeepServing) {
  TempDataDir dir("corrupt");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 60, .items = 80, .seed = 9}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"MODEL_RELOAD_TOKEN", "tok"}}}), "");
  HttpClient c(server.port());
  const Headers auth = {{"Authorization", "Bearer tok"}};

  HttpResult r = c.Post("/models/reload", "");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(ErrorField(r.body), "Authorization");
  EXPECT_EQ(c.Post("/models/reload", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  r = c.Post("/models/reload", "", auth);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string version = ModelVersion(c);
  ASSERT_FALSE(version.empty());
  std::vector<std::string> recs_before = StringArray(c.Get("/api/recommend/u1?n=10").body);
  ASSERT_FALSE(recs_before.empty());

  auto models = data / "models";
  std::filesystem::path good = NewestModel(models, "itemcf");
  ASSERT_FALSE(good.empty()) << "no itemcf model in " << models;
  std::string bytes = ReadFile(good);
  ASSERT_GT(bytes.size(), 64u);

  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5a);
  struct Corruption {
    std::string name;
    std::string file;
    std::string bytes;
  };
  // The production version's own item-CF file is damaged in place: its sha256 no longer matches
  // the registry, so the reload is refused and the file named.
  const std::string file = good.filename().string();
  const std::vector<Corruption> corruptions = {
      {"truncated", file, bytes.substr(0, bytes.size() / 2)},
      {"bit flip", file, flipped},
      {"empty", file, ""},
  };
  for (const Corruption& bad : corruptions) {
    SCOPED_TRACE(bad.name);
    WriteBytes(models / bad.file, bad.bytes);
    r = c.Post("/models/reload", "", auth);
    WriteBytes(good, bytes);
    EXPECT_GE(r.status, 400) << r.body;
    EXPECT_NE(ErrorMessage(r.body).find(bad.file), std::string::npos)
        << "the error should name the file: " << r.body;
    EXPECT_EQ(ModelVersion(c), version);
    HttpResult rec = c.Get("/api/recommend/u1?n=10");
    EXPECT_EQ(rec.status, 200);
    EXPECT_EQ(StringArray(rec.body), recs_before);
    EXPECT_EQ(c.Get("/similar/i1?top_n=3").status, 200);
  }
  HttpResult metrics = c.Get("/metrics");
  EXPECT_NE(metrics.body.find("model_reloads_total{result=\"rejected\"} 3"), std::string::npos)
      << metrics.body.substr(0, 2000);
}

}  // namespace
}  // namespace reco::itest
