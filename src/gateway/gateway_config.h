// The configuration of `reco gateway`: its own TOML file (a [gateway] section and
// [[gateway.robots]]; see docs/gateway.md) plus the environment's WEIXIN_WEBHOOK_URL or
// WEIXIN_WEBHOOK_KEY. LoadGatewayConfig is the one place that reads those variables.
//
// Thread-safety: a loaded GatewayConfig is an immutable value.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gateway/message_template.h"

namespace reco::gateway {

// One WeCom group robot.
struct RobotConfig {
  std::string name;  // metrics label and log field
  std::string url;   // the full webhook URL, key included (never logged in full)
  // Alertmanager receiver names routed to this robot; empty = every receiver no other robot
  // names (the default robot).
  std::vector<std::string> receivers;
  // Text messages mention these members when a firing alert is critical ("@all" mentions all).
  std::vector<std::string> mentioned_list;
  std::vector<std::string> mentioned_mobile_list;
  // A message template file for this robot's messages (docs/gateway.md); "" = the gateway's.
  // A relative path is taken from the configuration file's directory.
  std::string template_file;
  // template_file parsed by LoadGatewayConfig; null = gateway.template_file's or the built-in.
  std::shared_ptr<const MessageTemplate> message_template;
};

struct GatewayConfig {
  std::string host = "127.0.0.1";
  int http_port = 9095;
  std::string language = "zh-CN";         // message template: "zh-CN" or "en"
  std::string time_zone = "Asia/Shanghai";  // times in messages (system tz database)
  std::string message_type = "markdown";  // "markdown" or "text" (plain fallback with mentions)
  std::vector<std::string> critical_severities = {"critical"};
  // Where WEIXIN_WEBHOOK_KEY is sent: API_BASE/cgi-bin/webhook/send?key=KEY.
  std::string api_base = "https://qyapi.weixin.qq.com";
  // PEM file of the CAs that https robot URLs are verified against; "" = the system's CAs.
  std::string tls_ca_file;
  int rate_limit_per_minute = 20;     // WeCom's limit per robot
  double retry_initial_seconds = 2;   // back-off after a network error or errcode 45009, doubled
  double retry_max_seconds = 60;      // back-off ceiling
  double give_up_after_seconds = 3600;  // a message undelivered this long is dropped (counted)
  double send_timeout_seconds = 10;
  int max_queue = 1000;  // messages waiting per robot; beyond, the oldest is dropped (counted)
  // A message template file for every robot without one of its own; "" = the built-in template
  // of `language`. A relative path is taken from the configuration file's directory.
  std::string template_file;
  std::shared_ptr<const MessageTemplate> message_template;  // template_file parsed; null = none
  std::vector<RobotConfig> robots;

  // Validates the values; every robot URL is http:// or https://.
  Status Validate() const;
};

// Reads `path` (empty = no file), then WEIXIN_WEBHOOK_URL / WEIXIN_WEBHOOK_KEY (the robot named
// "default", replacing the file's URL of that robot), then validates, then reads and checks the
// template files (an error names the key, the file and the line).
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

// "KEY" of a robot URL shown as its first 4 and last 4 characters ("abcd…wxyz"); the whole URL
// with its key masked for logs and errors.
std::string MaskKey(std::string_view key);
std::string MaskUrl(std::string_view url);

// An http:// or https:// robot URL: host, port (80 / 443 by default), target; `tls` for https.
struct RobotUrl {
  std::string host;
  int port = 80;
  std::string target;
  bool tls = false;
};
Result<RobotUrl> ParseRobotUrl(std::string_view url, std::string_view field);

}  // namespace reco::gateway
