// HttpServer: an HTTP/1.1 server (Boost.Beast parser over Asio) that dispatches to a Router.
// Keep-alive, `Connection: close`, `Expect: 100-continue`, body limit (413), malformed
// requests (400, connection closed), X-Request-Id (echoed or generated), a handler exception
// becomes a 500 JSON error. One io_context and thread per worker; a separate acceptor thread
// hands connections round-robin to the workers. Handlers run on the worker threads.
//
// Thread-safety: Start() and Stop() from one controlling thread (never from a handler);
// handlers and on_request_done run concurrently on the worker threads.
// Lifetime: the Router is owned by the server; Stop() (or the destructor) drains and joins.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
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
  // Called on a worker thread after each response; must be thread-safe and cheap (metrics).
  std::function<void(const RequestLog&)> on_request_done;
};

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

 private:
  class Connection;
  struct Worker;
  struct Acceptor;
  friend class Connection;

  void DoAccept();
  void ArmSweep(Worker* worker);
  void ConnectionOpened();
  void ConnectionClosed();

  HttpServerOptions options_;
  Router router_;
  int port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};

  std::mutex live_mu_;
  std::condition_variable live_cv_;
  int live_connections_ = 0;  // guarded by live_mu_

  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Acceptor> acceptor_;
  std::unique_ptr<boost::asio::thread_pool> blocking_pool_;
  size_t next_worker_ = 0;  // used by the acceptor thread only
};

}  // namespace reco
