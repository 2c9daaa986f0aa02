#include "api/http/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>

#include "api/http/body_budget.h"
#include "api/http/http_connection.h"
#include "api/http/log_limiter.h"
#include "core/memory.h"

namespace reco {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using http_internal::BodyBudget;
using http_internal::LogLimiter;

// Runs `ioc` until it is stopped; an exception escaping a handler is logged, not fatal.
void RunLoop(asio::io_context& ioc, std::string_view what) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http {} thread: unexpected exception: {}", what, e.what());
    } catch (...) {
      spdlog::error("http {} thread: unexpected exception", what);
    }
  }
}

constexpr auto kFirstAcceptBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxAcceptBackoff = std::chrono::milliseconds(1000);
constexpr auto kWarningInterval = std::chrono::seconds(10);

}  // namespace

int DefaultMaxConnections(uint64_t open_file_limit) {
  const uint64_t headroom = std::max<uint64_t>(64, open_file_limit / 4);
  const uint64_t n = open_file_limit > headroom ? open_file_limit - headroom : 0;
  return static_cast<int>(std::clamp<uint64_t>(n, 16, 1'000'000));
}

OpenFileLimit RaiseOpenFileLimit() {
  OpenFileLimit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return out;
  out.before = out.now = limit.rlim_cur;
  // An unlimited hard limit cannot be the soft one (the kernel caps it at fs.nr_open).
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
  if (limit.rlim_cur >= target) return out;
  rlimit raised = limit;
  raised.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.now = target;
  return out;
}

struct HttpServer::Acceptor {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry_timer{ioc};
  LogLimiter error_log{kWarningInterval};
  std::thread thread;
};

HttpServer::HttpServer(HttpServerOptions options, Router router)
    : options_(std::move(options)), router_(std::move(router)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::ValidateOptions() const {
  if (options_.port < 0 || options_.port > 65535) {
    return InvalidArgument(fmt::format("port {} is outside 0..65535", options_.port), "port");
  }
  if (options_.max_body_bytes <= 0) {
    return InvalidArgument("max_body_bytes must be positive", "max_body_bytes");
  }
  if (options_.max_connections < 0) {
    return InvalidArgument("max_connections must be >= 0", "max_connections");
  }
  if (!(options_.request_read_timeout_seconds > 0)) {
    return InvalidArgument("request_read_timeout_seconds must be positive",
                           "request_read_timeout_seconds");
  }
  if (options_.max_inflight_body_bytes != 0 &&
      options_.max_inflight_body_bytes < options_.max_body_bytes) {
    return InvalidArgument("max_inflight_body_bytes must be 0 or >= max_body_bytes",
                           "max_inflight_body_bytes");
  }
  return Status::Ok();
}

void HttpServer::InitLimits() {
  if (options_.max_connections > 0) {
    max_connections_ = options_.max_connections;
  } else {
    rlimit limit{};
    max_connections_ = DefaultMaxConnections(
        ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : uint64_t{1024});
  }
  MetricsRegistry* m = options_.metrics;
  Gauge* in_flight = nullptr;
  if (m != nullptr) {
    metrics_.open_connections =
        m->GetGauge("http_open_connections", "Open client connections of the HTTP server.");
    m->GetGauge("http_max_connections",
                "The HTTP server's connection cap (server.max_connections).")
        ->Set(max_connections_);
    metrics_.refused =
        m->GetCounter("http_connections_refused_total",
                      "Connections answered 503 because the cap was reached and none was idle.");
    metrics_.closed_idle =
        m->GetCounter("http_idle_connections_closed_total",
                      "Idle keep-alive connections closed to make room under the connection cap.");
    metrics_.read_timeouts =
        m->GetCounter("http_request_read_timeouts_total",
                      "Requests not received completely within server.request_read_timeout (408).");
    metrics_.accept_errors = m->GetCounter("http_accept_errors_total",
                                           "Failed accept() calls (e.g. out of descriptors).");
    metrics_.body_budget_refusals =
        m->GetCounter("http_body_budget_refusals_total",
                      "Requests answered 503 because server.max_inflight_body_bytes was in use.");
    in_flight = m->GetGauge("http_inflight_body_bytes",
                            "Bytes of request bodies being received or handled.");
  }
  const int64_t budget = options_.max_inflight_body_bytes > 0 ? options_.max_inflight_body_bytes
                                                              : 4 * options_.max_body_bytes;
  body_budget_ = std::make_unique<BodyBudget>(budget, in_flight);
  refusal_log_ = std::make_unique<LogLimiter>(kWarningInterval);
}

Status HttpServer::Start() {
  if (started_) return FailedPrecondition("HttpServer::Start called twice");
  RECO_RETURN_IF_ERROR(ValidateOptions());
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return InvalidArgument(fmt::format("host '{}' is not an IP address", options_.host), "host");
  }
  acceptor_ = std::make_unique<Acceptor>();
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  auto& acc = acceptor_->acceptor;
  if (!acc.open(endpoint.protocol(), ec)) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  // A process started from this one (e.g. a pipeline task's tool) must not inherit the listening
  // socket: it would keep the port accepting after this server stops.
  if (!ec) ::fcntl(acc.native_handle(), F_SETFD, FD_CLOEXEC);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    return Unavailable(
        fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  port_ = acc.local_endpoint().port();
  started_ = true;
  InitLimits();

  const int threads = options_.threads > 0
                          ? options_.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->guard.emplace(worker->ioc.get_executor());
    workers_.push_back(std::move(worker));
  }
  blocking_pool_ =
      std::make_unique<boost::asio::thread_pool>(std::max(1, options_.blocking_threads));
  for (auto& worker : workers_) {
    ArmSweep(worker.get());
    worker->thread = std::thread([w = worker.get()] { RunLoop(w->ioc, "worker"); });
  }
  acceptor_->guard.emplace(acceptor_->ioc.get_executor());
  DoAccept();
  acceptor_->thread = std::thread([a = acceptor_.get()] { RunLoop(a->ioc, "acceptor"); });
  spdlog::info(
      "http server listening on {}:{} threads={} max_connections={} request_read_timeout_s={} "
      "max_inflight_body_bytes={}",
      options_.host, port_, threads, max_connections_, options_.request_read_timeout_seconds,
      body_budget_->limit());
  return Status::Ok();
}

void HttpServer::ArmSweep(Worker* worker) {
  const double shortest =
      std::min(options_.idle_timeout_seconds, options_.request_read_timeout_seconds);
  const double interval = std::clamp(shortest / 4, 0.01, 1.0);
  worker->sweep_timer.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(interval)));
  worker->sweep_timer.async_wait([this, worker](const boost::system::error_code& ec) {
    if (ec) return;
    const SteadyTime now = std::chrono::steady_clock::now();
    for (Connection* c : worker->connections) c->CloseIfStale(now);
    ArmSweep(worker);
  });
}

void HttpServer::DoAccept() {
  Worker* worker = workers_[next_worker_].get();
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptor_->acceptor.async_accept(
      worker->ioc, [this, worker](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->acceptor.is_open()) return;
        if (ec) {
          OnAcceptError(ec);
          return;
        }
        accept_backoff_ = std::chrono::milliseconds(0);
        ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);  // as the listening socket
        ConnectionOpened();  // counted now: its descriptor is in use until it is destroyed
        asio::post(worker->ioc, [this, worker, s = std::move(socket)]() mutable {
          Admit(worker, std::move(s));
        });
        AcceptNextOrPause();
      });
}

void HttpServer::AcceptNextOrPause() {
  // Over the cap the workers first close idle connections (or refuse the new ones); accepting
  // more meanwhile would only use up descriptors. ConnectionClosed() resumes. Sequentially
  // consistent with ConnectionClosed(): one of the two sees the other's change.
  if (open_connections() <= max_connections_) return DoAccept();
  accept_paused_.store(true);
  if (open_connections() <= max_connections_ && accept_paused_.exchange(false)) DoAccept();
}

void HttpServer::OnAcceptError(const boost::system::error_code& ec) {
  // Back off (10 ms doubling up to 1 s) instead of spinning, and log at most one line per
  // interval.
  Bump(metrics_.accept_errors);
  if (ec == asio::error::no_descriptors) {
    // Out of descriptors below the cap (a cap above the limit, or many open files): each worker
    // closes its longest-idle connection so that the retry can succeed.
    for (auto& worker : workers_) {
      asio::post(worker->ioc, [this, w = worker.get()] {
        if (Connection* idle = w->OldestIdle(nullptr)) {
          idle->Close();
          Bump(metrics_.closed_idle);
        }
      });
    }
  }
  accept_backoff_ = std::clamp(accept_backoff_ * 2, std::chrono::milliseconds(kFirstAcceptBackoff),
                               std::chrono::milliseconds(kMaxAcceptBackoff));
  int64_t held_back = 0;
  if (acceptor_->error_log.Allow(std::chrono::steady_clock::now(), &held_back)) {
    spdlog::warn("http accept failed: {} open_connections={} retry_ms={} not_logged={}",
                 ec.message(), open_connections(), accept_backoff_.count(), held_back);
  }
  acceptor_->retry_timer.expires_after(accept_backoff_);
  acceptor_->retry_timer.async_wait([this](const boost::system::error_code& wait_ec) {
    if (!wait_ec) DoAccept();
  });
}

void HttpServer::Admit(Worker* worker, tcp::socket socket) {
  auto connection = std::make_shared<Connection>(this, worker, std::move(socket));
  if (admitted_connections_.fetch_add(1) + 1 > max_connections_) {
    // At the cap: the connection idle the longest on this worker makes room; with none idle the
    // new client is told to come back later.
    if (Connection* idle = worker->OldestIdle(connection.get())) {
      idle->Close();
      Bump(metrics_.closed_idle);
    } else {
      Bump(metrics_.refused);
      int64_t held_back = 0;
      if (refusal_log_->Allow(std::chrono::steady_clock::now(), &held_back)) {
        spdlog::warn(
            "http connection refused: max_connections={} reached and no connection is idle "
            "not_logged={}",
            max_connections_, held_back);
      }
      connection->Refuse();
      return;
    }
  }
  connection->Start();
}

void HttpServer::ConnectionOpened() {
  live_connections_.fetch_add(1);
  if (metrics_.open_connections != nullptr) metrics_.open_connections->Add(1);
}

void HttpServer::ConnectionClosed() {
  if (metrics_.open_connections != nullptr) metrics_.open_connections->Add(-1);
  admitted_connections_.fetch_sub(1);  // every Connection is made in Admit and closed once
  const int before = live_connections_.fetch_sub(1);
  if (before == 1) {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_cv_.notify_all();
  }
  if (accept_paused_.load() && !stopping_.load() && before - 1 <= max_connections_ &&
      accept_paused_.exchange(false)) {
    asio::post(acceptor_->ioc, [this] { DoAccept(); });
  }
}

void HttpServer::ScheduleMemoryRelease() {
  // The allocator keeps freed pages of its arenas for reuse; hand them back, at most one
  // pending release at a time, on the blocking pool rather than a worker.
  if (trim_scheduled_.exchange(true)) return;
  asio::post(*blocking_pool_, [this] {
    trim_scheduled_.store(false);
    reco::ReleaseFreeMemory();
  });
}

void HttpServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_.store(true);

  // 1. Stop accepting: once this returns, new connections are refused.
  std::promise<void> closed;
  asio::post(acceptor_->ioc, [this, &closed] {
    boost::system::error_code ec;
    acceptor_->acceptor.close(ec);
    acceptor_->retry_timer.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  // 2. A request the client sent just before the signal may not have been read yet (its
  // connection looks idle): give such requests a short grace to be read, then close idle
  // keep-alive connections; busy ones close after their response.
  {
    std::unique_lock<std::mutex> lock(live_mu_);
    live_cv_.wait_for(lock, std::chrono::milliseconds(100),
                      [this] { return open_connections() == 0; });
  }
  for (auto& worker : workers_) {
    asio::post(worker->ioc, [w = worker.get()] {
      for (Connection* c : w->connections) c->CloseIfIdle();
    });
  }

  // 3. Wait for in-flight requests, at most drain_seconds.
  {
    std::unique_lock<std::mutex> lock(live_mu_);
    const bool drained =
        live_cv_.wait_for(lock, std::chrono::duration<double>(options_.drain_seconds),
                          [this] { return open_connections() == 0; });
    if (!drained) {
      spdlog::warn("http server: {} connections still open after {}s drain; closing them",
                   open_connections(), options_.drain_seconds);
    }
  }

  // 4. Blocking handlers still running finish (their responses are posted to the workers,
  // which still run), then stop the loops and join.
  if (blocking_pool_) blocking_pool_->join();
  // Stop the loops and join. Handlers still running finish before their thread joins.
  for (auto& worker : workers_) {
    worker->guard.reset();
    worker->ioc.stop();
  }
  acceptor_->guard.reset();
  acceptor_->ioc.stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  if (acceptor_->thread.joinable()) acceptor_->thread.join();
  acceptor_.reset();  // before the workers: it may hold accepted sockets of their io_contexts
  workers_.clear();
  spdlog::info("http server on port {} stopped", port_);
}

}  // namespace reco
