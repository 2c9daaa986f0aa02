// KafkaIngest against librdkafka's in-process mock cluster (rdkafka_mock.h): real Kafka protocol
// on loopback sockets, with consumer groups, commits and rebalances, and a real SQLite store
// behind the services.
#include "kafka/kafka_ingest.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kafka/testing/mock_kafka.h"
#include "service/testing/service_fixture.h"

namespace reco::kafka {
namespace {

using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::string FeedbackJson(int user, int item) {
  return R"({"FeedbackType":"like","UserId":"u)" + std::to_string(user) + R"(","ItemId":"i)" +
         std::to_string(item) + R"(","Timestamp":"2026-11-24T03:00:00Z"})";
}

class KafkaIngestTest : public service::testing::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    ASSERT_TRUE(kafka_.ok()) << "the librdkafka mock cluster did not start";
  }

  KafkaIngestOptions Options() {
    KafkaIngestOptions options;
    options.brokers = kafka_.bootstraps();
    options.group_id = "reco-test";
    options.batch_size = 50;
    options.batch_seconds = 0.05;
    options.session_timeout_seconds = 6;
    return options;
  }

  TargetResolver Resolver() {
    return [this](const std::string& tenant) -> Result<IngestTarget> {
      if (tenant != "default") return NotFound("tenant \"" + tenant + "\" not found");
      if (unavailable_ > 0) {
        --unavailable_;
        return Unavailable("store is restarting");
      }
      return IngestTarget{catalogue_.get(), feedback_.get()};
    };
  }

  int64_t FeedbackRows() {
    auto found = feedback_->Find(FeedbackFilter{});
    return found.ok() ? static_cast<int64_t>(found->size()) : -1;
  }
  int64_t ItemRows() {
    auto counts = store_->Counts();
    return counts.ok() ? counts->items : -1;
  }
  double Messages(const std::string& topic, const std::string& result) {
    return metrics_.AddCounter("kafka_messages_total", "", {"topic", "result"})
        ->WithLabels({topic, result})
        ->Value();
  }

  testing::MockKafka kafka_;
  std::atomic<int> unavailable_{0};
};

TEST_F(KafkaIngestTest, WritesItemEventsAndFeedbackInOrder) {
  kafka_.CreateTopic("item-events-default", 1);
  kafka_.CreateTopic("behavior-events-default", 1);
  for (int i = 0; i < 10; ++i) {
    kafka_.Produce("item-events-default", "i" + std::to_string(i),
                   R"({"op":"create","item":{"ItemId":"i)" + std::to_string(i) +
                       R"(","Categories":["books"]}})");
  }
  // i3 is hidden by an update, then i9 is deleted: events of one item keep their order.
  kafka_.Produce("item-events-default", "i3",
                 R"({"op":"update","item":{"ItemId":"i3","IsHidden":true}})");
  kafka_.Produce("item-events-default", "i9", R"({"op":"delete","item_id":"i9"})");
  for (int u = 0; u < 30; ++u)
    kafka_.Produce("behavior-events-default", "", FeedbackJson(u, u % 9));
  kafka_.Flush();

  KafkaIngest ingest(Options(), Resolver(), metrics_);
  ASSERT_TRUE(ingest.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return ingest.written() == 42; })) << ingest.written();
  ingest.Stop();
  EXPECT_EQ(ingest.dead_lettered(), 0);
  EXPECT_EQ(ItemRows(), 9);
  EXPECT_EQ(FeedbackRows(), 30);
  auto i3 = catalogue_->GetItem("i3");
  ASSERT_TRUE(i3.ok());
  EXPECT_TRUE(i3->is_hidden);
  EXPECT_FALSE(catalogue_->GetItem("i9").ok());
  EXPECT_EQ(Messages("item-events-default", "written"), 12);
  EXPECT_EQ(Messages("behavior-events-default", "written"), 30);
  // The online state has the feedback at once: u0's history holds i0.
  EXPECT_GT(state_->ItemCount(), 0u);
}

TEST_F(KafkaIngestTest, MalformedMessagesGoToTheDeadLetterTopicWithTheirError) {
  kafka_.CreateTopic("item-events-default", 1);
  kafka_.CreateTopic("behavior-events-default", 1);
  kafka_.CreateTopic("reco-dead-letter", 1);
  kafka_.CreateTopic("item-events-ghost", 1);
  kafka_.Produce("item-events-default", "a", "not json");
  kafka_.Produce("item-events-default", "b", R"({"op":"upsert","item":{"Categories":[]}})");
  kafka_.Produce("item-events-default", "c", R"({"op":"upsert","item":{"ItemId":"ok1"}})");
  kafka_.Produce("behavior-events-default", "d",
                 R"({"FeedbackType":"like","UserId":"u1","ItemId":"ok1","Timestamp":"never"})");
  kafka_.Produce("item-events-ghost", "e", R"({"op":"upsert","item":{"ItemId":"g1"}})");
  kafka_.Flush();

  KafkaIngestOptions options = Options();
  options.tenants = {"default", "ghost"};
  KafkaIngest ingest(options, Resolver(), metrics_);
  ASSERT_TRUE(ingest.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return ingest.written() + ingest.dead_lettered() == 5; }));
  ingest.Stop();
  EXPECT_EQ(ingest.written(), 1);
  EXPECT_EQ(ingest.dead_lettered(), 4);
  EXPECT_EQ(ItemRows(), 1);
  EXPECT_EQ(Messages("item-events-default", "dead_letter"), 2);
  EXPECT_EQ(Messages("behavior-events-default", "dead_letter"), 1);
  EXPECT_EQ(Messages("item-events-ghost", "dead_letter"), 1);

  std::vector<testing::MockKafka::Read> dead = kafka_.ReadAll("reco-dead-letter", 4);
  ASSERT_EQ(dead.size(), 4u);
  std::map<std::string, std::string> error_of;  // payload -> error header
  for (const auto& d : dead) {
    error_of[d.value] = d.headers.count("reco-error") ? d.headers.at("reco-error") : "";
    EXPECT_EQ(d.headers.count("reco-topic"), 1u);
    EXPECT_EQ(d.headers.count("reco-offset"), 1u);
  }
  EXPECT_NE(error_of["not json"].find("message: "), std::string::npos) << error_of["not json"];
  EXPECT_NE(error_of[R"({"op":"upsert","item":{"Categories":[]}})"].find("item.ItemId"),
            std::string::npos);
  EXPECT_NE(
      error_of[R"({"FeedbackType":"like","UserId":"u1","ItemId":"ok1","Timestamp":"never"})"].find(
          "Timestamp"),
      std::string::npos);
  EXPECT_NE(error_of[R"({"op":"upsert","item":{"ItemId":"g1"}})"].find("ghost"), std::string::npos);
}

TEST_F(KafkaIngestTest, AnUnavailableStoreIsRetriedAndNothingIsLost) {
  kafka_.CreateTopic("behavior-events-default", 2);
  kafka_.CreateTopic("item-events-default", 1);
  for (int u = 0; u < 200; ++u)
    kafka_.Produce("behavior-events-default", std::to_string(u), FeedbackJson(u, 1));
  kafka_.Flush();
  unavailable_ = 3;  // the first three batches find the store unavailable
  KafkaIngest ingest(Options(), Resolver(), metrics_);
  ASSERT_TRUE(ingest.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return FeedbackRows() == 200; })) << FeedbackRows();
  ingest.Stop();
  EXPECT_EQ(unavailable_.load(), 0);
  EXPECT_GT(Messages("behavior-events-default", "retried"), 0);
  EXPECT_EQ(ingest.written(), 200);
  EXPECT_EQ(ingest.dead_lettered(), 0);
}

TEST_F(KafkaIngestTest, ARestartMidStreamLosesAndDuplicatesNothing) {
  kafka_.CreateTopic("behavior-events-default", 4);
  kafka_.CreateTopic("item-events-default", 1);
  constexpr int kMessages = 2000;
  for (int u = 0; u < kMessages; ++u) {
    kafka_.Produce("behavior-events-default", "u" + std::to_string(u), FeedbackJson(u, u % 50));
  }
  kafka_.Flush();
  int64_t first_written = 0;
  {
    KafkaIngest first(Options(), Resolver(), metrics_);
    ASSERT_TRUE(first.Start().ok());
    ASSERT_TRUE(WaitFor([&] { return first.written() >= 400; }));
    first.Stop();
    first_written = first.written();
  }
  ASSERT_LT(first_written, kMessages) << "the first consumer must stop mid-stream";
  KafkaIngest second(Options(), Resolver(), metrics_);
  ASSERT_TRUE(second.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return first_written + second.written() >= kMessages; }))
      << first_written << " + " << second.written();
  second.Stop();
  // Committed offsets: the second consumer starts where the first stopped.
  EXPECT_EQ(first_written + second.written(), kMessages);
  EXPECT_EQ(FeedbackRows(), kMessages);
}

TEST_F(KafkaIngestTest, TwoConsumersOfOneGroupSplitThePartitionsAndSurviveOneLeaving) {
  kafka_.CreateTopic("item-events-default", 4);
  KafkaIngestOptions options = Options();
  options.feedback_topic = "";
  KafkaIngest a(options, Resolver(), metrics_);
  KafkaIngest b(options, Resolver(), metrics_);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.assigned().size() == 2 && b.assigned().size() == 2; }))
      << a.assigned().size() << " + " << b.assigned().size();
  for (int i = 0; i < 400; ++i) {
    kafka_.Produce("item-events-default", "k" + std::to_string(i),
                   R"({"ItemId":"k)" + std::to_string(i) + R"("})");
  }
  kafka_.Flush();
  ASSERT_TRUE(WaitFor([&] { return a.written() + b.written() == 400; }));
  EXPECT_GT(a.written(), 0);
  EXPECT_GT(b.written(), 0);
  a.Stop();
  ASSERT_TRUE(WaitFor([&] { return b.assigned().size() == 4; })) << b.assigned().size();
  for (int i = 400; i < 800; ++i) {
    kafka_.Produce("item-events-default", "k" + std::to_string(i),
                   R"({"ItemId":"k)" + std::to_string(i) + R"("})");
  }
  kafka_.Flush();
  ASSERT_TRUE(WaitFor([&] { return ItemRows() == 800; })) << ItemRows();
  b.Stop();
  EXPECT_EQ(a.written() + b.written(), 800);
}

TEST(KafkaIngestStart, AnUnreachableBrokerFailsStartUpNamingIt) {
  MetricsRegistry metrics;
  KafkaIngestOptions options;
  options.brokers = "127.0.0.1:1";
  options.startup_seconds = 1;
  KafkaIngest ingest(
      options, [](const std::string&) -> Result<IngestTarget> { return IngestTarget{}; }, metrics);
  Status st = ingest.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("kafka.brokers=127.0.0.1:1"), std::string::npos) << st.ToString();
}

TEST(TopicFor, ReplacesEveryTenantPlaceholder) {
  EXPECT_EQ(TopicFor("item-events-{tenant}", "shop"), "item-events-shop");
  EXPECT_EQ(TopicFor("{tenant}.{tenant}", "a"), "a.a");
  EXPECT_EQ(TopicFor("events", "a"), "events");
}

}  // namespace
}  // namespace reco::kafka
