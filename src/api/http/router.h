// Router: maps (method, path) to a handler. Patterns are literal segments and `{name}`
// parameters, e.g. "/api/user/{user_id}/feedback/{feedback_type}"; each parameter matches one
// non-empty segment, percent-decoded after splitting ("%2F" stays inside the segment). A path with
// one trailing slash matches the pattern without it. Where several patterns match, the one with a
// literal segment at the first position where they differ wins. HEAD falls back to GET.
//
// Thread-safety: Add() before the server starts; Match() is const and safe from many threads.
// Lifetime: route names (the patterns) returned through HttpRequest::route() live as long as the
// Router.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http/http_message.h"

namespace reco {

// Handlers report errors by filling the response (SetStatusError); an exception thrown by a
// handler becomes a 500 JSON error at the server.
using HttpHandler = std::function<void(HttpRequest&, HttpResponse&)>;

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Registers `handler` for `method` ("GET", "POST", ...) on `pattern`. An invalid pattern
  // (not starting with '/', a '{' that is not a whole segment, a repeated parameter name) or a
  // duplicate (method, pattern) is a programming error and aborts with a message.
  // `blocking`: the handler may wait (e.g. on a store write); the server runs it on its
  // blocking pool so that the worker thread keeps serving other connections meanwhile.
  void Add(std::string_view method, std::string_view pattern, HttpHandler handler,
           bool blocking = false);

  // Finds the handler for request.method() and request.path(), sets request.route() and the
  // path parameters. Returns nullptr when there is none, with `response` already holding the
  // JSON error: 404 naming the path, 405 with an Allow header, or 400 for a malformed escape.
  const HttpHandler* Match(HttpRequest& request, HttpResponse& response) const;

  // The route name for `path` regardless of method (kUnmatchedRoute when none); for labelling
  // requests rejected before routing (e.g. 413).
  std::string_view RouteName(std::string_view path) const;

  // One registered (method, pattern), in registration order.
  struct RouteEntry {
    std::string method;
    std::string pattern;
    bool blocking = false;
  };
  std::vector<RouteEntry> Routes() const;

  // The handler registered for exactly `method` and `pattern` (HEAD falls back to GET); null when
  // there is none. For a front router that hands a matched request on to another router's
  // handler of the same route (the tenants of `reco serve`).
  const HttpHandler* Find(std::string_view method, std::string_view pattern) const;

 private:
  struct Pattern;
  static constexpr size_t kMaxSegments = 32;

  // Splits `path` into `segments`; returns the count, or kMaxSegments + 1 when it can't match.
  static size_t Split(std::string_view path, std::string_view* segments);
  static bool Matches(const Pattern& pattern, const std::string_view* segments);

  std::vector<std::unique_ptr<Pattern>> patterns_;
  std::vector<std::vector<const Pattern*>> by_count_;  // by segment count, most specific first
};

}  // namespace reco
