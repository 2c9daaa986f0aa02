// RequestParser: a Beast HTTP/1.x request parser that writes straight into a reused
// HttpRequest (no per-header allocation once the request's buffers have grown). It refuses, as
// soon as the request line or the body size is known, a method outside the standard set (501),
// a request-target longer than kMaxTargetBytes (414) and a body the in-flight budget has no room
// for (503); rejection() then holds the answer.
//
// Internal to api/http. Not thread-safe; one per request (Beast parsers are single-use), the
// HttpRequest must outlive it.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <string>

#include "api/http/body_budget.h"
#include "api/http/http_message.h"

namespace reco::http_internal {

inline constexpr size_t kMaxTargetBytes = 8 * 1024;
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;

// Why the parser stopped a well-formed request, and the answer it gets.
struct Rejection {
  int status = 0;  // 0: not rejected
  std::string message;
};

// Checks the start of a request whose request line is not complete yet, so that an unknown or
// overlong method (501) or an overlong request line (414) is refused without waiting for the rest
// of it. `head`: the bytes of the request received so far.
inline Rejection CheckPartialRequestLine(std::string_view head) {
  constexpr size_t kMaxMethodBytes = 16;
  while (head.size() >= 2 && head[0] == '\r' && head[1] == '\n') head.remove_prefix(2);
  // A complete line goes to the parser: 400 when malformed, 501/414 from on_request_impl.
  if (head.find('\n') != std::string_view::npos) return {};
  const size_t space = head.substr(0, kMaxMethodBytes + 1).find(' ');
  if (space == std::string_view::npos ? head.size() > kMaxMethodBytes
                                      : !IsStandardMethod(head.substr(0, space))) {
    return {501, "method not implemented"};
  }
  if (head.size() > kMaxTargetBytes + 64) {
    return {414, "request target longer than " + std::to_string(kMaxTargetBytes) + " bytes"};
  }
  return {};
}

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  // `lease` (optional) takes the body's bytes from the server's in-flight budget.
  RequestParser(HttpRequest& request, uint64_t body_limit, BodyLease* lease = nullptr)
      : request_(request), lease_(lease) {
    this->body_limit(body_limit);
    this->header_limit(kMaxHeaderBytes);
    this->eager(true);
  }

  // True when the client sent `Expect: 100-continue`.
  bool expect_continue() const { return expect_continue_; }
  // Set when put() failed because the request was refused rather than malformed.
  const Rejection& rejection() const { return rejection_; }
  // True once the request line was parsed (Beast parses it before the rest of the header).
  bool got_request_line() const { return got_request_line_; }

 private:
  static std::string_view View(string_view s) { return std::string_view(s.data(), s.size()); }

  void Reject(int status, std::string message, error_code& ec) {
    rejection_.status = status;
    rejection_.message = std::move(message);
    ec = boost::beast::http::error::bad_method;  // any error: rejection_ says what to answer
  }

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code& ec) override {
    got_request_line_ = true;
    request_.SetVersion(version);
    if (!IsStandardMethod(View(method))) {
      request_.SetMethod(View(method).substr(0, 32));
      return Reject(501, "method not implemented", ec);
    }
    request_.SetMethod(View(method));
    if (target.size() > kMaxTargetBytes) {
      return Reject(414, "request target longer than " + std::to_string(kMaxTargetBytes) + " bytes",
                    ec);
    }
    request_.SetTarget(View(target));
  }

  void RejectBusy(error_code& ec) {
    Reject(503, "too many request bodies in flight; retry later", ec);
  }

  void on_response_impl(int, string_view, int, error_code& ec) override {
    ec = boost::beast::http::error::bad_method;
  }

  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code&) override {
    if (name == boost::beast::http::field::expect && boost::beast::iequals(value, "100-continue")) {
      expect_continue_ = true;
    }
    request_.AddHeader(View(name_string), View(value));
  }

  void on_header_impl(error_code&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override {
    if (!content_length) return;
    if (lease_ != nullptr && !lease_->Grow(static_cast<int64_t>(*content_length))) {
      return RejectBusy(ec);
    }
    request_.mutable_body().reserve(*content_length + kBodyPadding);
  }

  std::size_t on_body_impl(string_view body, error_code&) override {
    request_.mutable_body().append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t size, string_view, error_code& ec) override {
    if (lease_ != nullptr && !lease_->Grow(static_cast<int64_t>(size))) RejectBusy(ec);
  }

  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    request_.mutable_body().append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(error_code&) override { request_.PadBody(); }

  HttpRequest& request_;
  BodyLease* lease_;
  Rejection rejection_;
  bool got_request_line_ = false;
  bool expect_continue_ = false;
};

}  // namespace reco::http_internal
