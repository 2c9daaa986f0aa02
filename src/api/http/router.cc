#include "api/http/router.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace reco {
namespace {

[[noreturn]] void Fatal(const std::string& message) {
  fmt::print(stderr, "router: {}\n", message);
  std::abort();
}

struct Segment {
  bool is_param = false;
  std::string text;  // the literal, or the parameter name
};

// Literal segments order before parameters; the first difference decides.
template <typename P>
bool MoreSpecific(const P* a, const P* b) {
  for (size_t i = 0; i < a->segments.size(); ++i) {
    const Segment& x = a->segments[i];
    const Segment& y = b->segments[i];
    if (x.is_param != y.is_param) return !x.is_param;
  }
  return false;
}

}  // namespace

struct Router::Pattern {
  std::string text;
  std::vector<Segment> segments;
  struct MethodRoute {
    std::string method;
    HttpHandler handler;
    bool blocking = false;
  };
  std::vector<MethodRoute> methods;

  const MethodRoute* Find(std::string_view method) const {
    for (const auto& r : methods) {
      if (r.method == method) return &r;
    }
    return nullptr;
  }
};

Router::Router() = default;
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(std::string_view method, std::string_view pattern, HttpHandler handler,
                 bool blocking) {
  if (pattern.empty() || pattern[0] != '/') Fatal(fmt::format("bad pattern '{}'", pattern));
  if (method.empty()) Fatal(fmt::format("empty method for '{}'", pattern));
  std::string_view normalized = pattern;
  if (normalized.size() > 1 && normalized.back() == '/') normalized.remove_suffix(1);

  std::vector<Segment> segments;
  std::string_view rest = normalized.substr(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    Segment s;
    if (seg.size() >= 3 && seg.front() == '{' && seg.back() == '}') {
      s.is_param = true;
      s.text = std::string(seg.substr(1, seg.size() - 2));
      for (const Segment& other : segments) {
        if (other.is_param && other.text == s.text) {
          Fatal(fmt::format("parameter '{}' repeated in '{}'", s.text, pattern));
        }
      }
    } else {
      s.text = std::string(seg);
    }
    if (seg.empty() || s.text.find_first_of("{}") != std::string::npos) {
      Fatal(fmt::format("bad segment '{}' in pattern '{}'", seg, pattern));
    }
    segments.push_back(std::move(s));
  }
  if (segments.size() > kMaxSegments) Fatal(fmt::format("too many segments in '{}'", pattern));

  for (auto& p : patterns_) {
    if (p->text != normalized) continue;
    if (p->Find(method) != nullptr) {
      Fatal(fmt::format("route {} {} registered twice", method, pattern));
    }
    p->methods.push_back({std::string(method), std::move(handler), blocking});
    return;
  }
  auto p = std::make_unique<Pattern>();
  p->text = std::string(normalized);
  p->segments = std::move(segments);
  p->methods.push_back({std::string(method), std::move(handler), blocking});
  const size_t count = p->segments.size();
  if (by_count_.size() <= count) by_count_.resize(count + 1);
  auto& list = by_count_[count];
  list.push_back(p.get());
  std::stable_sort(list.begin(), list.end(), MoreSpecific<Pattern>);
  patterns_.push_back(std::move(p));
}

size_t Router::Split(std::string_view path, std::string_view* segments) {
  if (path.empty() || path[0] != '/') return kMaxSegments + 1;
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t n = 0;
  if (rest.empty()) return 0;
  for (;;) {
    if (n == kMaxSegments) return kMaxSegments + 1;
    const size_t slash = rest.find('/');
    segments[n++] = rest.substr(0, slash);
    if (slash == std::string_view::npos) return n;
    rest.remove_prefix(slash + 1);
  }
}

bool Router::Matches(const Pattern& pattern, const std::string_view* segments) {
  std::string decoded;
  for (size_t i = 0; i < pattern.segments.size(); ++i) {
    const Segment& s = pattern.segments[i];
    const std::string_view seg = segments[i];
    if (seg.empty()) return false;
    if (s.is_param || seg == s.text) continue;
    if (seg.find('%') == std::string_view::npos) return false;
    if (!PercentDecode(seg, decoded, false) || decoded != s.text) return false;
  }
  return true;
}

const HttpHandler* Router::Match(HttpRequest& request, HttpResponse& response) const {
  std::string_view segments[kMaxSegments];
  const std::string_view path = request.path();
  const size_t count = Split(path, segments);
  request.SetRoute(kUnmatchedRoute);
  request.ClearParams();
  const Pattern* allowed_by = nullptr;
  std::string allow;
  if (count < by_count_.size()) {
    const std::string_view method = request.method();
    for (const Pattern* p : by_count_[count]) {
      if (!Matches(*p, segments)) continue;
      const Pattern::MethodRoute* h = p->Find(method);
      if (h == nullptr && method == "HEAD") h = p->Find("GET");
      if (h != nullptr) {
        request.SetRoute(p->text);
        request.SetBlocking(h->blocking);
        for (size_t i = 0; i < p->segments.size(); ++i) {
          if (!p->segments[i].is_param) continue;
          if (!request.AddEncodedParam(p->segments[i].text, segments[i])) {
            SetJsonError(response, 400, "malformed percent-encoding in path", p->segments[i].text);
            return nullptr;
          }
        }
        return &h->handler;
      }
      if (allowed_by == nullptr) allowed_by = p;
      for (const auto& route : p->methods) {
        const std::string& m = route.method;
        if (allow.find(m) != std::string::npos) continue;
        if (!allow.empty()) allow += ", ";
        allow += m;
        if (m == "GET" && p->Find("HEAD") == nullptr) allow += ", HEAD";
      }
    }
  }
  const std::string_view shown = path.substr(0, 256);
  if (allowed_by != nullptr) {
    request.SetRoute(allowed_by->text);
    SetJsonError(response, 405,
                 fmt::format("method {} not allowed on {}", request.method().substr(0, 32), shown));
    response.AddHeader("Allow", allow);
    return nullptr;
  }
  SetJsonError(response, 404,
               fmt::format("no route for {} {}", request.method().substr(0, 32), shown));
  return nullptr;
}

std::vector<Router::RouteEntry> Router::Routes() const {
  std::vector<RouteEntry> out;
  for (const auto& p : patterns_) {
    for (const auto& m : p->methods) out.push_back({m.method, p->text, m.blocking});
  }
  return out;
}

const HttpHandler* Router::Find(std::string_view method, std::string_view pattern) const {
  for (const auto& p : patterns_) {
    if (p->text != pattern) continue;
    const Pattern::MethodRoute* h = p->Find(method);
    if (h == nullptr && method == "HEAD") h = p->Find("GET");
    return h == nullptr ? nullptr : &h->handler;
  }
  return nullptr;
}

std::string_view Router::RouteName(std::string_view path) const {
  std::string_view segments[kMaxSegments];
  const size_t count = Split(path, segments);
  if (count >= by_count_.size()) return kUnmatchedRoute;
  for (const Pattern* p : by_count_[count]) {
    if (Matches(*p, segments)) return p->text;
  }
  return kUnmatchedRoute;
}

}  // namespace reco
