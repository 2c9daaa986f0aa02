#include "gateway/message.h"

#include <gtest/gtest.h>

#include <string>

namespace reco::gateway {
namespace {

class MessageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(ApplyTimeZone("Asia/Shanghai").ok()); }

  static Alert MakeAlert(const std::string& name, const std::string& status,
                         const std::string& description = "d") {
    Alert a;
    a.status = status;
    a.labels = {{"alertname", name}, {"severity", "critical"}, {"instance", "web-1:8000"}};
    a.annotations = {{"summary", "summary of " + name}, {"description", description}};
    a.starts_at = *ParseTimestamp("2024-01-02T03:04:05Z");
    if (status == "resolved") a.ends_at = *ParseTimestamp("2024-01-02T03:14:05Z");
    a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
    return a;
  }

  static AlertPayload MakePayload(int n, const std::string& status = "firing") {
    AlertPayload p;
    p.version = "4";
    p.status = status;
    p.receiver = "ops";
    for (int i = 0; i < n; ++i) p.alerts.push_back(MakeAlert("Alert" + std::to_string(i), status));
    return p;
  }
};

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST_F(MessageTest, ZhCnMarkdownHasEveryPartOfAFiringAlert) {
  std::string m = RenderMarkdown(MakePayload(1), RenderOptions{});
  EXPECT_NE(m.find("<font color=\"warning\">"), std::string::npos) << m;
  EXPECT_NE(m.find("告警触发"), std::string::npos) << m;
  EXPECT_NE(m.find("Alert0"), std::string::npos);
  EXPECT_NE(m.find("critical"), std::string::npos);
  EXPECT_NE(m.find("summary of Alert0"), std::string::npos);
  EXPECT_NE(m.find("web-1:8000"), std::string::npos);
  // 03:04:05 UTC is 11:04:05 in Shanghai.
  EXPECT_NE(m.find("2024-01-02 11:04:05 (Asia/Shanghai)"), std::string::npos) << m;
  EXPECT_NE(m.find("(http://prometheus:9090/graph?g0.expr=up)"), std::string::npos);
}

TEST_F(MessageTest, EnglishResolvedIsInfoColouredWithItsEndTime) {
  RenderOptions o;
  o.language = "en";
  std::string m = RenderMarkdown(MakePayload(1, "resolved"), o);
  EXPECT_NE(m.find("<font color=\"info\">RESOLVED"), std::string::npos) << m;
  EXPECT_EQ(m.find("warning"), std::string::npos) << m;
  EXPECT_NE(m.find("**Summary**: summary of Alert0"), std::string::npos) << m;
  EXPECT_NE(m.find("**Resolved**: 2024-01-02 11:14:05"), std::string::npos) << m;
  EXPECT_EQ(m.find("告警"), std::string::npos);
}

TEST_F(MessageTest, SeveralAlertsOfAGroupInOneMessage) {
  std::string m = RenderMarkdown(MakePayload(3), RenderOptions{});
  for (const char* name : {"Alert0", "Alert1", "Alert2"}) {
    EXPECT_NE(m.find(name), std::string::npos) << name;
  }
  EXPECT_NE(m.find("[3/3] ops"), std::string::npos) << m;
  EXPECT_EQ(m.find("more"), std::string::npos);
}

TEST_F(MessageTest, TooManyAlertsAreCutAtAWholeAlertWithAndNMore) {
  RenderOptions o;
  o.language = "en";
  AlertPayload p = MakePayload(100);
  p.truncated_alerts = 5;
  std::string m = RenderMarkdown(p, o);
  EXPECT_LE(m.size(), kMarkdownMaxBytes);
  size_t shown = 0;
  for (int i = 0; i < 100; ++i) {
    if (m.find("</font> Alert" + std::to_string(i) + "**") != std::string::npos) ++shown;
  }
  ASSERT_GT(shown, 0u);
  ASSERT_LT(shown, 100u);
  EXPECT_NE(m.find("…and " + std::to_string(100 - shown + 5) + " more"), std::string::npos) << m;
}

TEST_F(MessageTest, ALongDescriptionIsCutOnACharacterBoundary) {
  AlertPayload p = MakePayload(0);
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "磁盘";  // 3 bytes each
  p.alerts.push_back(MakeAlert("Disk", "firing", long_text));
  std::string m = RenderMarkdown(p, RenderOptions{});
  EXPECT_LE(m.size(), kMarkdownMaxBytes);
  EXPECT_GT(m.size(), kMarkdownMaxBytes - 200);
  EXPECT_TRUE(ValidUtf8(m));
  RenderOptions text;
  text.max_bytes = kTextMaxBytes;
  std::string t = RenderText(p, text);
  EXPECT_LE(t.size(), kTextMaxBytes);
  EXPECT_TRUE(ValidUtf8(t));
  EXPECT_EQ(t.find("<font"), std::string::npos);
}

TEST_F(MessageTest, TruncateUtf8NeverSplitsACharacter) {
  const std::string s = "a磁b";  // 'a', 3 bytes, 'b'
  EXPECT_EQ(TruncateUtf8(s, 10), s);
  EXPECT_EQ(TruncateUtf8(s, 4), "a磁");
  EXPECT_EQ(TruncateUtf8(s, 3), "a");
  EXPECT_EQ(TruncateUtf8(s, 2), "a");
  EXPECT_EQ(TruncateUtf8(s, 1), "a");
  EXPECT_EQ(TruncateUtf8(s, 0), "");
  EXPECT_EQ(TruncateUtf8("😀x", 3), "");
}

TEST_F(MessageTest, CriticalFiringIsDetected) {
  RenderOptions o;
  EXPECT_TRUE(HasCriticalFiring(MakePayload(1), o));
  EXPECT_FALSE(HasCriticalFiring(MakePayload(1, "resolved"), o));
  o.critical_severities = {"page"};
  EXPECT_FALSE(HasCriticalFiring(MakePayload(1), o));
}

TEST_F(MessageTest, UnknownTimeZoneIsRefused) {
  EXPECT_FALSE(ApplyTimeZone("Mars/Olympus").ok());
  EXPECT_FALSE(ApplyTimeZone("../etc").ok());
}

}  // namespace
}  // namespace reco::gateway
