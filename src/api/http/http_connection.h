// HttpServer internals: a worker (io_context + thread + its connections) and one client
// connection (read → parse → route → handle → write, keep-alive loop).
//
// Internal to api/http. A Worker and its Connections are used only on the worker's thread;
// a Connection is kept alive by the shared_ptr held in its pending asynchronous operation.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "api/http/http_server.h"
#include "api/http/request_parser.h"

namespace reco {

using SteadyTime = std::chrono::steady_clock::time_point;

struct HttpServer::Worker {
  // Declared before `ioc`: destroying the io_context destroys pending handlers and with them
  // the connections, which unregister themselves from this set.
  std::unordered_set<Connection*> connections;
  boost::asio::io_context ioc{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  boost::asio::steady_timer sweep_timer{ioc};
  std::thread thread;
};

class HttpServer::Connection : public std::enable_shared_from_this<HttpServer::Connection> {
 public:
  Connection(HttpServer* server, Worker* worker, boost::asio::ip::tcp::socket socket);
  ~Connection();

  void Start();
  // Stop(): closes the connection when it waits for a new request or lingers after a close.
  void CloseIfIdle();
  // Closes the connection when it made no progress for too long (never while handling).
  void CloseIfStale(SteadyTime now);

 private:
  enum class State { kReading, kHandling, kWriting, kLingering, kClosed };
  using error_code = boost::system::error_code;

  void BeginRequest();
  void DoRead();
  void OnRead(const error_code& ec, size_t bytes);
  void Parse();
  void WriteContinue();
  void HandleRequest();
  void RunHandler(const HttpHandler& handler);
  void HandleParseError(const error_code& ec);
  void AssignRequestId();
  void WriteResponse();
  void OnWritten(const error_code& ec);
  void FinishRequest(SteadyTime now);
  void Linger();
  void Close();

  HttpServer* server_;
  Worker* worker_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  HttpRequest request_;
  HttpResponse response_;
  std::optional<http_internal::RequestParser> parser_;
  std::string head_;
  State state_ = State::kReading;
  bool keep_alive_ = true;
  bool continue_sent_ = false;
  bool omit_body_ = false;
  size_t lingered_bytes_ = 0;
  SteadyTime last_activity_;
  SteadyTime request_start_;
};

}  // namespace reco
