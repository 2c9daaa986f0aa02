// Durability of a real `reco serve`: every acknowledged write survives kill -9, and SIGTERM lets
// in-flight requests finish before a clean exit.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

constexpr int kRowsPerBatch = 200;
constexpr int kAckedBeforeKill = 20;
constexpr int kMaxBatches = 2000;

std::string BatchUser(int batch) { return "dur" + std::to_string(batch); }

std::string Batch(int batch) {
  std::string body = "[";
  for (int k = 0; k < kRowsPerBatch; ++k) {
    if (k) body.push_back(',');
    body += FeedbackJson("like", BatchUser(batch),
                         "i" + std::to_string(k % 40) + "_" + std::to_string(k));
  }
  body.push_back(']');
  return body;
}

// Rows of `user` as the server lists them; -1 when the request fails.
int64_t FeedbackCount(HttpClient& client, const std::string& user) {
  HttpResult r = client.Get("/api/user/" + user + "/feedback");
  if (r.status != 200) return -1;
  Json doc(r.body);
  simdjson::dom::array a;
  if (!doc.ok() || doc.root().get_array().get(a) != simdjson::SUCCESS) return -1;
  return static_cast<int64_t>(a.size());
}

TEST(Durability, AcknowledgedFeedbackSurvivesKillMinus9) {
  TempDataDir dir("durability");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 20, .items = 40, .seed = 5, .train = false}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");

  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> acked;
  int attempted = 0;
  std::thread writer([&] {
    HttpClient client(server.port());
    for (int b = 0; b < kMaxBatches; ++b) {
      {
        std::lock_guard lock(mu);
        attempted = b + 1;
      }
      HttpResult r = client.Post("/api/feedback", Batch(b));
      if (r.status < 200 || r.status >= 300) break;
      EXPECT_EQ(RowAffected(r.body), kRowsPerBatch);
      std::lock_guard lock(mu);
      acked.push_back(b);
      cv.notify_all();
    }
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    bool enough = cv.wait_for(lock, std::chrono::seconds(60),
                              [&] { return acked.size() >= kAckedBeforeKill; });
    EXPECT_TRUE(enough) << "only " << acked.size() << " batches acknowledged";
  }
  ExitStatus killed = server.Stop(SIGKILL);
  writer.join();
  EXPECT_EQ(killed.signal, SIGKILL) << killed.ToString();
  ASSERT_GE(acked.size(), static_cast<size_t>(kAckedBeforeKill));
  ASSERT_LT(acked.size(), static_cast<size_t>(kMaxBatches)) << "the kill came after the writer";

  TestServer restarted;
  ASSERT_EQ(restarted.Start(data), "");
  HttpClient client(restarted.port());
  for (int b : acked) {
    EXPECT_EQ(FeedbackCount(client, BatchUser(b)), kRowsPerBatch) << "acknowledged batch " << b;
  }
  // The batch in flight at the kill is atomic: all of it or none of it.
  for (int b = static_cast<int>(acked.size()); b < attempted; ++b) {
    int64_t n = FeedbackCount(client, BatchUser(b));
    EXPECT_TRUE(n == 0 || n == kRowsPerBatch) << "batch " << b << " half written: " << n;
  }
  EXPECT_EQ(restarted.Stop(SIGTERM).code, 0);
}

TEST(Durability, SigtermDrainsInFlightRequestsAndExitsZero) {
  constexpr int kClients = 3;
  constexpr int kBigRows = 20000;
  TempDataDir dir("drain");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 20, .items = 40, .seed = 6}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");

  auto big_batch = [](int client) {
    std::string body = "[";
    for (int k = 0; k < kBigRows; ++k) {
      if (k) body.push_back(',');
      body += FeedbackJson("read", "drain" + std::to_string(client), "d" + std::to_string(k));
    }
    return body + "]";
  };
  std::mutex mu;
  std::condition_variable cv;
  int written = 0;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(server.port());
      std::string body = big_batch(i);
      // A first request makes sure the connection is accepted before the signal.
      EXPECT_EQ(client.Get("/api/health/live").status, 200);
      results[i] = client.Request("POST", "/api/feedback", body, {}, [&] {
        std::lock_guard lock(mu);
        ++written;
        cv.notify_all();
      });
    });
  }
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return written == kClients; }));
  }
  ExitStatus status = server.Stop(SIGTERM);
  for (auto& t : threads) t.join();
  EXPECT_TRUE(status.Ok()) << status.ToString() << "\n" << server.log();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(results[i].status, 200) << "in-flight request " << i << ": " << results[i].body;
    EXPECT_EQ(RowAffected(results[i].body), kBigRows);
  }
  EXPECT_NE(server.log().find("draining"), std::string::npos);

  TestServer restarted;
  ASSERT_EQ(restarted.Start(data), "");
  HttpClient client(restarted.port());
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(FeedbackCount(client, "drain" + std::to_string(i)), kBigRows);
  }
  EXPECT_EQ(client.Get("/api/health/ready").status, 200);
  EXPECT_TRUE(restarted.Stop(SIGTERM).Ok());
}

}  // namespace
}  // namespace reco::itest
