// Test helpers for HttpServer: a synchronous raw-socket client, a fixture that starts a server
// and records on_request_done, and a router of small echo routes.
//
// Thread-safety: a TestClient belongs to one thread. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_server.h"
#include "core/json_writer.h"
#include "ops/metrics.h"

namespace reco::http_testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Response = http::response<http::string_body>;

// A synchronous HTTP/1.1 client on one connection.
class TestClient {
 public:
  explicit TestClient(int port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    // A read the server never answers fails the test instead of hanging it.
    const timeval timeout{30, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  int fd() { return socket_.native_handle(); }
  // True when a response byte or the server's EOF can be read within `ms` milliseconds.
  bool Readable(int ms) {
    pollfd p{fd(), POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  void Send(std::string_view raw) { asio::write(socket_, asio::buffer(raw.data(), raw.size())); }
  Response Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  // Reads a response to HEAD: a header only.
  http::response<http::empty_body> ReadHead() {
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  Response Get(std::string_view target, std::string_view extra_headers = "") {
    Send(std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" +
         std::string(extra_headers) + "\r\n");
    return Read();
  }
  // True when the server closed the connection (EOF) without sending anything more.
  bool ClosedByServer() {
    boost::system::error_code ec;
    char byte;
    const size_t n = asio::read(socket_, asio::buffer(&byte, 1), ec);
    return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

inline bool CanConnect(int port) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(Router router, HttpServerOptions options = {}) {
    options.threads = options.threads > 0 ? options.threads : 2;
    options.on_request_done = [this](const RequestLog& log) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.push_back({std::string(log.route), std::string(log.method), log.status});
      logs_cv_.notify_all();
    };
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(router));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  struct Logged {
    std::string route, method;
    int status;
  };
  // on_request_done runs after the write completes, possibly after the client read the
  // response: wait until `n` calls were recorded (the timeout only guards against a hang).
  std::vector<Logged> Logs(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    logs_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return logs_.size() >= n; });
    return logs_;
  }

  MetricsRegistry metrics_;  // for options.metrics; outlives server_
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::condition_variable logs_cv_;
  std::vector<Logged> logs_;
};

// Polls `condition` every millisecond until it holds (true) or `seconds` pass (false).
inline bool PollUntil(const std::function<bool()>& condition, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline Router EchoRouter() {
  Router r;
  r.Add("GET", "/api/user/{user_id}/feedback/{feedback_type}",
        [](HttpRequest& req, HttpResponse& resp) {
          JsonWriter w;
          w.BeginObject().Key("user").String(req.Param("user_id"));
          w.Key("type").String(req.Param("feedback_type"));
          w.Key("n").String(req.Query("n").value_or("none")).EndObject();
          resp.body = w.Take();
        });
  r.Add("GET", "/api/recommend/{user_id}", [](HttpRequest& req, HttpResponse& resp) {
    resp.body = "[\"" + std::string(req.Param("user_id")) + "\"]";
  });
  r.Add("POST", "/api/echo", [](HttpRequest& req, HttpResponse& resp) {
    resp.content_type = "text/plain";
    resp.body = req.body();
  });
  r.Add("GET", "/api/boom", [](HttpRequest&, HttpResponse&) { throw std::runtime_error("boom"); });
  r.Add("GET", "/api/id",
        [](HttpRequest& req, HttpResponse& resp) { resp.body = std::string(req.request_id()); });
  return r;
}

}  // namespace reco::http_testing
