#include "api/http/http_connection.h"
#include "api/http/request_id.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <ctime>
#include <random>

namespace reco {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr size_t kReadChunk = 8192;

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// "Tue, 24 Nov 2026 07:56:00 GMT", formatted at most once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local char buf[40];
  thread_local size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(buf, len);
}

double Seconds(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

HttpServer::Connection* HttpServer::Worker::OldestIdle(const Connection* except) const {
  Connection* oldest = nullptr;
  for (Connection* c : connections) {
    if (c == except || !c->idle()) continue;
    if (oldest == nullptr || c->last_activity() < oldest->last_activity()) oldest = c;
  }
  return oldest;
}

HttpServer::Connection::Connection(HttpServer* server, Worker* worker,
                                   boost::asio::ip::tcp::socket socket)
    : server_(server),
      worker_(worker),
      socket_(std::move(socket)),
      body_lease_(server->body_budget_.get()) {
  // Counted open by the acceptor (HttpServer::ConnectionOpened) and closed by Close().
  worker_->connections.insert(this);
  error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  const auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    request_.SetRemoteAddress(
        fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port()));
  }
  last_activity_ = std::chrono::steady_clock::now();
}

HttpServer::Connection::~Connection() {
  Close();
  ReleaseBuffers();
  worker_->connections.erase(this);
}

void HttpServer::Connection::Start() {
  if (server_->stopping_.load(std::memory_order_relaxed)) {
    Close();
    return;
  }
  BeginRequest();
}

void HttpServer::Connection::Refuse() {
  static const std::string kResponse = [] {
    HttpResponse body;
    SetJsonError(body, 503, "the server is at its connection limit; retry later");
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
        body.body.size(), body.body);
  }();
  // Best effort and without waiting: the send buffer of a new connection is empty.
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.write_some(asio::buffer(kResponse), ec);
  Close();
}

bool HttpServer::Connection::idle() const {
  return state_ == State::kLingering ||
         (state_ == State::kReading && !request_begun_ && buffer_.size() == 0);
}

void HttpServer::Connection::CloseIfIdle() {
  // A request the client already sent but this connection has not read yet is in flight, not
  // idle: it is read, answered (with Connection: close) and only then the connection closes.
  boost::system::error_code ec;
  const size_t unread = socket_.is_open() ? socket_.available(ec) : 0;
  const bool waiting = state_ == State::kReading && parser_ && !parser_->got_some() &&
                       buffer_.size() == 0 && (ec || unread == 0);
  if (state_ == State::kLingering) {
    Close();
  } else if (waiting) {
    // The pending read may already hold the request's first bytes, taken off the socket but
    // not yet handed to OnRead. Cancel it instead of closing: OnRead closes the connection on
    // the aborted read, and a read that completed is parsed and answered (Connection: close).
    boost::system::error_code cancel_ec;
    socket_.cancel(cancel_ec);
  }
}

void HttpServer::Connection::CloseIfStale(SteadyTime now) {
  const HttpServerOptions& options = server_->options_;
  switch (state_) {
    case State::kHandling:
    case State::kClosed:
      return;
    case State::kLingering:
      // A total deadline: a client trickling bytes must not keep a closing connection open.
      if (Seconds(linger_start_, now) > std::min(options.idle_timeout_seconds, 5.0)) Close();
      return;
    case State::kReading:
      if (request_begun_ && !read_timed_out_ &&
          Seconds(read_start_, now) > options.request_read_timeout_seconds) {
        TimeOutRead();
        return;
      }
      break;
    case State::kWriting:
      break;
  }
  if (Seconds(last_activity_, now) > options.idle_timeout_seconds) Close();
}

void HttpServer::Connection::TimeOutRead() {
  // The pending read completes (aborted, or with bytes already taken off the socket) and
  // OnRead answers 408.
  read_timed_out_ = true;
  error_code ec;
  socket_.cancel(ec);
}

void HttpServer::Connection::BeginRequest() {
  state_ = State::kReading;
  request_.Reset();
  response_.Reset();
  body_lease_.Release();
  parser_.emplace(request_, static_cast<uint64_t>(server_->options_.max_body_bytes), &body_lease_);
  continue_sent_ = false;
  read_timed_out_ = false;
  request_begun_ = buffer_.size() > 0;
  if (request_begun_) read_start_ = std::chrono::steady_clock::now();
  if (buffer_.size() > 0) {
    Parse();
  } else {
    DoRead();
  }
}

void HttpServer::Connection::DoRead() {
  socket_.async_read_some(
      buffer_.prepare(kReadChunk),
      [self = shared_from_this()](const error_code& ec, size_t bytes) { self->OnRead(ec, bytes); });
}

void HttpServer::Connection::OnRead(const error_code& ec, size_t bytes) {
  if (state_ == State::kClosed) return;
  if (read_timed_out_ && state_ == State::kReading) {
    Bump(server_->metrics_.read_timeouts);
    RespondAndClose(408, fmt::format("request not received within {} s",
                                     server_->options_.request_read_timeout_seconds));
    return;
  }
  if (ec) {
    Close();  // end of stream, reset, or closed by Stop()/the idle sweep
    return;
  }
  buffer_.commit(bytes);
  last_activity_ = std::chrono::steady_clock::now();
  if (state_ == State::kReading && !request_begun_) {
    request_begun_ = true;
    read_start_ = last_activity_;
  }
  if (state_ == State::kLingering) {
    lingered_bytes_ += buffer_.size();
    buffer_.consume(buffer_.size());
    // Up to one whole body, so that a client still sending the body of a refused request
    // (413, 503) gets to read the answer rather than a reset.
    if (lingered_bytes_ > static_cast<size_t>(server_->options_.max_body_bytes) + (1 << 20)) {
      Close();
    } else {
      DoRead();
    }
    return;
  }
  Parse();
}

void HttpServer::Connection::Parse() {
  if (!parser_->got_request_line()) {
    const auto data = buffer_.data();
    const http_internal::Rejection early = http_internal::CheckPartialRequestLine(
        std::string_view(static_cast<const char*>(data.data()), data.size()));
    if (early.status != 0) {
      RespondAndClose(early.status, early.message);
      return;
    }
  }
  for (;;) {
    error_code ec;
    const size_t n = buffer_.size() == 0 ? 0 : parser_->put(buffer_.data(), ec);
    buffer_.consume(n);
    if (ec && ec != http::error::need_more) {
      HandleParseError(ec);
      return;
    }
    if (parser_->is_done()) {
      HandleRequest();
      return;
    }
    if (parser_->is_header_done() && parser_->expect_continue() && !continue_sent_) {
      WriteContinue();
      return;
    }
    if (n == 0 || buffer_.size() == 0) break;
  }
  DoRead();
}

void HttpServer::Connection::WriteContinue() {
  continue_sent_ = true;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](const error_code& ec, size_t) {
                      if (self->state_ == State::kClosed) return;
                      if (ec) {
                        self->Close();
                      } else {
                        self->Parse();
                      }
                    });
}

void HttpServer::Connection::HandleRequest() {
  state_ = State::kHandling;
  request_start_ = std::chrono::steady_clock::now();
  AssignRequestId();
  keep_alive_ = parser_->keep_alive();
  omit_body_ = request_.method() == "HEAD";
  const HttpHandler* handler = server_->router_.Match(request_, response_);
  if (handler != nullptr && request_.blocking()) {
    // The connection reads nothing until its response is written, so the pool thread is the
    // only one touching request_/response_ until it posts the write back to this worker.
    boost::asio::post(*server_->blocking_pool_, [self = shared_from_this(), handler] {
      self->RunHandler(*handler);
      boost::asio::post(self->socket_.get_executor(), [self] { self->WriteResponse(); });
    });
    return;
  }
  if (handler != nullptr) RunHandler(*handler);
  WriteResponse();
}

void HttpServer::Connection::RunHandler(const HttpHandler& handler) {
  const char* what = nullptr;
  try {
    handler(request_, response_);
    return;
  } catch (const std::exception& e) {
    spdlog::warn("handler exception route={} method={} request_id={} error={}", request_.route(),
                 request_.method(), request_.request_id(), e.what());
    what = "internal error";
  } catch (...) {
    spdlog::warn("handler exception route={} method={} request_id={} error=unknown",
                 request_.route(), request_.method(), request_.request_id());
    what = "internal error";
  }
  response_.Reset();
  SetJsonError(response_, 500, what);
}

void HttpServer::Connection::HandleParseError(const error_code& ec) {
  const http_internal::Rejection& rejection = parser_->rejection();
  if (rejection.status == 503) Bump(server_->metrics_.body_budget_refusals);
  if (rejection.status != 0) {
    RespondAndClose(rejection.status, rejection.message);
  } else if (ec == http::error::body_limit) {
    RespondAndClose(413,
                    fmt::format("request body exceeds {} bytes", server_->options_.max_body_bytes));
  } else if (ec == http::error::header_limit) {
    RespondAndClose(431, "request header too large");
  } else {
    RespondAndClose(400, fmt::format("malformed HTTP request: {}", ec.message()));
  }
}

void HttpServer::Connection::RespondAndClose(int status, std::string_view message) {
  state_ = State::kHandling;
  request_start_ = std::chrono::steady_clock::now();
  keep_alive_ = false;
  omit_body_ = false;
  if (request_.method().empty()) request_.SetMethod("-");
  if (!request_.target().empty()) request_.SetRoute(server_->router_.RouteName(request_.path()));
  AssignRequestId();
  response_.Reset();
  SetJsonError(response_, status, message);
  if (status == 503) response_.AddHeader("Retry-After", "1");
  WriteResponse();
}

void HttpServer::Connection::AssignRequestId() {
  const std::string_view given = request_.Header("X-Request-Id");
  if (SaneRequestId(given)) {
    request_.SetRequestId(given);
  } else {
    std::string id;
    GenerateRequestId(id);
    request_.SetRequestId(id);
  }
}

void HttpServer::Connection::WriteResponse() {
  if (server_->stopping_.load(std::memory_order_relaxed)) keep_alive_ = false;
  if (response_.status < 100 || response_.status > 599) {
    spdlog::warn("handler set invalid HTTP status {} route={} request_id={}", response_.status,
                 request_.route(), request_.request_id());
    response_.Reset();
    SetJsonError(response_, 500, "internal error");
  }
  const int status = response_.status;
  const bool no_content = status == 204 || status == 304 || (status >= 100 && status < 200);
  head_.clear();
  head_ += request_.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  AppendInt(head_, status);
  head_ += ' ';
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  head_.append(reason.data(), reason.size());
  head_ += "\r\nDate: ";
  head_ += HttpDate();
  if (!no_content) {
    head_ += "\r\nContent-Type: ";
    head_ += response_.content_type;
    head_ += "\r\nContent-Length: ";
    AppendInt(head_, static_cast<int64_t>(response_.body.size()));
  }
  head_ += "\r\nX-Request-Id: ";
  head_ += request_.request_id();
  for (const auto& [name, value] : response_.headers) {
    head_ += "\r\n";
    head_ += name;
    head_ += ": ";
    head_ += value;
  }
  if (!keep_alive_) {
    head_ += "\r\nConnection: close";
  } else if (request_.version() == 10) {
    head_ += "\r\nConnection: keep-alive";
  }
  head_ += "\r\n\r\n";
  const size_t body_size = (omit_body_ || no_content) ? 0 : response_.body.size();
  const std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head_), asio::buffer(response_.body.data(), body_size)};
  state_ = State::kWriting;
  asio::async_write(socket_, buffers, [self = shared_from_this()](const error_code& ec, size_t) {
    self->OnWritten(ec);
  });
}

void HttpServer::Connection::OnWritten(const error_code& ec) {
  const SteadyTime now = std::chrono::steady_clock::now();
  FinishRequest(now);
  if (state_ == State::kClosed) return;
  if (ec) {
    Close();
    return;
  }
  last_activity_ = now;
  if (server_->stopping_.load(std::memory_order_relaxed)) {
    // Draining. A response that promised keep-alive (the stop came while it was being handled)
    // may already be followed by the client's next request: answer that one too, with
    // Connection: close. Otherwise close rather than wait for the client's EOF.
    boost::system::error_code available_ec;
    const bool next_request_sent =
        keep_alive_ && (buffer_.size() > 0 || socket_.available(available_ec) > 0);
    if (next_request_sent) {
      BeginRequest();
    } else {
      Close();
    }
  } else if (keep_alive_) {
    BeginRequest();
  } else {
    Linger();
  }
}

void HttpServer::Connection::FinishRequest(SteadyTime now) {
  const int status = response_.status;
  const double seconds = Seconds(request_start_, now);
  if (status >= 500) {
    spdlog::warn("request method={} route={} status={} duration_ms={:.3f} request_id={} remote={}",
                 request_.method(), request_.route(), status, seconds * 1e3, request_.request_id(),
                 request_.remote_address());
  } else if (status >= 400) {
    spdlog::info("request method={} route={} status={} duration_ms={:.3f} request_id={} remote={}",
                 request_.method(), request_.route(), status, seconds * 1e3, request_.request_id(),
                 request_.remote_address());
  } else {
    spdlog::debug("request method={} route={} status={} duration_ms={:.3f} request_id={} remote={}",
                  request_.method(), request_.route(), status, seconds * 1e3, request_.request_id(),
                  request_.remote_address());
  }
  const auto& callback = server_->options_.on_request_done;
  if (!callback) return ReleaseBuffers();
  RequestLog log;
  log.route = request_.route();
  log.method = request_.method();
  log.status = status;
  log.duration_seconds = seconds;
  log.request_id = request_.request_id();
  try {
    callback(log);
  } catch (const std::exception& e) {
    spdlog::warn("on_request_done threw: {}", e.what());
  } catch (...) {
    spdlog::warn("on_request_done threw an unknown exception");
  }
  ReleaseBuffers();
}

void HttpServer::Connection::ReleaseBuffers() {
  body_lease_.Release();
  const auto limit = static_cast<size_t>(server_->options_.buffer_release_bytes);
  bool freed = request_.ReleaseBufferAbove(limit);
  freed = response_.ReleaseBufferAbove(limit) || freed;
  if (buffer_.capacity() > limit) {
    buffer_.shrink_to_fit();
    freed = true;
  }
  if (freed && !server_->stopping_.load(std::memory_order_relaxed))
    server_->ScheduleMemoryRelease();
}

void HttpServer::Connection::Linger() {
  // Half-close and drain what the client still sends, so that it reads our response instead of
  // a reset; the connection closes at the client's EOF, after max_body_bytes + 1 MiB, or 5 s
  // after the answer.
  state_ = State::kLingering;
  linger_start_ = std::chrono::steady_clock::now();
  lingered_bytes_ = 0;
  buffer_.consume(buffer_.size());
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    Close();
    return;
  }
  DoRead();
}

void HttpServer::Connection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_->ConnectionClosed();  // its descriptor is free now, whenever the object goes
}

}  // namespace reco
