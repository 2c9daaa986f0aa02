// ConsoleSessions: who may use the admin console (/console) and the routes it calls from the
// browser. The browser never keeps the admin token: a login trades it for a session held in an
// HttpOnly, SameSite=Strict cookie, and every state-changing call also carries the session's
// CSRF token in the X-CSRF-Token header (a page of another site can neither read it nor make
// the browser send the cookie).
//
//   admin token configured (server.api_key or MODEL_RELOAD_TOKEN): login required; a session
//     may read and act.
//   no token, console.write_without_token (reco serve --console-write): an anonymous session
//     that may act is handed out by GET /console/api/session.
//   no token otherwise: the console is read-only (no session may act).
//
// Thread-safety: every method is safe from any number of request threads (one mutex).
// Lifetime: borrows the Clock.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/admin_auth.h"
#include "core/status.h"
#include "core/time.h"

namespace reco::api {

// The session cookie is "reco_console_<port>": browsers share cookies among the ports of a
// host, and two servers on one host must not end each other's sessions.
inline constexpr std::string_view kConsoleCookiePrefix = "reco_console";

struct ConsoleAuthOptions {
  AdminCredentials credentials;
  bool write_without_token = false;
  double session_seconds = 12 * 3600;
  size_t max_sessions = 1000;              // the oldest session is dropped beyond
  int max_login_failures_per_minute = 10;  // per client address; then 429 until the minute ends
};

// A session a request presented.
struct ConsoleSession {
  std::string csrf_token;
  bool can_act = false;
  TimestampUs expires = 0;
};

// A new session: the cookie's value and the CSRF token the page sends back.
struct IssuedSession {
  std::string id;
  std::string csrf_token;
  double max_age_seconds = 0;
};

class ConsoleSessions {
 public:
  ConsoleSessions(ConsoleAuthOptions options, const Clock& clock);

  // An admin token is configured: the console asks for a login.
  bool auth_required() const;
  // Sessions may act without a login (no token configured, --console-write).
  bool open_for_actions() const { return !auth_required() && options_.write_without_token; }
  // Why the console cannot act without a login; "" when it can.
  std::string ReadOnlyReason() const;

  // Trades the admin token (either configured credential) for a session that may act.
  // Unauthenticated naming the field "token" when it is wrong; ResourceExhausted after too many
  // failures from `remote_address` within a minute; FailedPrecondition when no token is
  // configured.
  Result<IssuedSession> Login(std::string_view token, std::string_view remote_address);
  // A session that may act without a login (open_for_actions() only; FailedPrecondition
  // otherwise).
  Result<IssuedSession> Anonymous();
  void Logout(std::string_view session_id);

  // The live session `session_id`; nullopt when none (empty, unknown, expired).
  std::optional<ConsoleSession> Find(std::string_view session_id) const;
  // Ok when a request that presents only its console session may call a route with `method`:
  // reads need a live session; any other method a session that may act and `csrf_header`
  // equal to its CSRF token. Unauthenticated / PermissionDenied otherwise.
  Status Authorize(std::string_view method, std::string_view session_id,
                   std::string_view csrf_header) const;

  // The cookie's name for a request's Host header ("reco_console_8000").
  static std::string CookieName(std::string_view host_header);
  // Set-Cookie values that start and end a session.
  static std::string SetCookie(std::string_view cookie_name, const IssuedSession& session);
  static std::string ClearCookie(std::string_view cookie_name);
  // The value of cookie `cookie_name` in a Cookie header ("" when absent).
  static std::string_view SessionId(std::string_view cookie_header, std::string_view cookie_name);

 private:
  IssuedSession Issue(bool can_act);
  bool TokenMatches(std::string_view token) const;

  const ConsoleAuthOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, ConsoleSession> sessions_;
  struct Failures {
    int count = 0;
    TimestampUs window_start = 0;
  };
  std::unordered_map<std::string, Failures> failures_;  // by client address (no port)
};

// True when a request is not from a page of this server: its Origin header names another
// scheme, host or port than its Host header. Requests without Origin (command-line clients)
// are not cross-origin.
bool IsCrossOrigin(std::string_view origin_header, std::string_view host_header);

}  // namespace reco::api
