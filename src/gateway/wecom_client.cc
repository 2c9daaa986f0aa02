#include "gateway/wecom_client.h"

#include <simdjson.h>

#include "api/http/http_client.h"
#include "core/json_writer.h"
#include "gateway/gateway_config.h"

namespace reco::gateway {
namespace {

constexpr int kErrRateLimited = 45009;
constexpr int kErrBadKey = 93000;
constexpr int kErrTooLong = 40058;

// `text` with the webhook key of `url` replaced by its masked form.
std::string MaskIn(std::string text, const std::string& url) {
  size_t at = url.find("key=");
  if (at == std::string::npos) return text;
  size_t end = url.find('&', at + 4);
  std::string key = url.substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4);
  if (key.empty()) return text;
  std::string masked = MaskKey(key);
  for (size_t pos; (pos = text.find(key)) != std::string::npos;) text.replace(pos, key.size(), masked);
  return text;
}

}  // namespace

std::string WeComMessage::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("msgtype").String(msgtype).Key(msgtype).BeginObject();
  w.Key("content").String(content);
  if (msgtype == "text") {
    if (!mentioned_list.empty()) w.Key("mentioned_list").StringArray(mentioned_list);
    if (!mentioned_mobile_list.empty()) {
      w.Key("mentioned_mobile_list").StringArray(mentioned_mobile_list);
    }
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string_view SendOutcomeName(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::kDelivered: return "delivered";
    case SendOutcome::kRetry: return "retry";
    case SendOutcome::kConfigError: return "config_error";
    case SendOutcome::kRejected: return "rejected";
  }
  return "unknown";
}

SendResult JudgeReply(int http_status, std::string_view body) {
  SendResult r;
  r.http_status = http_status;
  if (http_status == 429 || http_status >= 500) {
    r.outcome = SendOutcome::kRetry;
    r.detail = "HTTP " + std::to_string(http_status);
    return r;
  }
  if (http_status != 200) {
    r.outcome = http_status == 404 ? SendOutcome::kConfigError : SendOutcome::kRejected;
    r.detail = "HTTP " + std::to_string(http_status) + " (is the robot URL right?)";
    return r;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t errcode = 0;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root["errcode"].get_int64().get(errcode) != simdjson::SUCCESS) {
    r.outcome = SendOutcome::kRejected;
    r.detail = "the answer has no errcode: not a WeCom webhook?";
    return r;
  }
  std::string_view errmsg;
  if (root["errmsg"].get_string().get(errmsg) == simdjson::SUCCESS) r.detail.assign(errmsg);
  r.errcode = static_cast<int>(errcode);
  if (errcode == 0) {
    r.outcome = SendOutcome::kDelivered;
  } else if (errcode == kErrRateLimited) {
    r.outcome = SendOutcome::kRetry;
  } else if (errcode == kErrBadKey || errcode == kErrTooLong) {
    r.outcome = SendOutcome::kConfigError;
  } else {
    r.outcome = SendOutcome::kRejected;
  }
  return r;
}

SendResult SendToRobot(const std::string& url, const WeComMessage& message,
                       double timeout_seconds) {
  Result<HttpFetchResult> reply = HttpFetch("POST", url, message.ToJson(), {}, timeout_seconds);
  if (!reply.ok()) {
    SendResult r;
    r.outcome = SendOutcome::kRetry;
    r.detail = MaskIn(reply.status().message(), url);
    return r;
  }
  SendResult r = JudgeReply(reply->status, reply->body);
  r.detail = MaskIn(std::move(r.detail), url);
  return r;
}

}  // namespace reco::gateway
