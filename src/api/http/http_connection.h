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

#include "api/http/body_budget.h"
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

  // The connection (other than `except`) that has waited longest for a new request; null when
  // none is idle.
  Connection* OldestIdle(const Connection* except) const;
};

class HttpServer::Connection : public std::enable_shared_from_this<HttpServer::Connection> {
 public:
  Connection(HttpServer* server, Worker* worker, boost::asio::ip::tcp::socket socket);
  ~Connection();

  void Start();
  // At the connection cap: answers 503 (Retry-After) without reading and closes.
  void Refuse();
  // Stop(): closes the connection when it waits for a new request or lingers after a close.
  void CloseIfIdle();
  // Closes the connection when it made no progress for too long (never while handling), and
  // answers 408 to a request not received within the read deadline.
  void CloseIfStale(SteadyTime now);
  // Waiting for a request of which nothing arrived yet, or lingering after a close.
  bool idle() const;
  SteadyTime last_activity() const { return last_activity_; }
  void Close();

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
  // Answers a request refused before it reached a handler, then closes the connection.
  void RespondAndClose(int status, std::string_view message);
  void TimeOutRead();
  void AssignRequestId();
  void WriteResponse();
  void OnWritten(const error_code& ec);
  void FinishRequest(SteadyTime now);
  void ReleaseBuffers();
  void Linger();

  HttpServer* server_;
  Worker* worker_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  HttpRequest request_;
  HttpResponse response_;
  http_internal::BodyLease body_lease_;  // declared before parser_, which points to it
  std::optional<http_internal::RequestParser> parser_;
  std::string head_;
  State state_ = State::kReading;
  bool keep_alive_ = true;
  bool continue_sent_ = false;
  bool omit_body_ = false;
  bool request_begun_ = false;   // a byte of the current request arrived
  bool read_timed_out_ = false;  // the read deadline passed; OnRead answers 408
  size_t lingered_bytes_ = 0;
  SteadyTime last_activity_;
  SteadyTime request_start_;  // the request was read: handling starts (for its duration)
  SteadyTime read_start_;     // the first byte of the current request arrived
  SteadyTime linger_start_;
};

}  // namespace reco
