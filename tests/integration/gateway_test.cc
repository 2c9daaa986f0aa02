// `reco gateway` end to end: the real binary receives Alertmanager webhook payloads and delivers
// them to a local HTTP receiver that answers as WeCom's group-robot API does (WeCom itself is on
// the internet). Firing then resolved, a bad payload, errcode 45009 on cue, the receiver down
// and back, /health, /metrics, `reco gateway test-send`, and a message template file of one's
// own (a bad one stops the start).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "gateway/wecom_receiver_testing.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

using gateway::testing::WeComReceiver;

constexpr char kKey[] = "9f8e7d6c-5b4a-3210-robot-key";

// Waits (bounded; the bound only keeps a broken build from hanging) until `done` holds.
template <typename F>
bool WaitFor(F done, int seconds = 30) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Marks every open descriptor close-on-exec. The receiver's listening socket is not, and a
// `reco gateway` child that inherited it would keep the port accepting (and never answering)
// while the test has the receiver "down".
void CloseOnExecAll() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(entry.path().filename().c_str());
    if (fd > 2) ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
  }
}

std::string Payload(const std::string& status, const std::string& alertname) {
  std::string ends = status == "resolved" ? "2030-01-02T03:14:05Z" : "0001-01-01T00:00:00Z";
  return R"({"version":"4","groupKey":"{}:{alertname=\")" + alertname +
         R"(\"}","truncatedAlerts":0,"status":")" + status +
         R"(","receiver":"reco-ops","groupLabels":{"alertname":")" + alertname +
         R"("},"commonLabels":{"alertname":")" + alertname +
         R"("},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[
         {"status":")" + status + R"(","labels":{"alertname":")" + alertname +
         R"(","severity":"critical","instance":"reco-serve:8000"},
          "annotations":{"summary":"The production model is older than 26 h","description":"d"},
          "startsAt":"2030-01-02T03:04:05Z","endsAt":")" + ends +
         R"(","generatorURL":"http://prometheus:9090/graph","fingerprint":"f1"}]})";
}

class GatewayIntegrationTest : public ::testing::Test {
 protected:
  GatewayIntegrationTest() : dir_("gateway"), wecom_(kKey) {}

  void SetUp() override {
    unsetenv("WEIXIN_WEBHOOK_URL");
    unsetenv("WEIXIN_WEBHOOK_KEY");
    ASSERT_TRUE(wecom_.Start());
    config_ = WriteConfig("gateway.toml", wecom_.url());
  }
  void TearDown() override { StopGateway(); }

  // `extra`: more lines of the [gateway] section.
  std::string WriteConfig(const std::string& name, const std::string& url,
                          const std::string& extra = "") {
    std::string path = (dir_.path() / name).string();
    std::ofstream(path) << "[gateway]\nlanguage = \"en\"\ntime_zone = \"Asia/Shanghai\"\n"
                           "retry_initial_seconds = 0.2\nretry_max_seconds = 1\n"
                        << extra << "[[gateway.robots]]\nname = \"ops\"\nurl = \"" << url
                        << "\"\nreceivers = [\"reco-ops\", \"test-send\"]\n";
    return path;
  }

  // Starts `reco gateway` and waits for its "listening on" line; "" or what went wrong.
  std::string StartGateway() {
    log_ = dir_.path() / "gateway.log";
    CloseOnExecAll();
    pid_ = SpawnReco({"--log-level", "debug", "gateway", "--http-port", "0", "--config", config_},
                     log_);
    if (pid_ <= 0) return "spawn failed";
    const std::string marker = "reco gateway listening on http://127.0.0.1:";
    bool up = WaitFor([&] { return ReadFile(log_).find(marker) != std::string::npos; });
    if (!up) return "no listening line; log:\n" + ReadFile(log_);
    std::string log = ReadFile(log_);
    port_ = std::stoi(log.substr(log.find(marker) + marker.size()));
    return "";
  }
  void StopGateway() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string HealthResult() {
    HttpClient client(port_);
    Json health(client.Get("/health").body);
    return StringField(health["last_delivery"], "result");
  }

  TempDataDir dir_;
  WeComReceiver wecom_;
  std::string config_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(GatewayIntegrationTest, FiringThenResolvedReachTheRobot) {
  ASSERT_EQ(StartGateway(), "");
  HttpClient client(port_);
  HttpResult firing = client.Post("/alertmanager", Payload("firing", "RecoModelTooOld"));
  ASSERT_EQ(firing.status, 200) << firing.body;
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 1; })) << ReadFile(log_);
  gateway::testing::ReceivedMessage first = wecom_.delivered()[0];
  EXPECT_EQ(first.msgtype, "markdown");
  EXPECT_NE(first.content.find("<font color=\"warning\">FIRING"), std::string::npos)
      << first.content;
  EXPECT_NE(first.content.find("RecoModelTooOld"), std::string::npos);
  EXPECT_NE(first.content.find("The production model is older than 26 h"), std::string::npos);
  EXPECT_NE(first.content.find("2030-01-02 11:04:05 (Asia/Shanghai)"), std::string::npos)
      << first.content;

  HttpResult resolved = client.Post("/alertmanager", Payload("resolved", "RecoModelTooOld"));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 2; })) << ReadFile(log_);
  std::string second = wecom_.delivered()[1].content;
  EXPECT_NE(second.find("<font color=\"info\">RESOLVED"), std::string::npos) << second;
  EXPECT_NE(second.find("RecoModelTooOld"), std::string::npos);

  EXPECT_EQ(HealthResult(), "delivered");
  std::string metrics = client.Get("/metrics").body;
  EXPECT_NE(metrics.find("reco_gateway_messages_total{robot=\"ops\",result=\"delivered\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("reco_gateway_queue_length{robot=\"ops\"} 0"), std::string::npos);
  EXPECT_EQ(ReadFile(log_).find(kKey), std::string::npos) << "the webhook key was logged";
}

TEST_F(GatewayIntegrationTest, BadPayloadIs400NamingTheField) {
  ASSERT_EQ(StartGateway(), "");
  HttpClient client(port_);
  std::string bad = Payload("firing", "X");
  bad.replace(bad.find("\"startsAt\":\"2030"), 16, "\"startsAt\":\"soon");
  HttpResult r = client.Post("/alertmanager", bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r.body), "alerts[0].startsAt") << r.body;
  std::string other = Payload("firing", "X");
  other.replace(other.find("\"receiver\":\"reco-ops\""), 21, "\"receiver\":\"nobody\"");
  r = client.Post("/alertmanager", other);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorField(r.body), "receiver") << r.body;
  EXPECT_TRUE(wecom_.messages().empty());
}

TEST_F(GatewayIntegrationTest, SurvivesTheReceiverBeingDownAndARateLimit) {
  ASSERT_EQ(StartGateway(), "");
  HttpClient client(port_);
  wecom_.Stop();
  ASSERT_EQ(client.Post("/alertmanager", Payload("firing", "ReceiverWasDown")).status, 200);
  ASSERT_TRUE(WaitFor([&] { return HealthResult() == "retry"; })) << ReadFile(log_);
  ASSERT_TRUE(wecom_.Restart());
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 1; })) << ReadFile(log_);
  EXPECT_NE(wecom_.delivered()[0].content.find("ReceiverWasDown"), std::string::npos);

  wecom_.Script({45009});  // WeCom's "api freq out of limit"
  ASSERT_EQ(client.Post("/alertmanager", Payload("firing", "AfterRateLimit")).status, 200);
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 2; })) << ReadFile(log_);
  EXPECT_NE(wecom_.delivered()[1].content.find("AfterRateLimit"), std::string::npos);
  const auto all = wecom_.messages();
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[all.size() - 2].answered_errcode, 45009);
  std::string metrics = client.Get("/metrics").body;
  EXPECT_EQ(metrics.find("reco_gateway_retries_total{robot=\"ops\"} 0"), std::string::npos)
      << metrics;
}

TEST_F(GatewayIntegrationTest, TestSendSucceedsOnlyWhenEveryRobotAccepts) {
  std::filesystem::path log = dir_.path() / "test-send.log";
  CloseOnExecAll();
  ExitStatus ok = RunReco({"gateway", "test-send", "--config", config_}, log);
  EXPECT_TRUE(ok.Ok()) << ok.ToString() << ReadFile(log);
  ASSERT_EQ(wecom_.delivered().size(), 1u);
  EXPECT_NE(wecom_.delivered()[0].content.find("RecoGatewayTest"), std::string::npos);

  std::string wrong = "http://127.0.0.1:" + std::to_string(wecom_.port()) +
                      "/cgi-bin/webhook/send?key=wrong-key-123456";
  ExitStatus bad = RunReco({"gateway", "test-send", "--config", WriteConfig("bad.toml", wrong)},
                           dir_.path() / "bad.log");
  EXPECT_TRUE(bad.exited);
  EXPECT_EQ(bad.code, 1);
  std::string out = ReadFile(dir_.path() / "bad.log");
  EXPECT_NE(out.find("errcode=93000"), std::string::npos) << out;
  EXPECT_EQ(out.find("wrong-key-123456"), std::string::npos) << "the key was printed: " << out;
}

TEST_F(GatewayIntegrationTest, ATemplateFileShapesTheMessagesAndABadOneStopsTheStart) {
  std::ofstream(dir_.path() / "ops.tmpl")
      << "{{! the ops group's layout }}\n"
         "[{{status}}] {{receiver}}: {{alerts_total}} alert(s)\n"
         "{{#alerts}}\n"
         "- <font color=\"{{color}}\">{{alertname}}</font> on {{instance}} since {{starts_at}}: "
         "{{summary}} ({{labels.severity}})\n"
         "{{/alerts}}\n"
         "{{external_url}}\n";
  config_ = WriteConfig("templated.toml", wecom_.url(), "template_file = \"ops.tmpl\"\n");
  ASSERT_EQ(StartGateway(), "");
  HttpClient client(port_);
  ASSERT_EQ(client.Post("/alertmanager", Payload("firing", "RecoModelTooOld")).status, 200);
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 1; })) << ReadFile(log_);
  EXPECT_EQ(wecom_.delivered()[0].content,
            "[firing] reco-ops: 1 alert(s)\n"
            "- <font color=\"warning\">RecoModelTooOld</font> on reco-serve:8000 since "
            "2030-01-02 11:04:05: The production model is older than 26 h (critical)\n"
            "http://alertmanager:9093\n");
  StopGateway();

  ExitStatus sent =
      RunReco({"gateway", "test-send", "--config", config_}, dir_.path() / "test-send.log");
  EXPECT_TRUE(sent.Ok()) << sent.ToString() << ReadFile(dir_.path() / "test-send.log");
  ASSERT_EQ(wecom_.delivered().size(), 2u);
  const std::string test_message = wecom_.delivered()[1].content;
  EXPECT_EQ(test_message.rfind("[firing] test-send: 1 alert(s)\n"
                               "- <font color=\"warning\">RecoGatewayTest</font>",
                               0),
            0u)
      << test_message;

  std::ofstream(dir_.path() / "bad.tmpl") << "{{#alerts}}\n{{alertname}} {{nope}}\n{{/alerts}}";
  std::string bad = WriteConfig("bad.toml", wecom_.url(), "template_file = \"bad.tmpl\"\n");
  std::filesystem::path bad_log = dir_.path() / "bad.log";
  ExitStatus refused = RunReco({"gateway", "--http-port", "0", "--config", bad}, bad_log);
  EXPECT_TRUE(refused.exited);
  EXPECT_EQ(refused.code, 2) << ReadFile(bad_log);
  const std::string why = "gateway.template_file is not a usable template: template file " +
                          (dir_.path() / "bad.tmpl").string() + ":2: unknown placeholder {{nope}}";
  EXPECT_NE(ReadFile(bad_log).find(why), std::string::npos) << ReadFile(bad_log);
  EXPECT_EQ(ReadFile(bad_log).find("listening"), std::string::npos);
}

TEST_F(GatewayIntegrationTest, ThePrintedBuiltInTemplateAsAFileGivesTheBuiltInMessage) {
  std::filesystem::path printed = dir_.path() / "en.tmpl";
  ExitStatus print = RunReco({"gateway", "print-template", "--language", "en"}, printed);
  ASSERT_TRUE(print.Ok()) << print.ToString() << ReadFile(printed);
  EXPECT_NE(ReadFile(printed).find("{{#alerts}}\n"), std::string::npos) << ReadFile(printed);
  ASSERT_EQ(StartGateway(), "");  // the built-in en template
  ASSERT_EQ(HttpClient(port_).Post("/alertmanager", Payload("resolved", "Same")).status, 200);
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 1; })) << ReadFile(log_);
  StopGateway();
  std::filesystem::remove(log_);  // the next start's listening line is the one to read
  config_ = WriteConfig("printed.toml", wecom_.url(), "template_file = \"en.tmpl\"\n");
  ASSERT_EQ(StartGateway(), "");
  ASSERT_EQ(HttpClient(port_).Post("/alertmanager", Payload("resolved", "Same")).status, 200);
  ASSERT_TRUE(WaitFor([&] { return wecom_.delivered().size() == 2; })) << ReadFile(log_);
  EXPECT_NE(wecom_.delivered()[0].content.find("RESOLVED"), std::string::npos);
  EXPECT_EQ(wecom_.delivered()[1].content, wecom_.delivered()[0].content);
}

}  // namespace
}  // namespace reco::itest
