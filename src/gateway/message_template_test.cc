#include "gateway/message_template.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/message.h"

namespace reco::gateway {
namespace {

class MessageTemplateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(ApplyTimeZone("Asia/Shanghai").ok()); }

  static Alert MakeAlert(const std::string& name, const std::string& status) {
    Alert a;
    a.status = status;
    a.labels = {
        {"alertname", name}, {"severity", "critical"}, {"instance", "web-1:8000"}, {"job", "reco"}};
    a.annotations = {{"summary", "summary of " + name}, {"description", "d"}, {"runbook", "rb"}};
    a.starts_at = *ParseTimestamp("2024-01-02T03:04:05Z");
    if (status == "resolved") a.ends_at = *ParseTimestamp("2024-01-02T03:14:05Z");
    a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
    a.fingerprint = "fp" + name;
    return a;
  }

  static AlertPayload MakePayload(int n, const std::string& status = "firing") {
    AlertPayload p;
    p.version = "4";
    p.status = status;
    p.receiver = "ops";
    p.external_url = "http://alertmanager:9093";
    p.group_labels = {{"alertname", "G"}};
    p.common_labels = {{"severity", "critical"}, {"team", "search"}};
    for (int i = 0; i < n; ++i) p.alerts.push_back(MakeAlert("Alert" + std::to_string(i), status));
    return p;
  }

  static MessageTemplate Parse(const std::string& source) {
    Result<MessageTemplate> t = MessageTemplate::Parse(source, "t.tmpl", "gateway.template_file");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *std::move(t) : MessageTemplate();
  }

  // The error of parsing `source`, "" when it parses.
  static std::string ErrorOf(const std::string& source) {
    Result<MessageTemplate> t = MessageTemplate::Parse(source, "t.tmpl", "gateway.template_file");
    if (t.ok()) return "";
    EXPECT_EQ(t.status().field(), "gateway.template_file");
    return t.status().message();
  }

  static RenderOptions WithTemplate(const std::string& source) {
    RenderOptions o;
    o.message_template = std::make_shared<const MessageTemplate>(Parse(source));
    return o;
  }
};

TEST_F(MessageTemplateTest, BuiltInZhMarkdownIsTheDocumentedMessage) {
  EXPECT_EQ(RenderMarkdown(MakePayload(1), RenderOptions{}),
            "## <font color=\"warning\">告警触发 [1/1] ops</font>\n"
            "\n"
            "**<font color=\"warning\">告警触发</font> Alert0**\n"
            "> **级别**: critical\n"
            "> **摘要**: summary of Alert0\n"
            "> **详情**: d\n"
            "> **实例**: web-1:8000\n"
            "> **开始时间**: 2024-01-02 11:04:05 (Asia/Shanghai)\n"
            "[查看来源](http://prometheus:9090/graph?g0.expr=up)\n");
}

TEST_F(MessageTemplateTest, BuiltInEnglishTextOfAResolvedAlert) {
  RenderOptions o;
  o.language = "en";
  o.max_bytes = kTextMaxBytes;
  AlertPayload p = MakePayload(1, "resolved");
  p.alerts[0].labels.erase("instance");  // an empty field leaves its line out
  EXPECT_EQ(RenderText(p, o),
            "RESOLVED [0/1] ops\n"
            "\n"
            "[RESOLVED] Alert0\n"
            "Severity: critical\n"
            "Summary: summary of Alert0\n"
            "Description: d\n"
            "Started: 2024-01-02 11:04:05 (Asia/Shanghai)\n"
            "Resolved: 2024-01-02 11:14:05 (Asia/Shanghai)\n"
            "Source: http://prometheus:9090/graph?g0.expr=up\n");
}

TEST_F(MessageTemplateTest, EveryBuiltInSourceParses) {
  for (const char* language : {"zh-CN", "en"}) {
    for (bool markdown : {true, false}) {
      Result<MessageTemplate> t =
          MessageTemplate::Parse(BuiltinTemplateSource(language, markdown), "built-in", "");
      EXPECT_TRUE(t.ok()) << language << " " << markdown << ": " << t.status().ToString();
    }
  }
}

TEST_F(MessageTemplateTest, ACustomTemplateFillsEveryPlaceholder) {
  RenderOptions o = WithTemplate(
      "{{! a comment }}\n"
      "# {{status}} {{receiver}} {{alerts_firing}}/{{alerts_resolved}}/{{alerts_total}} "
      "{{ labels.team }} {{group_labels.alertname}} {{external_url}} {{severity}}\n"
      "{{#alerts}}\n"
      "- <font color=\"{{color}}\">{{alertname}}</font> {{severity}} {{instance}} {{summary}} "
      "{{description}} {{starts_at}} {{time_zone}} {{generator_url}} {{fingerprint}} "
      "{{labels.job}} {{annotations.runbook}} [{{labels.missing}}] {{receiver}}\n"
      "  {{#firing}}firing{{/firing}}{{^firing}}resolved at {{ends_at}}{{/firing}}\n"
      "{{/alerts}}\n"
      "end\n");
  AlertPayload p = MakePayload(2);
  p.alerts[1] = MakeAlert("Alert1", "resolved");
  EXPECT_EQ(RenderMarkdown(p, o),
            "# firing ops 1/1/2 search G http://alertmanager:9093 critical\n"
            "- <font color=\"warning\">Alert0</font> critical web-1:8000 summary of Alert0 d "
            "2024-01-02 11:04:05 Asia/Shanghai http://prometheus:9090/graph?g0.expr=up fpAlert0 "
            "reco rb [] ops\n"
            "  firing\n"
            "- <font color=\"info\">Alert1</font> critical web-1:8000 summary of Alert1 d "
            "2024-01-02 11:04:05 Asia/Shanghai http://prometheus:9090/graph?g0.expr=up fpAlert1 "
            "reco rb [] ops\n"
            "  resolved at 2024-01-02 11:14:05\n"
            "end\n");
}

TEST_F(MessageTemplateTest, ErrorsNameTheFileAndTheLine) {
  std::string unknown = ErrorOf("a\nb\n{{nope}}\n");
  EXPECT_EQ(unknown.rfind("t.tmpl:3: unknown placeholder {{nope}}", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("alertname"), std::string::npos) << unknown;
  std::string unclosed = ErrorOf("x\n{{#alerts}}\n{{alertname}}\n");
  EXPECT_EQ(unclosed, "t.tmpl:2: {{#alerts}} is never closed");
  std::string crossed = ErrorOf("{{#alerts}}\n{{#firing}}\n{{/alerts}}\n{{/firing}}\n");
  EXPECT_EQ(crossed, "t.tmpl:3: {{/alerts}} does not close {{#firing}} opened on line 2");
  EXPECT_EQ(ErrorOf("\n\n\n\n{{/summary}}"), "t.tmpl:5: {{/summary}} closes no open section");
  EXPECT_EQ(ErrorOf("{{starts_at}}").rfind("t.tmpl:1: {{starts_at}} is an alert's", 0), 0u);
  EXPECT_EQ(ErrorOf("{{#alerts}}{{/alerts}}\n{{#alerts}}{{/alerts}}")
                .rfind("t.tmpl:2: {{#alerts}} may appear once", 0),
            0u);
  EXPECT_EQ(ErrorOf("{{#firing}}{{#alerts}}{{/alerts}}{{/firing}}")
                .rfind("t.tmpl:1: {{#alerts}} may appear once", 0),
            0u);
  EXPECT_EQ(ErrorOf("x {{alerts}}").rfind("t.tmpl:1: alerts is a section", 0), 0u);
  EXPECT_EQ(ErrorOf("ok\n{{summary"), "t.tmpl:2: \"{{\" without \"}}\"");
  EXPECT_EQ(ErrorOf("{{labels.}}").rfind("t.tmpl:1: unknown placeholder", 0), 0u);
  EXPECT_EQ(ErrorOf("{{ }}"), "t.tmpl:1: empty placeholder {{}}");
}

TEST_F(MessageTemplateTest, ManyAlertsAreCutAtAWholeAlertBeforeTheTail) {
  RenderOptions o = WithTemplate(
      "HEAD {{alerts_total}}\n{{#alerts}}\n* {{alertname}} {{summary}}\n"
      "{{/alerts}}\nTAIL {{receiver}}\n");
  o.language = "en";
  AlertPayload p = MakePayload(300);
  p.truncated_alerts = 7;
  std::string m = RenderMarkdown(p, o);
  EXPECT_LE(m.size(), kMarkdownMaxBytes);
  size_t shown = 0;
  for (int i = 0; i < 300; ++i) {
    if (m.find("* Alert" + std::to_string(i) + " ") != std::string::npos) ++shown;
  }
  ASSERT_GT(shown, 0u);
  ASSERT_LT(shown, 300u);
  std::string more = "…and " + std::to_string(300 - shown + 7) + " more\n";
  EXPECT_EQ(m.rfind(more + "TAIL ops\n"), m.size() - more.size() - 9) << m;
  EXPECT_EQ(m.rfind("HEAD 300\n", 0), 0u);

  o.max_bytes = kTextMaxBytes;
  std::string t = RenderText(p, o);
  EXPECT_LE(t.size(), kTextMaxBytes);
  EXPECT_NE(t.find("TAIL ops"), std::string::npos);
}

TEST_F(MessageTemplateTest, ALongAlertOfACustomTemplateIsCutOnACharacterBoundary) {
  RenderOptions o = WithTemplate("{{#alerts}}{{description}}{{/alerts}}");
  AlertPayload p = MakePayload(1);
  p.alerts[0].annotations["description"].clear();
  for (int i = 0; i < 3000; ++i) p.alerts[0].annotations["description"] += "磁盘";
  std::string m = RenderMarkdown(p, o);
  EXPECT_LE(m.size(), kMarkdownMaxBytes);
  EXPECT_GT(m.size(), kMarkdownMaxBytes - 100);
  EXPECT_EQ(m.size() % 3, 0u) << "a character was split";
  EXPECT_EQ(m.rfind("磁盘", 0), 0u);
}

TEST_F(MessageTemplateTest, LoadReadsAFileAndNamesItInErrors) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("message_template_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good.tmpl") << "{{#alerts}}{{alertname}}{{/alerts}}";
  std::ofstream(dir / "bad.tmpl") << "ok\n{{#alerts}}\n{{/alert}}\n";
  Result<std::shared_ptr<const MessageTemplate>> good =
      MessageTemplate::Load((dir / "good.tmpl").string(), "k");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ((*good)->Render(MakePayload(2), "UTC").alerts,
            (std::vector<std::string>{"Alert0", "Alert1"}));
  Result<std::shared_ptr<const MessageTemplate>> bad =
      MessageTemplate::Load((dir / "bad.tmpl").string(), "k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "k");
  EXPECT_NE(bad.status().message().find((dir / "bad.tmpl").string() + ":3: {{/alert}}"),
            std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(MessageTemplate::Load((dir / "missing.tmpl").string(), "k").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace reco::gateway
