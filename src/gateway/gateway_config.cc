#include "gateway/gateway_config.h"

#include <cstdlib>
#include <filesystem>

#include "api/http/http_client.h"
#include "core/toml_util.h"

namespace reco::gateway {
namespace {

Status KeyError(const std::string& key, const std::string& what) {
  return InvalidArgument("gateway config: " + key + " " + what, key);
}

template <typename T>
Status ReadValue(const toml::table& t, const char* name, const std::string& key, T& out) {
  const toml::node* node = t.get(name);
  if (node == nullptr) return Status::Ok();
  std::optional<T> v = node->value<T>();
  if (!v) return KeyError(key, "has the wrong type");
  out = *v;
  return Status::Ok();
}

Status ReadStrings(const toml::table& t, const char* name, const std::string& key,
                   std::vector<std::string>& out) {
  const toml::node* node = t.get(name);
  if (node == nullptr) return Status::Ok();
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return KeyError(key, "must be an array of strings");
  out.clear();
  for (const toml::node& item : *arr) {
    std::optional<std::string> s = item.value<std::string>();
    if (!s) return KeyError(key, "must be an array of strings");
    out.push_back(*s);
  }
  return Status::Ok();
}

std::string KeyUrl(const std::string& api_base, const std::string& key) {
  return api_base + "/cgi-bin/webhook/send?key=" + key;
}

Status ReadRobot(const toml::table& t, const std::string& key, const std::string& api_base,
                 RobotConfig& robot) {
  std::string webhook_key;
  RECO_RETURN_IF_ERROR(ReadValue(t, "name", key + ".name", robot.name));
  RECO_RETURN_IF_ERROR(ReadValue(t, "url", key + ".url", robot.url));
  RECO_RETURN_IF_ERROR(ReadValue(t, "key", key + ".key", webhook_key));
  RECO_RETURN_IF_ERROR(ReadStrings(t, "receivers", key + ".receivers", robot.receivers));
  RECO_RETURN_IF_ERROR(
      ReadStrings(t, "mentioned_list", key + ".mentioned_list", robot.mentioned_list));
  RECO_RETURN_IF_ERROR(ReadStrings(t, "mentioned_mobile_list", key + ".mentioned_mobile_list",
                                   robot.mentioned_mobile_list));
  RECO_RETURN_IF_ERROR(ReadValue(t, "template_file", key + ".template_file", robot.template_file));
  if (!robot.url.empty() && !webhook_key.empty()) {
    return KeyError(key, "sets both url and key; set one");
  }
  if (robot.url.empty() && !webhook_key.empty()) robot.url = KeyUrl(api_base, webhook_key);
  return Status::Ok();
}

Status ReadSection(const toml::table& g, GatewayConfig& c) {
  RECO_RETURN_IF_ERROR(ReadValue(g, "host", "gateway.host", c.host));
  int64_t port = c.http_port;
  RECO_RETURN_IF_ERROR(ReadValue(g, "http_port", "gateway.http_port", port));
  c.http_port = static_cast<int>(port);
  RECO_RETURN_IF_ERROR(ReadValue(g, "language", "gateway.language", c.language));
  RECO_RETURN_IF_ERROR(ReadValue(g, "time_zone", "gateway.time_zone", c.time_zone));
  RECO_RETURN_IF_ERROR(ReadValue(g, "message_type", "gateway.message_type", c.message_type));
  RECO_RETURN_IF_ERROR(ReadStrings(g, "critical_severities", "gateway.critical_severities",
                                   c.critical_severities));
  RECO_RETURN_IF_ERROR(ReadValue(g, "api_base", "gateway.api_base", c.api_base));
  RECO_RETURN_IF_ERROR(ReadValue(g, "tls_ca_file", "gateway.tls_ca_file", c.tls_ca_file));
  RECO_RETURN_IF_ERROR(ReadValue(g, "template_file", "gateway.template_file", c.template_file));
  int64_t rate = c.rate_limit_per_minute, max_queue = c.max_queue;
  RECO_RETURN_IF_ERROR(ReadValue(g, "rate_limit_per_minute", "gateway.rate_limit_per_minute", rate));
  RECO_RETURN_IF_ERROR(ReadValue(g, "max_queue", "gateway.max_queue", max_queue));
  c.rate_limit_per_minute = static_cast<int>(rate);
  c.max_queue = static_cast<int>(max_queue);
  RECO_RETURN_IF_ERROR(
      ReadValue(g, "retry_initial_seconds", "gateway.retry_initial_seconds", c.retry_initial_seconds));
  RECO_RETURN_IF_ERROR(
      ReadValue(g, "retry_max_seconds", "gateway.retry_max_seconds", c.retry_max_seconds));
  RECO_RETURN_IF_ERROR(ReadValue(g, "give_up_after_seconds", "gateway.give_up_after_seconds",
                                 c.give_up_after_seconds));
  return ReadValue(g, "send_timeout_seconds", "gateway.send_timeout_seconds",
                   c.send_timeout_seconds);
}

Status ReadRobots(const toml::table& g, GatewayConfig& c) {
  const toml::node* node = g.get("robots");
  if (node == nullptr) return Status::Ok();
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return KeyError("gateway.robots", "must be an array of tables");
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string key = "gateway.robots[" + std::to_string(i) + "]";
    const toml::table* t = arr->get(i)->as_table();
    if (t == nullptr) return KeyError(key, "must be a table");
    RobotConfig robot;
    RECO_RETURN_IF_ERROR(ReadRobot(*t, key, c.api_base, robot));
    c.robots.push_back(std::move(robot));
  }
  return Status::Ok();
}

Status ReadFile(const std::string& path, GatewayConfig& c) {
  if (!std::filesystem::exists(path)) {
    return InvalidArgument("gateway config file " + path + " does not exist", "--config");
  }
  RECO_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path, "--config"));
  const toml::node* section = root.get("gateway");
  if (section == nullptr) return Status::Ok();
  const toml::table* g = section->as_table();
  if (g == nullptr) return KeyError("gateway", "must be a table");
  RECO_RETURN_IF_ERROR(ReadSection(*g, c));
  return ReadRobots(*g, c);
}

// WEIXIN_WEBHOOK_URL wins over WEIXIN_WEBHOOK_KEY; either one is the robot named "default".
void ApplyEnvironment(GatewayConfig& c) {
  std::string url;
  if (const char* v = std::getenv("WEIXIN_WEBHOOK_URL"); v != nullptr && *v != '\0') {
    url = v;
  } else if (const char* k = std::getenv("WEIXIN_WEBHOOK_KEY"); k != nullptr && *k != '\0') {
    url = KeyUrl(c.api_base, k);
  }
  if (url.empty()) return;
  for (RobotConfig& robot : c.robots) {
    if (robot.name == "default") {
      robot.url = url;
      return;
    }
  }
  RobotConfig robot;
  robot.name = "default";
  robot.url = url;
  c.robots.push_back(std::move(robot));
}

Status ValidateRobot(const RobotConfig& robot, const std::string& key) {
  if (robot.name.empty()) return KeyError(key + ".name", "must not be empty");
  if (robot.url.empty()) return KeyError(key + ".url", "is required (url or key)");
  Result<RobotUrl> parsed = ParseRobotUrl(robot.url, key + ".url");
  if (!parsed.ok()) {
    return KeyError(key + ".url", "must be an http:// or https:// URL: " + MaskUrl(robot.url));
  }
  return Status::Ok();
}

Status ValidateNumbers(const GatewayConfig& c) {
  if (c.http_port < 0 || c.http_port > 65535) return KeyError("gateway.http_port", "must be 0..65535");
  if (c.rate_limit_per_minute < 1) return KeyError("gateway.rate_limit_per_minute", "must be >= 1");
  if (c.max_queue < 1) return KeyError("gateway.max_queue", "must be >= 1");
  if (!(c.retry_initial_seconds > 0) || !(c.retry_max_seconds >= c.retry_initial_seconds)) {
    return KeyError("gateway.retry_initial_seconds",
                    "must be > 0 and at most gateway.retry_max_seconds");
  }
  if (!(c.give_up_after_seconds > 0)) return KeyError("gateway.give_up_after_seconds", "must be > 0");
  if (!(c.send_timeout_seconds > 0)) return KeyError("gateway.send_timeout_seconds", "must be > 0");
  return Status::Ok();
}

// Parses the template file `file` (relative to `base`) into `out`; nothing when `file` is "".
Status LoadTemplate(const std::filesystem::path& base, const std::string& file,
                    const std::string& key, std::shared_ptr<const MessageTemplate>& out) {
  if (file.empty()) return Status::Ok();
  std::filesystem::path full =
      std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base / file;
  Result<std::shared_ptr<const MessageTemplate>> t = MessageTemplate::Load(full.string(), key);
  if (!t.ok()) return KeyError(key, "is not a usable template: " + t.status().message());
  out = *std::move(t);
  return Status::Ok();
}

}  // namespace

Status GatewayConfig::Validate() const {
  if (language != "zh-CN" && language != "en") {
    return KeyError("gateway.language", "must be \"zh-CN\" or \"en\", got \"" + language + "\"");
  }
  if (message_type != "markdown" && message_type != "text") {
    return KeyError("gateway.message_type", "must be \"markdown\" or \"text\"");
  }
  if (time_zone.empty() || time_zone.find("..") != std::string::npos ||
      !std::filesystem::exists("/usr/share/zoneinfo/" + time_zone)) {
    return KeyError("gateway.time_zone",
                    "\"" + time_zone + "\" is not in the system tz database (/usr/share/zoneinfo)");
  }
  RECO_RETURN_IF_ERROR(ValidateNumbers(*this));
  if (!tls_ca_file.empty() && !std::filesystem::is_regular_file(tls_ca_file)) {
    return KeyError("gateway.tls_ca_file", "\"" + tls_ca_file + "\" is not a readable file");
  }
  for (size_t i = 0; i < robots.size(); ++i) {
    RECO_RETURN_IF_ERROR(ValidateRobot(robots[i], "gateway.robots[" + std::to_string(i) + "]"));
    for (size_t j = 0; j < i; ++j) {
      if (robots[j].name == robots[i].name) {
        return KeyError("gateway.robots[" + std::to_string(i) + "].name",
                        "repeats the robot name \"" + robots[i].name + "\"");
      }
    }
  }
  return Status::Ok();
}

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  GatewayConfig c;
  if (!path.empty()) RECO_RETURN_IF_ERROR(ReadFile(path, c));
  ApplyEnvironment(c);
  RECO_RETURN_IF_ERROR(c.Validate());
  std::filesystem::path base =
      path.empty() ? std::filesystem::path() : std::filesystem::path(path).parent_path();
  RECO_RETURN_IF_ERROR(
      LoadTemplate(base, c.template_file, "gateway.template_file", c.message_template));
  for (size_t i = 0; i < c.robots.size(); ++i) {
    RobotConfig& robot = c.robots[i];
    RECO_RETURN_IF_ERROR(LoadTemplate(base, robot.template_file,
                                      "gateway.robots[" + std::to_string(i) + "].template_file",
                                      robot.message_template));
  }
  return c;
}

Result<RobotUrl> ParseRobotUrl(std::string_view url, std::string_view field) {
  RobotUrl out;
  std::string plain(url);
  if (url.starts_with("https://")) {
    out.tls = true;
    plain = "http://" + std::string(url.substr(8));
  }
  RECO_ASSIGN_OR_RETURN(HttpUrl u, HttpUrl::Parse(plain, field));
  out.host = u.host;
  out.target = u.target;
  out.port = u.port;
  std::string_view rest = std::string_view(plain).substr(7);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (out.tls && authority.find(':') == std::string_view::npos) out.port = 443;
  return out;
}

std::string MaskKey(std::string_view key) {
  if (key.size() <= 8) return "****";
  return std::string(key.substr(0, 4)) + "****" + std::string(key.substr(key.size() - 4));
}

std::string MaskUrl(std::string_view url) {
  size_t at = url.find("key=");
  if (at == std::string_view::npos) return std::string(url);
  size_t begin = at + 4;
  size_t end = url.find('&', begin);
  if (end == std::string_view::npos) end = url.size();
  return std::string(url.substr(0, begin)) + MaskKey(url.substr(begin, end - begin)) +
         std::string(url.substr(end));
}

}  // namespace reco::gateway
