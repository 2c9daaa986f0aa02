#include "gateway/wecom_client.h"

#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <type_traits>

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

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;
using Clock = std::chrono::steady_clock;

using Endpoints = std::vector<asio::ip::tcp::endpoint>;

// Connect, TLS handshake (https), write, read: asynchronous so that the stream's deadline bounds
// every step (a robot endpoint or proxy that accepts and never answers must not hold the
// delivery thread). `step` names where it failed.
template <typename Stream>
beast::error_code Exchange(asio::io_context& io, Stream& stream, const Endpoints& endpoints,
                           Request& req, Response& res, std::string& step) {
  beast::flat_buffer buffer;
  beast::error_code failure;
  auto fail = [&](beast::error_code ec) { failure = ec; };
  auto on_read = [&](beast::error_code ec, size_t) { if (ec) fail(ec); };
  auto on_write = [&](beast::error_code ec, size_t) {
    if (ec) return fail(ec);
    step = "read";
    beast::http::async_read(stream, buffer, res, on_read);
  };
  auto write = [&] {
    step = "write";
    beast::http::async_write(stream, req, on_write);
  };
  auto on_connect = [&](beast::error_code ec, const asio::ip::tcp::endpoint&) {
    if (ec) return fail(ec);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      step = "TLS handshake";
      stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
        if (hec) return fail(hec);
        write();
      });
    }
  };
  step = "connect";
  beast::get_lowest_layer(stream).async_connect(endpoints, on_connect);
  io.run();
  return failure;
}

// The exchange over TLS: the server's certificate is verified against `ca_file` (or the system's
// CAs) and must name the host.
beast::error_code ExchangeTls(asio::io_context& io, const RobotUrl& u, const Endpoints& endpoints,
                              const std::string& ca_file, Clock::time_point deadline, Request& req,
                              Response& res, std::string& step) {
  ssl::context ctx(ssl::context::tls_client);
  if (ca_file.empty()) {
    ctx.set_default_verify_paths();
  } else {
    ctx.load_verify_file(ca_file);
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  boost::system::error_code not_an_address;
  asio::ip::make_address(u.host, not_an_address);
  if (not_an_address) SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());  // SNI
  stream.set_verify_callback(ssl::host_name_verification(u.host));
  beast::get_lowest_layer(stream).expires_at(deadline);
  return Exchange(io, stream, endpoints, req, res, step);
}

// The addresses of the robot's host and port, looked up within `timeout_seconds`.
Result<Endpoints> Resolve(const RobotUrl& u, double timeout_seconds, const HostLookup& lookup) {
  Result<std::vector<std::string>> addresses = LookupHost(u.host, timeout_seconds, lookup);
  if (!addresses.ok()) return addresses.status();
  Endpoints out;
  for (const std::string& a : *addresses) {
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(a, ec);
    if (!ec) out.emplace_back(address, static_cast<uint16_t>(u.port));
  }
  if (out.empty()) return Unavailable("lookup of " + u.host + " found no usable address");
  return out;
}

// POSTs `body` to `url` with the whole attempt, host name lookup included, bounded by
// `timeout_seconds`.
Result<HttpFetchResult> PostWithDeadline(const std::string& url, const std::string& body,
                                         double timeout_seconds, const std::string& ca_file,
                                         const HostLookup& lookup) {
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  RECO_ASSIGN_OR_RETURN(RobotUrl u, ParseRobotUrl(url, "url"));
  Result<Endpoints> endpoints = Resolve(u, timeout_seconds, lookup);
  if (!endpoints.ok()) {
    return Unavailable("POST " + url + ": resolve " + u.host + ":" + std::to_string(u.port) +
                       " failed (" + endpoints.status().message() + ")");
  }
  Request req(beast::http::verb::post, u.target, 11);
  req.set(beast::http::field::host, u.host);
  req.set(beast::http::field::user_agent, "reco-gateway");
  req.set(beast::http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  Response res;
  std::string step = "connect";
  asio::io_context io;
  beast::error_code failure;
  try {
    if (u.tls) {
      failure = ExchangeTls(io, u, *endpoints, ca_file, deadline, req, res, step);
    } else {
      beast::tcp_stream stream(io);
      stream.expires_at(deadline);  // what the lookup left
      failure = Exchange(io, stream, *endpoints, req, res, step);
    }
  } catch (const std::exception& e) {  // a CA file that does not load
    return Unavailable("POST " + url + ": " + e.what());
  }
  if (failure) {
    return Unavailable("POST " + url + ": " + step + " " + u.host + ":" + std::to_string(u.port) +
                       " failed (" + failure.message() + ")");
  }
  return HttpFetchResult{static_cast<int>(res.result_int()), std::move(res.body())};
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

SendResult SendToRobot(const std::string& url, const WeComMessage& message, double timeout_seconds,
                       const std::string& ca_file, const HostLookup& lookup) {
  Result<HttpFetchResult> reply =
      PostWithDeadline(url, message.ToJson(), timeout_seconds, ca_file, lookup);
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
