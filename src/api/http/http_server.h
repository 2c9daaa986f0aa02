// HttpServer: an HTTP/1.1 server (Boost.Beast parser over Asio) that dispatches to a Router.
// Keep-alive, `Connection: close`, `Expect: 100-continue`, body limit (413), malformed
// requests (400, connection closed), X-Request-Id (echoed or generated), a handler exception
// becomes a 500 JSON error. One io_context and thread per worker; a separate acceptor thread
// hands connections round-robin to the workers. Handlers run on the worker threads.
//
// Limits against hostile or broken clients: unknown methods get 501 and overlong request lines
// 414 as soon as they are seen; at most max_connections connections are open (at the cap a new
// connection closes the longest-idle keep-alive connection of its worker, or gets 503 when none
// is idle); a request must arrive completely within request_read_timeout_seconds of its first
// byte (else 408); request bodies in flight share max_inflight_body_bytes (a body that does not
// fit gets 503 with Retry-After). Buffers grown past buffer_release_bytes are freed after the
// request and the freed memory is handed back to the system.
//
// Thread-safety: Start() and Stop() from one controlling thread (never from a handler);
// handlers and on_request_done run concurrently on the worker threads.
// Lifetime: the Router is owned by the server; Stop() (or the destructor) drains and joins.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http/http_message.h"
#include "api/http/router.h"
#include "core/status.h"
#include "ops/metrics.h"

namespace reco {

// What on_request_done receives after each response was written. Views are valid during the
// call only.
struct RequestLog {
  std::string_view route;  // the route pattern or kUnmatchedRoute; never the raw path
  std::string_view method;
  int status = 0;
  double duration_seconds = 0;  // from the request being read to the response being written
  std::string_view request_id;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;     // 0 = an ephemeral port (see HttpServer::port())
  int threads = 0;  // worker threads; 0 = number of cores
  // Threads that run the handlers of routes registered as blocking (store writes), so that a
  // handler waiting on a commit does not hold a worker; waiting writers also form bigger
  // group commits.
  int blocking_threads = 16;
  int64_t max_body_bytes = 16 << 20;  // larger bodies get 413 without being read
  double drain_seconds = 10;          // Stop(): how long in-flight requests may take
  double idle_timeout_seconds = 60;   // a connection with no progress this long is closed
  // Open connections at most; 0 = DefaultMaxConnections(the open-file limit).
  int max_connections = 0;
  // From the first byte of a request to its last (header and body), at most this long; then
  // 408 and the connection closes. Independent of idle_timeout_seconds.
  double request_read_timeout_seconds = 30;
  // Bytes of request bodies received or being handled at once, over all connections; a body that
  // does not fit gets 503 + Retry-After. 0 = 4 * max_body_bytes.
  int64_t max_inflight_body_bytes = 0;
  // Request/response buffers larger than this are freed once their request is answered.
  int64_t buffer_release_bytes = 1 << 20;
  // Optional: the server's own series (open connections, refusals, read timeouts, ...).
  MetricsRegistry* metrics = nullptr;
  // Called on a worker thread after each response; must be thread-safe and cheap (metrics).
  std::function<void(const RequestLog&)> on_request_done;
};

namespace http_internal {
class BodyBudget;
class LogLimiter;
}  // namespace http_internal

// max_connections for a process allowed `open_file_limit` descriptors: the limit minus headroom
// for the store, model and log files (a quarter of the limit, at least 64); at least 16.
int DefaultMaxConnections(uint64_t open_file_limit);

// The process's open-file limit (RLIMIT_NOFILE) after raising its soft value to the hard one.
struct OpenFileLimit {
  uint64_t before = 0;  // the soft limit found at start-up
  uint64_t now = 0;     // the soft limit in effect
};
OpenFileLimit RaiseOpenFileLimit();

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router router);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (InvalidArgument for a bad host or port, Unavailable when the address
  // can't be bound), then starts the threads. Call once.
  Status Start();

  // The bound port (useful with options.port == 0); 0 before Start().
  int port() const { return port_; }

  // Graceful: stops accepting (new connections are refused), closes idle keep-alive
  // connections, lets in-flight requests finish and answers them with `Connection: close`
  // (waiting at most drain_seconds, then closing the rest), joins the threads. Idempotent.
  void Stop();

  const HttpServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  // The connection cap in effect (options.max_connections or its default); 0 before Start().
  int max_connections() const { return max_connections_; }
  int open_connections() const { return live_connections_.load(); }

 private:
  class Connection;
  struct Worker;
  struct Acceptor;
  friend class Connection;

  // The server's own series; every pointer is null when options.metrics is.
  struct Metrics {
    Gauge* open_connections = nullptr;
    Counter* refused = nullptr;        // at the cap with no idle connection to close
    Counter* closed_idle = nullptr;    // idle keep-alive connections closed to make room
    Counter* read_timeouts = nullptr;  // requests not received within the read deadline
    Counter* accept_errors = nullptr;
    Counter* body_budget_refusals = nullptr;
  };

  Status ValidateOptions() const;
  void InitLimits();
  void DoAccept();
  void AcceptNextOrPause();  // acceptor thread
  void OnAcceptError(const boost::system::error_code& ec);
  void Admit(Worker* worker, boost::asio::ip::tcp::socket socket);
  void ArmSweep(Worker* worker);
  void ConnectionOpened();  // acceptor thread, when a connection is accepted
  void ConnectionClosed();  // when its socket is closed; may resume accepting
  // Hands memory freed by a large request back to the system (coalesced, off the worker).
  void ScheduleMemoryRelease();
  static void Bump(Counter* counter) {
    if (counter != nullptr) counter->Inc();
  }

  HttpServerOptions options_;
  Router router_;
  int port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};

  std::mutex live_mu_;  // with live_cv_: Stop() waits for live_connections_ to reach 0
  std::condition_variable live_cv_;
  std::atomic<int> live_connections_{0};
  // Connections handed to a worker (Admit) and not yet closed. The cap is judged on this count,
  // in admission order, so that a connection still waiting for its worker (accepted, counted in
  // live_connections_) never makes an older one look over the cap.
  std::atomic<int> admitted_connections_{0};
  int max_connections_ = 0;
  Metrics metrics_;
  std::unique_ptr<http_internal::BodyBudget> body_budget_;
  std::unique_ptr<http_internal::LogLimiter> refusal_log_;  // connection-cap refusals
  std::atomic<bool> trim_scheduled_{false};
  std::atomic<bool> accept_paused_{false};       // over the cap: waiting for a connection to close
  std::chrono::milliseconds accept_backoff_{0};  // acceptor thread only

  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Acceptor> acceptor_;
  std::unique_ptr<boost::asio::thread_pool> blocking_pool_;
  size_t next_worker_ = 0;  // used by the acceptor thread only
};

// Answers GET /metrics with `metrics` in the Prometheus text format (every role's endpoint).
inline void WriteMetrics(const MetricsRegistry& metrics, HttpResponse& res) {
  res.content_type = std::string(kPrometheusContentType);
  res.body = metrics.RenderText();
}

}  // namespace reco
