// Gateway: turns Alertmanager payloads into WeCom messages and delivers them, one queue and one
// delivery thread per robot, so that a robot whose endpoint is slow or down (retrying with
// back-off) never delays another robot's messages. Per robot: at most rate_limit_per_minute
// messages per minute (waiting messages are merged into one while they fit), network errors and
// errcode 45009 are retried with doubling back-off until give_up_after_seconds, and errcode
// 93000 / 40058 are logged as configuration errors and counted.
//
// Thread-safety: Submit(), SendTestMessages(), Health() and queue_length() are safe from any
// thread (the HTTP workers); Start()/Stop() from the controlling thread. One mutex guards the
// queues and the last delivery status; no thread holds it while sending.
// Lifetime: the MetricsRegistry outlives the Gateway; Stop() (or the destructor) joins the
// threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "gateway/alert_payload.h"
#include "gateway/gateway_config.h"
#include "gateway/message.h"
#include "gateway/wecom_client.h"
#include "ops/metrics.h"

namespace reco::gateway {

// What GET /health reports about the last delivery attempt.
struct DeliveryStatus {
  std::string robot;    // "" when nothing was attempted yet
  std::string result;   // "delivered", "retry", "config_error", "rejected", "dropped"
  std::string detail;   // errmsg or network error (key masked)
  int errcode = -1;
  int64_t at_unix_seconds = 0;
  int64_t last_success_unix_seconds = 0;  // over all robots; 0 = never
};

class Gateway {
 public:
  Gateway(GatewayConfig config, MetricsRegistry& metrics, RobotSender sender = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void Start();
  void Stop();  // stops the threads; waiting messages are dropped (logged with their count)

  // Renders `payload` and queues it for the robots of its receiver. InvalidArgument naming
  // "receiver" when no robot takes it.
  Status Submit(const AlertPayload& payload);

  // Sends a test message to every robot now (one attempt each, bypassing the queue); the
  // result per robot in configuration order.
  std::vector<std::pair<std::string, SendResult>> SendTestMessages();

  DeliveryStatus Health() const;
  size_t queue_length() const;
  const GatewayConfig& config() const { return config_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    WeComMessage message;
    Clock::time_point first_try{};
    bool tried = false;
  };
  struct Robot {
    RobotConfig config;
    std::deque<Pending> queue;
    std::deque<Clock::time_point> sent;  // send times within the last minute
    Clock::time_point next_try{};
    double backoff_seconds = 0;
    Gauge* queue_gauge = nullptr;
    Gauge* last_success = nullptr;
    std::condition_variable wake;  // a message was queued, or the gateway stops
    std::thread worker;
  };

  std::vector<Robot*> RobotsFor(const std::string& receiver);
  WeComMessage Render(const AlertPayload& payload, const Robot& robot) const;
  void Enqueue(Robot& robot, WeComMessage message);  // mu_ held
  void Loop(Robot& robot);
  // True when `robot` may send now; else `wake` is lowered to when it may.
  bool Due(Robot& robot, Clock::time_point now, Clock::time_point& wake);  // mu_ held
  Pending TakeMerged(Robot& robot);                                 // mu_ held
  void Deliver(Robot& robot, Pending pending, std::unique_lock<std::mutex>& lock);
  void Record(Robot& robot, const SendResult& result, std::string_view result_name);  // mu_ held
  void Count(const Robot& robot, std::string_view result);

  GatewayConfig config_;
  RenderOptions render_;
  MetricsRegistry& metrics_;
  RobotSender sender_;
  CounterFamily* messages_;
  CounterFamily* retries_;
  std::vector<std::unique_ptr<Robot>> robots_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  DeliveryStatus last_;
};

}  // namespace reco::gateway
