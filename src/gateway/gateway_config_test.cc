#include "gateway/gateway_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace reco::gateway {
namespace {

class GatewayConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("WEIXIN_WEBHOOK_URL");
    unsetenv("WEIXIN_WEBHOOK_KEY");
    path_ = std::filesystem::temp_directory_path() /
            ("gateway_config_test_" + std::to_string(getpid()) + ".toml");
  }
  void TearDown() override {
    unsetenv("WEIXIN_WEBHOOK_URL");
    unsetenv("WEIXIN_WEBHOOK_KEY");
    std::filesystem::remove(path_);
  }
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_.string();
  }
  std::filesystem::path path_;
};

TEST_F(GatewayConfigTest, ReadsRobotsByReceiver) {
  Result<GatewayConfig> c = LoadGatewayConfig(Write(R"(
[gateway]
language = "en"
time_zone = "UTC"
api_base = "http://127.0.0.1:1"
[[gateway.robots]]
name = "ops"
url = "http://127.0.0.1:2/cgi-bin/webhook/send?key=abcdefgh12345678"
receivers = ["ops", "db"]
[[gateway.robots]]
name = "dev"
key = "k2k2k2k2k2"
mentioned_list = ["@all"]
)"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->language, "en");
  ASSERT_EQ(c->robots.size(), 2u);
  EXPECT_EQ(c->robots[0].receivers, (std::vector<std::string>{"ops", "db"}));
  EXPECT_EQ(c->robots[1].url, "http://127.0.0.1:1/cgi-bin/webhook/send?key=k2k2k2k2k2");
  EXPECT_EQ(c->robots[1].mentioned_list, (std::vector<std::string>{"@all"}));
}

TEST_F(GatewayConfigTest, EnvironmentGivesTheDefaultRobot) {
  setenv("WEIXIN_WEBHOOK_URL", "http://127.0.0.1:3/send?key=secretkey123", 1);
  Result<GatewayConfig> c = LoadGatewayConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->robots.size(), 1u);
  EXPECT_EQ(c->robots[0].name, "default");
  EXPECT_TRUE(c->robots[0].receivers.empty());
  EXPECT_EQ(c->robots[0].url, "http://127.0.0.1:3/send?key=secretkey123");
}

TEST_F(GatewayConfigTest, AKeyAloneAimsAtWeComOverHttps) {
  setenv("WEIXIN_WEBHOOK_KEY", "secretkey123", 1);
  Result<GatewayConfig> c = LoadGatewayConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->robots.size(), 1u);
  EXPECT_EQ(c->robots[0].url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secretkey123");
  Result<RobotUrl> u = ParseRobotUrl(c->robots[0].url, "url");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "qyapi.weixin.qq.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/cgi-bin/webhook/send?key=secretkey123");
  Result<RobotUrl> explicit_port = ParseRobotUrl("https://h:8443/x", "url");
  ASSERT_TRUE(explicit_port.ok());
  EXPECT_EQ(explicit_port->port, 8443);
}

TEST_F(GatewayConfigTest, BadValuesNameTheKey) {
  struct Case {
    std::string toml, field;
  };
  const std::vector<Case> cases = {
      {"[gateway]\nlanguage = \"fr\"\n", "gateway.language"},
      {"[gateway]\ntime_zone = \"Nowhere/City\"\n", "gateway.time_zone"},
      {"[gateway]\nmessage_type = \"card\"\n", "gateway.message_type"},
      {"[gateway]\nrate_limit_per_minute = 0\n", "gateway.rate_limit_per_minute"},
      {"[gateway]\nhttp_port = \"x\"\n", "gateway.http_port"},
      {"[gateway]\ntls_ca_file = \"/nonexistent/ca.pem\"\n", "gateway.tls_ca_file"},
      {"[[gateway.robots]]\nname = \"a\"\n", "gateway.robots[0].url"},
      {"[[gateway.robots]]\nname = \"a\"\nurl = \"ftp://x\"\n", "gateway.robots[0].url"},
      {"[[gateway.robots]]\nname = \"a\"\nurl = \"http://h/?key=1\"\nkey = \"2\"\n",
       "gateway.robots[0]"},
      {"[[gateway.robots]]\nname = \"a\"\nurl = \"http://h/\"\n[[gateway.robots]]\nname = "
       "\"a\"\nurl = \"http://h/\"\n",
       "gateway.robots[1].name"},
      {"[[gateway.robots]]\nname = \"a\"\nurl = \"http://h/\"\nreceivers = \"x\"\n",
       "gateway.robots[0].receivers"},
  };
  ASSERT_FALSE(cases.empty());
  for (const Case& c : cases) {
    Result<GatewayConfig> r = LoadGatewayConfig(Write(c.toml));
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
  }
  EXPECT_EQ(LoadGatewayConfig("/nonexistent/gw.toml").status().field(), "--config");
}

TEST_F(GatewayConfigTest, TemplateFilesAreReadFromTheConfigDirectoryAndChecked) {
  std::filesystem::path dir = path_.parent_path() / ("gw_tmpl_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "all.tmpl") << "ALL {{#alerts}}{{alertname}}{{/alerts}}";
  std::ofstream(dir / "ops.tmpl") << "OPS {{receiver}}";
  std::ofstream(dir / "bad.tmpl") << "fine\n{{#alerts}}\n{{alert_name}}\n{{/alerts}}\n";
  path_ = dir / "gw.toml";
  const std::string robots =
      "[[gateway.robots]]\nname = \"ops\"\nurl = \"http://h/?key=1\"\n"
      "template_file = \"ops.tmpl\"\n"
      "[[gateway.robots]]\nname = \"dev\"\nurl = \"http://h/?key=2\"\n";
  Result<GatewayConfig> c =
      LoadGatewayConfig(Write("[gateway]\ntemplate_file = \"all.tmpl\"\n" + robots));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_NE(c->message_template, nullptr);
  ASSERT_EQ(c->robots.size(), 2u);
  ASSERT_NE(c->robots[0].message_template, nullptr);
  EXPECT_EQ(c->robots[1].message_template, nullptr);  // the gateway's applies
  AlertPayload p;
  p.receiver = "r";
  EXPECT_EQ(c->robots[0].message_template->Render(p, "UTC").head, "OPS r");
  EXPECT_EQ(c->message_template->Render(p, "UTC").head, "ALL ");

  Result<GatewayConfig> bad = LoadGatewayConfig(
      Write("[gateway]\ntemplate_file = \"" + (dir / "bad.tmpl").string() + "\"\n" + robots));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "gateway.template_file");
  EXPECT_NE(bad.status().message().find((dir / "bad.tmpl").string() +
                                        ":3: unknown placeholder {{alert_name}}"),
            std::string::npos)
      << bad.status().message();
  Result<GatewayConfig> missing = LoadGatewayConfig(Write(
      "[[gateway.robots]]\nname = \"a\"\nurl = \"http://h/\"\ntemplate_file = \"no.tmpl\"\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().field(), "gateway.robots[0].template_file");
  EXPECT_NE(missing.status().message().find((dir / "no.tmpl").string()), std::string::npos)
      << missing.status().message();
  std::filesystem::remove_all(dir);
}

TEST_F(GatewayConfigTest, KeysAreMasked) {
  EXPECT_EQ(MaskKey("0123456789abcdef"), "0123****cdef");
  EXPECT_EQ(MaskKey("short"), "****");
  EXPECT_EQ(MaskUrl("http://h/send?key=0123456789abcdef&x=1"), "http://h/send?key=0123****cdef&x=1");
}

}  // namespace
}  // namespace reco::gateway
