// The WeCom client and the gateway's queue against a local receiver that answers as WeCom does.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gateway/gateway.h"
#include "gateway/wecom_receiver_testing.h"

namespace reco::gateway {
namespace {

using testing::WeComReceiver;

constexpr char kKey[] = "0123456789abcdef-robot-key";

AlertPayload OneAlert(const std::string& name, const std::string& receiver = "ops") {
  AlertPayload p;
  p.version = "4";
  p.status = "firing";
  p.receiver = receiver;
  Alert a;
  a.status = "firing";
  a.labels = {{"alertname", name}, {"severity", "critical"}};
  a.starts_at = *ParseTimestamp("2024-01-02T03:04:05Z");
  p.alerts.push_back(a);
  return p;
}

GatewayConfig FastConfig(std::vector<RobotConfig> robots) {
  GatewayConfig c;
  c.time_zone = "UTC";
  c.retry_initial_seconds = 0.05;
  c.retry_max_seconds = 0.2;
  c.robots = std::move(robots);
  return c;
}

// Waits (bounded) until `done` holds; the bound only keeps a broken build from hanging.
template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 600; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

TEST(WeComClientTest, ErrcodeZeroIsTheOnlySuccess) {
  EXPECT_EQ(JudgeReply(200, R"({"errcode":0,"errmsg":"ok"})").outcome, SendOutcome::kDelivered);
  EXPECT_EQ(JudgeReply(200, R"({"errcode":45009,"errmsg":"x"})").outcome, SendOutcome::kRetry);
  EXPECT_EQ(JudgeReply(200, R"({"errcode":93000,"errmsg":"x"})").outcome,
            SendOutcome::kConfigError);
  EXPECT_EQ(JudgeReply(200, R"({"errcode":40058,"errmsg":"x"})").outcome,
            SendOutcome::kConfigError);
  EXPECT_EQ(JudgeReply(200, R"({"errcode":40008,"errmsg":"x"})").outcome, SendOutcome::kRejected);
  EXPECT_EQ(JudgeReply(200, "<html>").outcome, SendOutcome::kRejected);
  EXPECT_EQ(JudgeReply(502, "").outcome, SendOutcome::kRetry);
  EXPECT_EQ(JudgeReply(404, "").outcome, SendOutcome::kConfigError);
}

TEST(WeComClientTest, SendsMarkdownAndReadsTheAnswers) {
  WeComReceiver wecom(kKey);
  ASSERT_TRUE(wecom.Start());
  WeComMessage m;
  m.content = "## hello";
  EXPECT_EQ(SendToRobot(wecom.url(), m, 5).outcome, SendOutcome::kDelivered);
  wecom.Script({45009});
  SendResult limited = SendToRobot(wecom.url(), m, 5);
  EXPECT_EQ(limited.outcome, SendOutcome::kRetry);
  EXPECT_EQ(limited.errcode, 45009);
  std::string bad_url = "http://127.0.0.1:" + std::to_string(wecom.port()) +
                        "/cgi-bin/webhook/send?key=wrongkey-0000";
  SendResult bad_key = SendToRobot(bad_url, m, 5);
  EXPECT_EQ(bad_key.outcome, SendOutcome::kConfigError);
  EXPECT_EQ(bad_key.errcode, 93000);
  ASSERT_EQ(wecom.messages().size(), 3u);
  EXPECT_EQ(wecom.messages()[0].msgtype, "markdown");
  EXPECT_EQ(wecom.messages()[0].content, "## hello");
  wecom.Stop();
  SendResult down = SendToRobot(wecom.url(), m, 5);
  EXPECT_EQ(down.outcome, SendOutcome::kRetry);
  EXPECT_EQ(down.detail.find(kKey), std::string::npos) << down.detail;
}

TEST(WeComClientTest, AnEndpointThatNeverAnswersIsANetworkErrorAfterTheTimeout) {
  // A listening socket nobody accepts from: connections complete in the backlog, no answer.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                    "/cgi-bin/webhook/send?key=" + kKey;
  WeComMessage m;
  m.content = "x";
  SendResult r = SendToRobot(url, m, 0.3);
  ::close(fd);
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_NE(r.detail.find("read"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find(kKey), std::string::npos) << r.detail;
}

// A listening socket nobody accepts from: connections complete in the backlog and no answer
// comes. Close() resets them.
class SilentEndpoint {
 public:
  SilentEndpoint() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          ::listen(fd_, 8) == 0;
    socklen_t len = sizeof(addr);
    ok_ = ok_ && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
  }
  ~SilentEndpoint() { Close(); }
  bool ok() const { return ok_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/cgi-bin/webhook/send?key=" + kKey;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
};

// A host name lookup that blocks until released, as getaddrinfo does when the DNS server never
// answers; the state is shared with the lookup threads that outlive the sends.
struct StuckLookup {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  HostLookup Lookup() const {
    return [state = state](const std::string&) -> Result<std::vector<std::string>> {
      std::unique_lock<std::mutex> lock(state->mu);
      state->cv.wait(lock, [&] { return state->released; });
      return Unavailable("released");
    };
  }
  ~StuckLookup() {
    std::lock_guard<std::mutex> lock(state->mu);
    state->released = true;
    state->cv.notify_all();
  }
};

TEST(WeComClientTest, AHostNameLookupThatNeverAnswersIsANetworkErrorAtTheTimeout) {
  StuckLookup stuck;
  WeComMessage m;
  m.content = "x";
  std::string url = std::string("https://robot.example/cgi-bin/webhook/send?key=") + kKey;
  SendResult r = SendToRobot(url, m, 0.2, "", stuck.Lookup());
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_NE(r.detail.find("resolve robot.example:443 failed (lookup of robot.example gave no "
                          "answer within 0.2 s)"),
            std::string::npos)
      << r.detail;
  EXPECT_EQ(r.detail.find(kKey), std::string::npos) << r.detail;
}

TEST(GatewayTest, AStuckLookupIsRetriedLikeANetworkError) {
  StuckLookup stuck;
  MetricsRegistry metrics;
  GatewayConfig c = FastConfig(
      {RobotConfig{"ops", std::string("http://robot.example/x?key=") + kKey, {}, {}, {}}});
  c.send_timeout_seconds = 0.1;
  HostLookup lookup = stuck.Lookup();
  Gateway gateway(c, metrics, [lookup](const std::string& url, const WeComMessage& m, double t) {
    return SendToRobot(url, m, t, "", lookup);
  });
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("DnsDown")).ok());
  ASSERT_TRUE(WaitFor([&] {
    return metrics.RenderText().find("reco_gateway_retries_total{robot=\"ops\"} 2") !=
           std::string::npos;
  }));
  DeliveryStatus health = gateway.Health();
  EXPECT_EQ(health.result, "retry");
  EXPECT_NE(health.detail.find("gave no answer"), std::string::npos) << health.detail;
  gateway.Stop();
}

TEST(GatewayTest, ARobotThatNeverAnswersDoesNotDelayAnotherRobot) {
  SilentEndpoint silent;
  ASSERT_TRUE(silent.ok());
  WeComReceiver fast(kKey);
  ASSERT_TRUE(fast.Start());
  MetricsRegistry metrics;
  GatewayConfig c = FastConfig({RobotConfig{"silent", silent.url(), {"silent"}, {}, {}},
                                RobotConfig{"fast", fast.url(), {"fast"}, {}, {}}});
  c.send_timeout_seconds = 600;  // the silent robot's attempt lasts until its socket closes
  Gateway gateway(c, metrics);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("ToSilent", "silent")).ok());
  // Out of the queue: the silent robot's worker is inside its attempt.
  ASSERT_TRUE(WaitFor([&] { return gateway.queue_length() == 0; }));
  ASSERT_TRUE(gateway.Submit(OneAlert("ToFast", "fast")).ok());
  ASSERT_TRUE(WaitFor([&] { return fast.delivered().size() == 1; }));
  EXPECT_NE(fast.delivered()[0].content.find("ToFast"), std::string::npos);
  // Delivered while the silent robot's attempt had not ended: nothing recorded for it yet.
  EXPECT_EQ(gateway.Health().robot, "fast");
  EXPECT_NE(metrics.RenderText().find("reco_gateway_retries_total{robot=\"silent\"} 0"),
            std::string::npos);
  silent.Close();  // resets the waiting connection: the attempt ends as a network error
  ASSERT_TRUE(WaitFor([&] { return gateway.Health().robot == "silent"; }));
  EXPECT_EQ(gateway.Health().result, "retry");
  gateway.Stop();
}

TEST(GatewayTest, ARobotsOwnTemplateWinsOverTheGatewaysAndTestSendUsesIt) {
  WeComReceiver ops(kKey), dev(kKey);
  ASSERT_TRUE(ops.Start());
  ASSERT_TRUE(dev.Start());
  auto parse = [](const std::string& source) {
    Result<MessageTemplate> t = MessageTemplate::Parse(source, "t", "t");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return std::make_shared<const MessageTemplate>(t.ok() ? *std::move(t) : MessageTemplate());
  };
  GatewayConfig c = FastConfig({RobotConfig{"ops", ops.url(), {}, {}, {}},
                                RobotConfig{"dev", dev.url(), {}, {}, {}}});
  c.message_template = parse("ALL{{#alerts}} {{alertname}}{{/alerts}}");
  c.robots[0].message_template = parse("OPS{{#alerts}} {{alertname}}{{/alerts}}");
  MetricsRegistry metrics;
  Gateway gateway(c, metrics);
  auto tested = gateway.SendTestMessages();
  ASSERT_EQ(tested.size(), 2u);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("Disk")).ok());
  ASSERT_TRUE(WaitFor([&] { return ops.delivered().size() == 2 && dev.delivered().size() == 2; }));
  EXPECT_EQ(ops.delivered()[0].content, "OPS RecoGatewayTest");
  EXPECT_EQ(ops.delivered()[1].content, "OPS Disk");
  EXPECT_EQ(dev.delivered()[0].content, "ALL RecoGatewayTest");
  EXPECT_EQ(dev.delivered()[1].content, "ALL Disk");
  gateway.Stop();
}

TEST(GatewayTest, RateLimitAndNetworkErrorsAreRetriedUntilDelivered) {
  WeComReceiver wecom(kKey);
  ASSERT_TRUE(wecom.Start());
  wecom.Script({45009, 45009});
  MetricsRegistry metrics;
  Gateway gateway(FastConfig({RobotConfig{"ops", wecom.url(), {}, {}, {}}}), metrics);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("DiskFull")).ok());
  ASSERT_TRUE(WaitFor([&] { return wecom.delivered().size() == 1; }));
  EXPECT_EQ(wecom.messages().size(), 3u);
  EXPECT_NE(wecom.delivered()[0].content.find("DiskFull"), std::string::npos);
  EXPECT_EQ(gateway.Health().result, "delivered");
  std::string text = metrics.RenderText();
  EXPECT_NE(text.find("reco_gateway_messages_total{robot=\"ops\",result=\"delivered\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("reco_gateway_retries_total{robot=\"ops\"} 2"), std::string::npos) << text;
  gateway.Stop();
}

TEST(GatewayTest, SurvivesTheReceiverBeingDownAndDeliversMergedWhenItIsBack) {
  WeComReceiver wecom(kKey);
  ASSERT_TRUE(wecom.Start());
  wecom.Stop();
  MetricsRegistry metrics;
  Gateway gateway(FastConfig({RobotConfig{"ops", wecom.url(), {}, {}, {}}}), metrics);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("NodeDown")).ok());
  ASSERT_TRUE(WaitFor([&] { return gateway.Health().result == "retry"; }));
  Counter* retries = metrics.AddCounter("reco_gateway_retries_total", "", {"robot"})
                         ->WithLabels({"ops"});
  ASSERT_TRUE(gateway.Submit(OneAlert("DiskSlow")).ok());
  // Both wait: the next failed attempt takes them together and puts them back as one message.
  const double retries_at_submit = retries->Value();
  EXPECT_TRUE(WaitFor([&] {
    return retries->Value() >= retries_at_submit + 2 && gateway.queue_length() == 1u;
  }));
  ASSERT_TRUE(wecom.Restart());
  ASSERT_TRUE(WaitFor([&] { return wecom.delivered().size() == 1; }));
  // Both waiting messages went out as one.
  EXPECT_NE(wecom.delivered()[0].content.find("NodeDown"), std::string::npos);
  EXPECT_NE(wecom.delivered()[0].content.find("DiskSlow"), std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return gateway.queue_length() == 0; }));
  gateway.Stop();
}

TEST(GatewayTest, BadKeyIsAConfigurationErrorNotRetried) {
  WeComReceiver wecom(kKey);
  ASSERT_TRUE(wecom.Start());
  wecom.Script({93000});
  MetricsRegistry metrics;
  Gateway gateway(FastConfig({RobotConfig{"ops", wecom.url(), {}, {}, {}}}), metrics);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("A")).ok());
  ASSERT_TRUE(WaitFor([&] { return gateway.Health().result == "config_error"; }));
  EXPECT_EQ(gateway.Health().errcode, 93000);
  EXPECT_EQ(wecom.messages().size(), 1u);
  EXPECT_NE(metrics.RenderText().find(
                "reco_gateway_messages_total{robot=\"ops\",result=\"config_error\"} 1"),
            std::string::npos);
  gateway.Stop();
}

TEST(GatewayTest, RoutesByReceiverAndHoldsMessagesUnderTheRateLimit) {
  WeComReceiver ops(kKey), dev(kKey);
  ASSERT_TRUE(ops.Start());
  ASSERT_TRUE(dev.Start());
  MetricsRegistry metrics;
  GatewayConfig c = FastConfig({RobotConfig{"ops", ops.url(), {"ops"}, {}, {}},
                                RobotConfig{"dev", dev.url(), {}, {}, {}}});
  c.rate_limit_per_minute = 1;
  Gateway gateway(c, metrics);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("First")).ok());
  ASSERT_TRUE(WaitFor([&] { return ops.delivered().size() == 1; }));
  // The robot's one message of this minute is spent: the next two wait.
  ASSERT_TRUE(gateway.Submit(OneAlert("Second")).ok());
  ASSERT_TRUE(gateway.Submit(OneAlert("Third")).ok());
  ASSERT_TRUE(gateway.Submit(OneAlert("ForDev", "dev-team")).ok());
  ASSERT_TRUE(WaitFor([&] { return dev.delivered().size() == 1; }));
  EXPECT_NE(dev.delivered()[0].content.find("ForDev"), std::string::npos);
  EXPECT_EQ(ops.messages().size(), 1u);
  EXPECT_EQ(gateway.queue_length(), 2u);
  gateway.Stop();
  EXPECT_EQ(ops.messages().size(), 1u);
}

TEST(GatewayTest, TextMessagesMentionForCriticalAlertsAndTestSendReportsEachRobot) {
  WeComReceiver wecom(kKey);
  ASSERT_TRUE(wecom.Start());
  MetricsRegistry metrics;
  GatewayConfig c = FastConfig({RobotConfig{"ops", wecom.url(), {}, {"@all"}, {"13800000000"}},
                                RobotConfig{"bad", wecom.url() + "x", {}, {}, {}}});
  c.message_type = "text";
  Gateway gateway(c, metrics);
  auto results = gateway.SendTestMessages();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].second.outcome, SendOutcome::kDelivered);
  EXPECT_EQ(results[1].second.outcome, SendOutcome::kConfigError);
  gateway.Start();
  ASSERT_TRUE(gateway.Submit(OneAlert("Critical")).ok());
  ASSERT_TRUE(WaitFor([&] { return wecom.delivered().size() == 2; }));
  testing::ReceivedMessage m = wecom.delivered()[1];
  EXPECT_EQ(m.msgtype, "text");
  EXPECT_EQ(m.mentioned_list, (std::vector<std::string>{"@all"}));
  gateway.Stop();
}

}  // namespace
}  // namespace reco::gateway
