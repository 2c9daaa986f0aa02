// RequestParser: a Beast HTTP/1.x request parser that writes straight into a reused
// HttpRequest (no per-header allocation once the request's buffers have grown).
//
// Internal to api/http. Not thread-safe; one per request (Beast parsers are single-use), the
// HttpRequest must outlive it.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>

#include "api/http/http_message.h"

namespace reco::http_internal {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  RequestParser(HttpRequest& request, uint64_t body_limit) : request_(request) {
    this->body_limit(body_limit);
    this->header_limit(16 * 1024);
    this->eager(true);
  }

  // True when the client sent `Expect: 100-continue`.
  bool expect_continue() const { return expect_continue_; }

 private:
  static std::string_view View(string_view s) { return std::string_view(s.data(), s.size()); }

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override {
    request_.SetMethod(View(method));
    request_.SetTarget(View(target));
    request_.SetVersion(version);
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
                         error_code&) override {
    if (content_length) request_.mutable_body().reserve(*content_length + kBodyPadding);
  }

  std::size_t on_body_impl(string_view body, error_code&) override {
    request_.mutable_body().append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    request_.mutable_body().append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(error_code&) override { request_.PadBody(); }

  HttpRequest& request_;
  bool expect_continue_ = false;
};

}  // namespace reco::http_internal
