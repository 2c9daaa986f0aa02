// Sending one message to a WeCom group robot (POST its webhook URL with the message JSON) and
// judging the answer. WeCom answers business errors with HTTP 200 and a non-zero errcode, so
// errcode 0 is the only success.
//
// Thread-safety: pure functions (each send has its own connection).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/http_client.h"
#include "core/status.h"

namespace reco::gateway {

// A message as WeCom's webhook API takes it.
struct WeComMessage {
  std::string msgtype = "markdown";  // "markdown" or "text"
  std::string content;
  std::vector<std::string> mentioned_list;         // text only
  std::vector<std::string> mentioned_mobile_list;  // text only
  int alerts = 0;  // alerts in the message (for logs)

  // {"msgtype":"markdown","markdown":{"content":"..."}} or the "text" form with mentions.
  std::string ToJson() const;
};

// What to do after one attempt.
enum class SendOutcome {
  kDelivered,    // errcode 0
  kRetry,        // network error, HTTP 5xx or 429, errcode 45009 (rate limited): back off
  kConfigError,  // errcode 93000 (bad key), 40058 (too long), HTTP 404: fix the configuration
  kRejected,     // any other errcode or HTTP status: not retried
};

std::string_view SendOutcomeName(SendOutcome outcome);  // "delivered", "retry", ...

struct SendResult {
  SendOutcome outcome = SendOutcome::kRetry;
  int http_status = 0;  // 0 = no answer
  int errcode = -1;     // -1 = no errcode read
  std::string detail;   // errmsg or the network error, with the key masked
};

// Judges an HTTP answer of the webhook API.
SendResult JudgeReply(int http_status, std::string_view body);

// POSTs `message` to `url` (http:// or https://) once, the whole attempt (host name lookup with
// `lookup`, connect, TLS handshake, write, read) bounded by `timeout_seconds`; never logs or
// returns the key unmasked. https verifies the server's certificate and host name against
// `ca_file` (PEM), or the system's CAs when it is empty.
SendResult SendToRobot(const std::string& url, const WeComMessage& message, double timeout_seconds,
                       const std::string& ca_file = {},
                       const HostLookup& lookup = SystemHostLookup);

// The transport the gateway uses (SendToRobot with gateway.tls_ca_file in production).
using RobotSender =
    std::function<SendResult(const std::string& url, const WeComMessage&, double timeout)>;

}  // namespace reco::gateway
