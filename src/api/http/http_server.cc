#include "api/http/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>

#include "api/http/http_connection.h"

namespace reco {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

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

}  // namespace

struct HttpServer::Acceptor {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry_timer{ioc};
  std::thread thread;
};

HttpServer::HttpServer(HttpServerOptions options, Router router)
    : options_(std::move(options)), router_(std::move(router)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (started_) return FailedPrecondition("HttpServer::Start called twice");
  if (options_.port < 0 || options_.port > 65535) {
    return InvalidArgument(fmt::format("port {} is outside 0..65535", options_.port), "port");
  }
  if (options_.max_body_bytes <= 0) {
    return InvalidArgument("max_body_bytes must be positive", "max_body_bytes");
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return InvalidArgument(fmt::format("host '{}' is not an IP address", options_.host), "host");
  }
  acceptor_ = std::make_unique<Acceptor>();
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  auto& acc = acceptor_->acceptor;
  if (!acc.open(endpoint.protocol(), ec)) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    return Unavailable(
        fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  port_ = acc.local_endpoint().port();
  started_ = true;

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
  spdlog::info("http server listening on {}:{} threads={}", options_.host, port_, threads);
  return Status::Ok();
}

void HttpServer::ArmSweep(Worker* worker) {
  const double interval = std::clamp(options_.idle_timeout_seconds / 4, 0.01, 1.0);
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
          // E.g. out of file descriptors: back off briefly instead of spinning.
          spdlog::warn("http accept failed: {}", ec.message());
          acceptor_->retry_timer.expires_after(std::chrono::milliseconds(50));
          acceptor_->retry_timer.async_wait([this](const boost::system::error_code& wait_ec) {
            if (!wait_ec) DoAccept();
          });
          return;
        }
        asio::post(worker->ioc, [this, worker, s = std::move(socket)]() mutable {
          std::make_shared<Connection>(this, worker, std::move(s))->Start();
        });
        DoAccept();
      });
}

void HttpServer::ConnectionOpened() {
  std::lock_guard<std::mutex> lock(live_mu_);
  ++live_connections_;
}

void HttpServer::ConnectionClosed() {
  std::lock_guard<std::mutex> lock(live_mu_);
  if (--live_connections_ == 0) live_cv_.notify_all();
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
                      [this] { return live_connections_ == 0; });
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
                          [this] { return live_connections_ == 0; });
    if (!drained) {
      spdlog::warn("http server: {} connections still open after {}s drain; closing them",
                   live_connections_, options_.drain_seconds);
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
