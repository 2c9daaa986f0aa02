// For tests: a local HTTP receiver that answers as WeCom's group-robot webhook API does
// (POST /cgi-bin/webhook/send?key=KEY; HTTP 200 with {"errcode":0,"errmsg":"ok"}, 93000 for an
// unknown key, 40058 for content over the limit, and scripted errcodes such as 45009 on cue).
// WeCom itself is on the internet; this stands in for it and records every message.
//
// Thread-safety: the server thread fills the log; the accessors lock. Lifetime: Stop() or the
// destructor stops the server; Restart() listens again on the same port, which Stop() keeps
// bound without listening meanwhile (connections are refused, as to a receiver that is down,
// and no other test process can take the port).
#pragma once

#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http/http_server.h"

namespace reco::gateway::testing {

struct ReceivedMessage {
  std::string msgtype;
  std::string content;
  std::vector<std::string> mentioned_list;
  int answered_errcode = 0;
};

class WeComReceiver {
 public:
  explicit WeComReceiver(std::string key) : key_(std::move(key)) {}
  ~WeComReceiver() {
    Stop();
    ReleasePort();
  }

  // Listens on 127.0.0.1 (port 0 = a free one; Restart() reuses the port found).
  bool Start(int port = 0) {
    HttpServerOptions options;
    options.port = port;
    options.threads = 1;
    options.blocking_threads = 1;
    Router router;
    router.Add("POST", "/cgi-bin/webhook/send",
               [this](HttpRequest& req, HttpResponse& res) { Handle(req, res); });
    server_ = std::make_unique<HttpServer>(options, std::move(router));
    if (!server_->Start().ok()) return false;
    port_ = server_->port();
    return true;
  }
  bool Restart() {
    ReleasePort();
    return Start(port_);
  }
  void Stop() {
    if (!server_) return;
    server_->Stop();
    server_.reset();
    HoldPort();
  }

  int port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/cgi-bin/webhook/send?key=" + key_;
  }
  // The next answers' errcodes, in order, before falling back to the normal answer.
  void Script(std::vector<int> errcodes) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.insert(script_.end(), errcodes.begin(), errcodes.end());
  }
  std::vector<ReceivedMessage> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  // Messages WeCom would have shown (errcode 0).
  std::vector<ReceivedMessage> delivered() const {
    std::vector<ReceivedMessage> out;
    for (const ReceivedMessage& m : messages()) {
      if (m.answered_errcode == 0) out.push_back(m);
    }
    return out;
  }

 private:
  static std::string Answer(int errcode) {
    switch (errcode) {
      case 0: return R"({"errcode":0,"errmsg":"ok"})";
      case 45009: return R"({"errcode":45009,"errmsg":"api freq out of limit"})";
      case 93000: return R"({"errcode":93000,"errmsg":"invalid webhook url, hint: [x]"})";
      case 40058: return R"({"errcode":40058,"errmsg":"markdown.content exceed max length 4096"})";
      default:
        return R"({"errcode":)" + std::to_string(errcode) + R"(,"errmsg":"error"})";
    }
  }

  void Handle(HttpRequest& req, HttpResponse& res) {
    ReceivedMessage m;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view text;
    if (parser.parse(req.body()).get(root) != simdjson::SUCCESS ||
        root["msgtype"].get_string().get(text) != simdjson::SUCCESS) {
      res.body = R"({"errcode":40008,"errmsg":"invalid message type"})";
      return;
    }
    m.msgtype.assign(text);
    if (root[m.msgtype]["content"].get_string().get(text) == simdjson::SUCCESS) m.content.assign(text);
    simdjson::dom::array mentions;
    if (root[m.msgtype]["mentioned_list"].get_array().get(mentions) == simdjson::SUCCESS) {
      for (auto v : mentions) m.mentioned_list.emplace_back(v.get_string().value_unsafe());
    }
    std::lock_guard<std::mutex> lock(mu_);
    size_t limit = m.msgtype == "text" ? 2048 : 4096;
    if (req.Query("key").value_or("") != key_) {
      m.answered_errcode = 93000;
    } else if (!script_.empty()) {
      m.answered_errcode = script_.front();
      script_.pop_front();
    } else if (m.content.size() > limit) {
      m.answered_errcode = 40058;
    }
    res.body = Answer(m.answered_errcode);
    messages_.push_back(std::move(m));
  }

  // Binds the port without listening, so that it stays this receiver's while it is down.
  void HoldPort() {
    placeholder_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(placeholder_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    ::bind(placeholder_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  void ReleasePort() {
    if (placeholder_ >= 0) ::close(placeholder_);
    placeholder_ = -1;
  }

  std::string key_;
  int port_ = 0;
  int placeholder_ = -1;
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mu_;
  std::deque<int> script_;
  std::vector<ReceivedMessage> messages_;
};

}  // namespace reco::gateway::testing
