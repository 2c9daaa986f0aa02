#include "api/console_auth.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

#include "core/secure_compare.h"

namespace reco::api {
namespace {

// 32 bytes from the operating system's random source, as 64 hex digits.
std::string RandomToken() {
  std::random_device device;
  std::string out;
  out.reserve(64);
  for (int i = 0; i < 8; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(device()));
    out += buf;
  }
  return out;
}

// "ip" of "ip:port" / "[ip]:port".
std::string_view AddressOnly(std::string_view remote_address) {
  const size_t colon = remote_address.rfind(':');
  return colon == std::string_view::npos ? remote_address : remote_address.substr(0, colon);
}

bool IsRead(std::string_view method) { return method == "GET" || method == "HEAD"; }

}  // namespace

ConsoleSessions::ConsoleSessions(ConsoleAuthOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

bool ConsoleSessions::auth_required() const {
  return !options_.credentials.api_key.empty() || !options_.credentials.reload_token.empty();
}

std::string ConsoleSessions::ReadOnlyReason() const {
  if (auth_required() || options_.write_without_token) return "";
  return "no admin token is configured (server.api_key or MODEL_RELOAD_TOKEN): the console is "
         "read-only; configure a token, or start reco serve with --console-write";
}

bool ConsoleSessions::TokenMatches(std::string_view token) const {
  const AdminCredentials& c = options_.credentials;
  // Both are compared every time: the time taken does not tell which one matched.
  const bool by_key = !c.api_key.empty() && ConstantTimeEquals(token, c.api_key);
  const bool by_reload = !c.reload_token.empty() && ConstantTimeEquals(token, c.reload_token);
  return by_key || by_reload;
}

IssuedSession ConsoleSessions::Issue(bool can_act) {
  const TimestampUs now = clock_.NowMicros();
  IssuedSession issued{RandomToken(), RandomToken(), options_.session_seconds};
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (sessions_.size() >= options_.max_sessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a,
                                                                           const auto& b) {
      return a.second.expires < b.second.expires;
    });
    sessions_.erase(oldest);
  }
  sessions_[issued.id] = ConsoleSession{
      issued.csrf_token, can_act,
      now + static_cast<TimestampUs>(options_.session_seconds * kMicrosPerSecond)};
  return issued;
}

Result<IssuedSession> ConsoleSessions::Login(std::string_view token,
                                             std::string_view remote_address) {
  if (!auth_required()) {
    return FailedPrecondition("no admin token is configured: there is nothing to log in with");
  }
  const std::string address(AddressOnly(remote_address));
  const TimestampUs now = clock_.NowMicros();
  {
    std::lock_guard<std::mutex> lock(mu_);
    Failures& f = failures_[address];
    if (now - f.window_start >= 60 * kMicrosPerSecond) f = Failures{0, now};
    if (f.count >= options_.max_login_failures_per_minute) {
      return ResourceExhausted("too many failed logins from this address; try again in a minute");
    }
  }
  if (token.empty()) return InvalidArgument("token is required", "token");
  if (!TokenMatches(token)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failures_.size() > 10000) failures_.clear();  // bounded under a flood of addresses
    ++failures_[address].count;
    return Status(StatusCode::kUnauthenticated, "wrong admin token", "token");
  }
  return Issue(/*can_act=*/true);
}

Result<IssuedSession> ConsoleSessions::Anonymous() {
  if (!open_for_actions()) {
    return FailedPrecondition("the console hands out sessions without a login only when no "
                              "admin token is configured and reco serve runs with "
                              "--console-write");
  }
  return Issue(/*can_act=*/true);
}

void ConsoleSessions::Logout(std::string_view id) {
  if (id.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(std::string(id));
}

std::optional<ConsoleSession> ConsoleSessions::Find(std::string_view id) const {
  if (id.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second.expires <= clock_.NowMicros()) return std::nullopt;
  return it->second;
}

Status ConsoleSessions::Authorize(std::string_view method, std::string_view session_id,
                                  std::string_view csrf_header) const {
  std::optional<ConsoleSession> session = Find(session_id);
  if (!session) {
    return Status(StatusCode::kUnauthenticated,
                  "the console session is missing or expired: log in again", "Cookie");
  }
  if (IsRead(method)) return Status::Ok();
  if (!session->can_act) {
    return Status(StatusCode::kPermissionDenied, "this console session is read-only");
  }
  if (csrf_header.empty() || !ConstantTimeEquals(csrf_header, session->csrf_token)) {
    return Status(StatusCode::kPermissionDenied,
                  "missing or wrong X-CSRF-Token header for this console session",
                  "X-CSRF-Token");
  }
  return Status::Ok();
}

std::string ConsoleSessions::CookieName(std::string_view host_header) {
  std::string name(kConsoleCookiePrefix);
  const size_t colon = host_header.rfind(':');
  if (colon == std::string_view::npos || host_header.find(']', colon) != std::string_view::npos) {
    return name;
  }
  std::string_view port = host_header.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return name;
  }
  return name + "_" + std::string(port);
}

std::string ConsoleSessions::SetCookie(std::string_view cookie_name, const IssuedSession& session) {
  return std::string(cookie_name) + "=" + session.id +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(static_cast<int64_t>(session.max_age_seconds));
}

std::string ConsoleSessions::ClearCookie(std::string_view cookie_name) {
  return std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::string_view ConsoleSessions::SessionId(std::string_view cookie_header,
                                           std::string_view cookie_name) {
  // "a=1; reco_console=...; b=2"
  size_t pos = 0;
  while (pos < cookie_header.size()) {
    while (pos < cookie_header.size() && (cookie_header[pos] == ' ' || cookie_header[pos] == ';')) {
      ++pos;
    }
    size_t end = cookie_header.find(';', pos);
    if (end == std::string_view::npos) end = cookie_header.size();
    std::string_view pair = cookie_header.substr(pos, end - pos);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == cookie_name) {
      return pair.substr(eq + 1);
    }
    pos = end;
  }
  return {};
}

bool IsCrossOrigin(std::string_view origin_header, std::string_view host_header) {
  if (origin_header.empty()) return false;
  const size_t scheme_end = origin_header.find("://");
  if (scheme_end == std::string_view::npos) return true;  // "null" and other opaque origins
  return origin_header.substr(scheme_end + 3) != host_header;
}

}  // namespace reco::api
