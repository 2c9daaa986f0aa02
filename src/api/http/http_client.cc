#include "api/http/http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace reco {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

Result<HttpUrl> HttpUrl::Parse(std::string_view url, std::string_view field) {
  constexpr std::string_view kScheme = "http://";
  auto bad = [&](std::string_view why) {
    return InvalidArgument("URL \"" + std::string(url) + "\" " + std::string(why),
                           std::string(field));
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target = "/" + out.target;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || ptr != port.data() + port.size() || out.port <= 0 ||
        out.port > 65535) {
      return bad("has a bad port");
    }
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return bad("has no host");
  out.host = std::string(authority);
  return out;
}

Result<std::vector<std::string>> SystemHostLookup(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return Unavailable("lookup of " + host + " failed (" + gai_strerror(rc) + ")");
  std::vector<std::string> out;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = nullptr;
    if (a->ai_family == AF_INET) addr = &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr;
    if (a->ai_family == AF_INET6) addr = &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr;
    if (addr != nullptr && ::inet_ntop(a->ai_family, addr, text, sizeof(text)) != nullptr) {
      out.emplace_back(text);
    }
  }
  ::freeaddrinfo(list);
  if (out.empty()) return Unavailable("lookup of " + host + " found no address");
  return out;
}

namespace {

// What the helper thread of one lookup hands back; shared, because the waiter may leave first.
struct PendingLookup {
  std::mutex mu;
  std::condition_variable done_cv;
  std::optional<Result<std::vector<std::string>>> result;
};

}  // namespace

Result<std::vector<std::string>> LookupHost(const std::string& host, double timeout_seconds,
                                            const HostLookup& lookup) {
  boost::system::error_code not_numeric;
  asio::ip::make_address(host, not_numeric);
  if (!not_numeric) return std::vector<std::string>{host};
  auto pending = std::make_shared<PendingLookup>();
  try {
    std::thread([pending, host, lookup] {
      Result<std::vector<std::string>> r = lookup(host);
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->result.emplace(std::move(r));
      pending->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return Unavailable("lookup of " + host + ": no thread for it (" + e.what() + ")");
  }
  std::unique_lock<std::mutex> lock(pending->mu);
  auto timeout = std::chrono::duration<double>(timeout_seconds);
  if (!pending->done_cv.wait_for(lock, timeout, [&] { return pending->result.has_value(); })) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%g", timeout_seconds);
    return Unavailable("lookup of " + host + " gave no answer within " + seconds + " s");
  }
  return *std::move(pending->result);
}

Result<HttpFetchResult> HttpFetch(std::string_view method, std::string_view url,
                                  std::string_view body, const HttpHeaders& headers,
                                  double timeout_seconds) {
  RECO_ASSIGN_OR_RETURN(HttpUrl u, HttpUrl::Parse(url));
  std::string where = u.host + ":" + std::to_string(u.port);
  auto start = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> addresses = LookupHost(u.host, timeout_seconds);
  if (!addresses.ok()) {
    return Unavailable(std::string(method) + " " + std::string(url) + ": cannot reach " + where +
                       " (" + addresses.status().message() + ")");
  }
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    std::vector<asio::ip::tcp::endpoint> endpoints;
    for (const std::string& a : *addresses) {
      endpoints.emplace_back(asio::ip::make_address(a), static_cast<uint16_t>(u.port));
    }
    http::request<http::string_body> req(
        http::string_to_verb(beast::string_view(method.data(), method.size())), u.target, 11);
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "reco");
    for (const auto& [name, value] : headers) {
      req.set(beast::string_view(name.data(), name.size()),
              beast::string_view(value.data(), value.size()));
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
      req.prepare_payload();
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    // The stream's deadline bounds asynchronous operations only: connect, write and read run
    // asynchronously so that a server that accepts and never answers cannot hold the caller.
    // They get what the lookup left of the deadline.
    stream.expires_at(start +
                      std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
    beast::error_code failure;
    std::string_view failed_step;
    auto failed = [&](beast::error_code ec, std::string_view step) {
      if (!ec) return false;
      failure = ec;
      failed_step = step;
      return true;
    };
    stream.async_connect(endpoints, [&](beast::error_code ec, const auto&) {
      if (failed(ec, "connect")) return;
      http::async_write(stream, req, [&](beast::error_code write_ec, size_t) {
        if (failed(write_ec, "send")) return;
        http::async_read(stream, buffer, parser,
                         [&](beast::error_code read_ec, size_t) { failed(read_ec, "answer"); });
      });
    });
    io.run();
    if (failure) {
      return Unavailable(std::string(method) + " " + std::string(url) + ": cannot reach " + where +
                         " (" + std::string(failed_step) + ": " + failure.message() + ")");
    }
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    HttpFetchResult out;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    return out;
  } catch (const std::exception& e) {
    return Unavailable(std::string(method) + " " + std::string(url) + ": cannot reach " + where +
                       " (" + e.what() + ")");
  }
}

}  // namespace reco

namespace reco {

Result<int> HttpPostJson(const std::string& url, const std::string& body,
                         const std::string& token) {
  HttpHeaders headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  RECO_ASSIGN_OR_RETURN(HttpFetchResult result, HttpFetch("POST", url, body, headers));
  return result.status;
}

}  // namespace reco
