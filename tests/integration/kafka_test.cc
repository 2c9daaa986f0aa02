// `reco serve` with [kafka] against librdkafka's mock cluster (real Kafka protocol on loopback):
// behaviour and item events reach the store and the online state; a server killed with SIGKILL
// in the middle of the stream and started again loses nothing and duplicates nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "src/kafka/testing/mock_kafka.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

using namespace std::chrono_literals;

// The sum of kafka_messages_total{result="written"} on the server's /metrics.
double Written(HttpClient& http) {
  HttpResult r = http.Get("/metrics");
  if (r.status != 200) return -1;
  static const std::regex kLine(
      R"(kafka_messages_total\{[^}]*result="written"[^}]*\} ([0-9.e+]+))");
  double sum = 0;
  for (std::sregex_iterator it(r.body.begin(), r.body.end(), kLine), end; it != end; ++it) {
    sum += std::stod((*it)[1].str());
  }
  return sum;
}

// Every feedback row the server lists, page by page.
int64_t FeedbackRows(HttpClient& http) {
  int64_t rows = 0;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    HttpResult r = http.Get("/api/feedback?n=1000&cursor=" + cursor);
    if (r.status != 200) return -1;
    Json body(r.body);
    simdjson::dom::array feedback;
    if (body["Feedback"].get_array().get(feedback) != simdjson::SUCCESS) return -1;
    rows += static_cast<int64_t>(feedback.size());
    cursor = StringField(body.root(), "Cursor");
    if (cursor.empty()) return rows;
  }
  return -1;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout = 90s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

TEST(KafkaServe, AServerKilledMidStreamLosesAndDuplicatesNothing) {
  kafka::testing::MockKafka kafka;
  ASSERT_TRUE(kafka.ok()) << "the librdkafka mock cluster did not start";
  kafka.CreateTopic("item-events-default", 2);
  kafka.CreateTopic("behavior-events-default", 4);
  kafka.CreateTopic("reco-dead-letter", 1);
  constexpr int kItems = 50;
  for (int i = 0; i < kItems; ++i) {
    kafka.Produce("item-events-default", "i" + std::to_string(i),
                  R"({"op":"create","item":{"ItemId":"i)" + std::to_string(i) +
                      R"(","Categories":["c)" + std::to_string(i % 5) + R"("]}})");
  }
  kafka.Flush();
  // Behaviour events keep arriving (about 2000 a second) until 1000 more than were sent when
  // the server is killed.
  std::atomic<bool> killed{false};
  std::atomic<int> produced{0};
  std::thread producer([&] {
    int after_kill = 0;
    for (int u = 0; u < 100000 && after_kill < 1000; ++u) {
      kafka.Produce("behavior-events-default", "u" + std::to_string(u),
                    FeedbackJson("like", "u" + std::to_string(u), "i" + std::to_string(u % kItems),
                                 "2026-11-24T03:00:00Z"));
      produced = u + 1;
      if (killed) ++after_kill;
      if (u % 100 == 99) {
        kafka.Flush();
        std::this_thread::sleep_for(50ms);
      }
    }
    kafka.Flush();
  });

  TempDataDir dir("kafka_serve");
  ServerOptions options;
  options.env = {{"RECO_KAFKA_BROKERS", kafka.bootstraps()},
                 {"RECO_KAFKA_BATCH_SIZE", "50"},
                 {"RECO_KAFKA_SESSION_TIMEOUT_SECONDS", "6"}};
  double first_written = 0;
  {
    TestServer server;
    ASSERT_EQ(server.Start(dir.path(), options), "");
    HttpClient http(server.port());
    const bool started = WaitFor([&] { return Written(http) >= 1000; });
    first_written = Written(http);
    ExitStatus stopped = server.Stop(SIGKILL);
    killed = true;
    EXPECT_FALSE(stopped.exited);
    if (!started) {
      producer.join();
      FAIL() << server.log();
    }
  }

  TestServer server;
  const std::string restarted = server.Start(dir.path(), options);
  producer.join();
  ASSERT_EQ(restarted, "");
  HttpClient http(server.port());
  const int kFeedback = produced;
  ASSERT_TRUE(WaitFor([&] { return FeedbackRows(http) == kFeedback; }))
      << FeedbackRows(http) << "\n"
      << server.log();
  // Every event is a row of its own: the count proves nothing was lost and nothing written
  // twice. The restarted server read again at most the batches uncommitted at the kill.
  ASSERT_GT(kFeedback, first_written) << "the server must be killed mid-stream";
  EXPECT_LE(Written(http), kItems + kFeedback - first_written + 6 * 50);
  HttpResult items = http.Get("/api/items?n=100");
  ASSERT_EQ(items.status, 200);
  Json body(items.body);
  simdjson::dom::array list;
  ASSERT_EQ(body["Items"].get_array().get(list), simdjson::SUCCESS) << items.body;
  EXPECT_EQ(list.size(), static_cast<size_t>(kItems));
  // The online state has the stream: a user's recommendations exclude what it liked.
  HttpResult recommend = http.Get("/api/recommend/u7?n=60");
  ASSERT_EQ(recommend.status, 200);
  for (const std::string& id : StringArray(recommend.body)) EXPECT_NE(id, "i7");
  EXPECT_EQ(server.Stop(SIGTERM).Ok(), true) << server.log();
}

TEST(KafkaServe, AnUnreachableBrokerFailsStartUpNamingIt) {
  TempDataDir dir("kafka_down");
  ServerOptions options;
  options.env = {{"RECO_KAFKA_BROKERS", "127.0.0.1:1"}};
  options.start_deadline_seconds = 30;
  TestServer server;
  std::string failure = server.Start(dir.path(), options);
  EXPECT_NE(failure, "");
  EXPECT_NE(failure.find("kafka.brokers=127.0.0.1:1"), std::string::npos) << failure;
}

}  // namespace
}  // namespace reco::itest
