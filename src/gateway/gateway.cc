#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace reco::gateway {
namespace {

constexpr auto kMinute = std::chrono::seconds(60);

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t MaxBytes(const WeComMessage& m) {
  return m.msgtype == "text" ? kTextMaxBytes : kMarkdownMaxBytes;
}

void AppendUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

}  // namespace

Gateway::Gateway(GatewayConfig config, MetricsRegistry& metrics, RobotSender sender)
    : config_(std::move(config)), metrics_(metrics), sender_(std::move(sender)) {
  if (!sender_) {
    sender_ = [ca = config_.tls_ca_file](const std::string& url, const WeComMessage& m,
                                          double timeout) { return SendToRobot(url, m, timeout, ca); };
  }
  render_.language = config_.language;
  render_.time_zone = config_.time_zone;
  render_.critical_severities = config_.critical_severities;
  render_.message_template = config_.message_template;  // a robot's own replaces it (Render)
  messages_ = metrics_.AddCounter("reco_gateway_messages_total",
                                  "WeCom messages by robot and final result (delivered, "
                                  "config_error, rejected, dropped)",
                                  {"robot", "result"});
  retries_ = metrics_.AddCounter("reco_gateway_retries_total",
                                 "Send attempts to retry (network error, HTTP 5xx, errcode 45009)",
                                 {"robot"});
  GaugeFamily* queue = metrics_.AddGauge("reco_gateway_queue_length",
                                         "Messages waiting to be sent, by robot", {"robot"});
  GaugeFamily* success = metrics_.AddGauge(
      "reco_gateway_last_success_timestamp_seconds",
      "Unix time of the last message WeCom accepted (errcode 0), by robot; 0 = never", {"robot"});
  for (const RobotConfig& rc : config_.robots) {
    auto robot = std::make_unique<Robot>();
    robot->config = rc;
    robot->queue_gauge = queue->WithLabels({rc.name});
    robot->last_success = success->WithLabels({rc.name});
    for (const char* result : {"delivered", "config_error", "rejected", "dropped"}) {
      messages_->WithLabels({rc.name, result});  // every series exists from the start
    }
    retries_->WithLabels({rc.name});
    robots_.push_back(std::move(robot));
  }
}

Gateway::~Gateway() { Stop(); }

void Gateway::Start() {
  for (auto& robot : robots_) {
    robot->worker = std::thread([this, r = robot.get()] { Loop(*r); });
  }
}

void Gateway::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& robot : robots_) robot->wake.notify_all();
  }
  for (auto& robot : robots_) {
    if (robot->worker.joinable()) robot->worker.join();
  }
  size_t left = queue_length();
  if (left > 0) spdlog::warn("event=gateway_stop dropped_messages={}", left);
}

std::vector<Gateway::Robot*> Gateway::RobotsFor(const std::string& receiver) {
  std::vector<Robot*> named, defaults;
  for (auto& robot : robots_) {
    const auto& r = robot->config.receivers;
    if (r.empty()) defaults.push_back(robot.get());
    if (std::find(r.begin(), r.end(), receiver) != r.end()) named.push_back(robot.get());
  }
  return named.empty() ? defaults : named;
}

WeComMessage Gateway::Render(const AlertPayload& payload, const Robot& robot) const {
  WeComMessage m;
  m.alerts = static_cast<int>(payload.alerts.size());
  m.msgtype = config_.message_type;
  RenderOptions options = render_;
  if (robot.config.message_template) options.message_template = robot.config.message_template;
  if (m.msgtype == "markdown") {
    m.content = RenderMarkdown(payload, options);
    return m;
  }
  options.max_bytes = kTextMaxBytes;
  m.content = RenderText(payload, options);
  if (HasCriticalFiring(payload, render_)) {
    m.mentioned_list = robot.config.mentioned_list;
    m.mentioned_mobile_list = robot.config.mentioned_mobile_list;
  }
  return m;
}

Status Gateway::Submit(const AlertPayload& payload) {
  std::vector<Robot*> robots = RobotsFor(payload.receiver);
  if (robots.empty()) {
    return InvalidArgument("no robot is configured for receiver \"" + payload.receiver +
                               "\" (gateway.robots[].receivers) and there is no default robot",
                           "receiver");
  }
  std::vector<WeComMessage> messages;
  for (Robot* robot : robots) messages.push_back(Render(payload, *robot));
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < robots.size(); ++i) {
    Enqueue(*robots[i], std::move(messages[i]));
    robots[i]->wake.notify_all();
  }
  return Status::Ok();
}

void Gateway::Enqueue(Robot& robot, WeComMessage message) {
  if (robot.queue.size() >= static_cast<size_t>(config_.max_queue)) {
    robot.queue.pop_front();
    Count(robot, "dropped");
    spdlog::warn("event=gateway_queue_full robot={} max_queue={} dropped=oldest", robot.config.name,
                 config_.max_queue);
  }
  robot.queue.push_back(Pending{std::move(message)});
  robot.queue_gauge->Set(static_cast<double>(robot.queue.size()));
}

// The worker of one robot: its queue only, so its retries and back-off wait alone.
void Gateway::Loop(Robot& robot) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point wake = now + std::chrono::seconds(5);
    if (!Due(robot, now, wake)) {
      robot.wake.wait_until(lock, wake);
      continue;
    }
    Deliver(robot, TakeMerged(robot), lock);
  }
}

bool Gateway::Due(Robot& r, Clock::time_point now, Clock::time_point& wake) {
  if (r.queue.empty()) return false;
  while (!r.sent.empty() && r.sent.front() + kMinute <= now) r.sent.pop_front();
  Clock::time_point due = r.next_try;
  if (r.sent.size() >= static_cast<size_t>(config_.rate_limit_per_minute)) {
    due = std::max(due, r.sent.front() + kMinute);
  }
  if (due <= now) return true;
  wake = std::min(wake, due);
  return false;
}

Gateway::Pending Gateway::TakeMerged(Robot& robot) {
  Pending first = std::move(robot.queue.front());
  robot.queue.pop_front();
  // Waiting messages of one robot go out as one while they fit: fewer sends under the limit.
  while (!robot.queue.empty()) {
    Pending& next = robot.queue.front();
    const WeComMessage& m = next.message;
    if (m.msgtype != first.message.msgtype ||
        first.message.content.size() + 2 + m.content.size() > MaxBytes(m)) {
      break;
    }
    first.message.content += "\n\n" + m.content;
    first.message.alerts += m.alerts;
    AppendUnique(first.message.mentioned_list, m.mentioned_list);
    AppendUnique(first.message.mentioned_mobile_list, m.mentioned_mobile_list);
    if (next.tried) first.first_try = std::min(first.first_try, next.first_try);
    robot.queue.pop_front();
  }
  robot.queue_gauge->Set(static_cast<double>(robot.queue.size()));
  return first;
}

void Gateway::Deliver(Robot& robot, Pending pending, std::unique_lock<std::mutex>& lock) {
  Clock::time_point now = Clock::now();
  if (!pending.tried) pending.first_try = now;
  pending.tried = true;
  robot.sent.push_back(now);
  std::string url = robot.config.url;
  lock.unlock();
  SendResult result = sender_(url, pending.message, config_.send_timeout_seconds);
  lock.lock();
  if (result.outcome != SendOutcome::kRetry) {
    robot.backoff_seconds = 0;
    Record(robot, result, SendOutcomeName(result.outcome));
    return;
  }
  retries_->WithLabels({robot.config.name})->Inc();
  double waited = std::chrono::duration<double>(Clock::now() - pending.first_try).count();
  if (waited >= config_.give_up_after_seconds) {
    Record(robot, result, "dropped");
    return;
  }
  robot.backoff_seconds = robot.backoff_seconds == 0
                              ? config_.retry_initial_seconds
                              : std::min(robot.backoff_seconds * 2, config_.retry_max_seconds);
  robot.next_try = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(robot.backoff_seconds));
  robot.queue.push_front(std::move(pending));
  robot.queue_gauge->Set(static_cast<double>(robot.queue.size()));
  Record(robot, result, "retry");
}

void Gateway::Record(Robot& robot, const SendResult& result, std::string_view result_name) {
  last_.robot = robot.config.name;
  last_.result = std::string(result_name);
  last_.detail = result.detail;
  last_.errcode = result.errcode;
  last_.at_unix_seconds = UnixNow();
  if (result_name == "delivered") {
    last_.last_success_unix_seconds = last_.at_unix_seconds;
    robot.last_success->Set(static_cast<double>(last_.at_unix_seconds));
  }
  if (result_name != "retry") Count(robot, result_name);
  if (result_name == "delivered") {
    spdlog::debug("event=gateway_delivered robot={} errcode=0", robot.config.name);
  } else if (result_name == "config_error") {
    spdlog::warn("event=gateway_config_error robot={} url={} errcode={} errmsg=\"{}\" fix=\"check "
                 "the robot key (93000) or shorten the message template (40058)\"",
                 robot.config.name, MaskUrl(robot.config.url), result.errcode, result.detail);
  } else {
    spdlog::warn("event=gateway_send_failed robot={} result={} http_status={} errcode={} "
                 "detail=\"{}\" next_retry_seconds={}",
                 robot.config.name, result_name, result.http_status, result.errcode, result.detail,
                 result_name == "retry" ? robot.backoff_seconds : 0);
  }
}

void Gateway::Count(const Robot& robot, std::string_view result) {
  messages_->WithLabels({robot.config.name, std::string(result)})->Inc();
}

std::vector<std::pair<std::string, SendResult>> Gateway::SendTestMessages() {
  AlertPayload payload;
  payload.version = "4";
  payload.status = "firing";
  payload.receiver = "test-send";
  Alert alert;
  alert.status = "firing";
  alert.labels = {{"alertname", "RecoGatewayTest"}, {"severity", "info"}};
  alert.annotations = {{"summary", config_.language == "en"
                                       ? "Test message from reco gateway test-send"
                                       : "reco gateway test-send 测试消息"}};
  alert.starts_at = UnixNow() * kMicrosPerSecond;
  payload.alerts.push_back(alert);
  std::vector<std::pair<std::string, SendResult>> out;
  for (auto& robot : robots_) {
    SendResult r = sender_(robot->config.url, Render(payload, *robot), config_.send_timeout_seconds);
    std::lock_guard<std::mutex> lock(mu_);
    Record(*robot, r, r.outcome == SendOutcome::kRetry ? "dropped" : SendOutcomeName(r.outcome));
    out.emplace_back(robot->config.name, r);
  }
  return out;
}

DeliveryStatus Gateway::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

size_t Gateway::queue_length() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& robot : robots_) n += robot->queue.size();
  return n;
}

}  // namespace reco::gateway
