// The admin console's routes: its files (/console, /console/assets/{name}), compiled into the
// binary (console/console_assets.h), served with a strict Content-Security-Policy: the pages
// load only their own script and style and talk only to this server. Its session routes
// (/console/api/session, /console/login, /console/logout; api/console_auth.h) and the metrics
// history its charts draw (/api/v1/metrics/history).
#include <spdlog/spdlog.h>

#include <cmath>

#include "api/api_service.h"
#include "api/json_body.h"
#include "api/params.h"
#include "console/console_assets.h"
#include "core/json_writer.h"
#include "core/version.h"

namespace reco::api {
namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void WriteAsset(const HttpRequest& req, HttpResponse& res, const console::Asset& asset) {
  res.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("X-Frame-Options", "DENY");
  // Revalidated on every load: a new binary serves new files at once.
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("ETag", std::string(asset.etag));
  if (req.Header("If-None-Match") == asset.etag) {
    res.status = 304;
    res.content_type.clear();
    return;
  }
  res.content_type = std::string(asset.content_type);
  res.body.assign(asset.body);
}

// {"token": "..."} of POST /console/login.
Result<std::string> ParseLoginBody(std::string_view body) {
  std::string token;
  RECO_RETURN_IF_ERROR(ForEachBodyField(
      body, "{\"token\": \"<admin token>\"}",
      [&token](std::string_view key, simdjson::dom::element value) -> Status {
        if (key != "token") return UnknownField(key, "token");
        RECO_ASSIGN_OR_RETURN(token, StringField(value, "token"));
        return Status::Ok();
      }));
  return token;
}

void WriteSession(HttpResponse& res, const ConsoleSessions& console, bool logged_in,
                  const ConsoleSession* session) {
  const bool can_act = session != nullptr && session->can_act;
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("auth_required").Bool(console.auth_required());
  w.Key("logged_in").Bool(logged_in).Key("can_act").Bool(can_act);
  w.Key("read_only_reason").String(can_act ? "" : console.ReadOnlyReason());
  w.Key("csrf_token").String(can_act ? session->csrf_token : "");
  w.Key("server_version").String(RecoVersion()).EndObject();
  res.body = w.Take();
  res.headers.emplace_back("Cache-Control", "no-store");
}

// A number or null.
void WriteOptional(JsonWriter& w, std::string_view key, const std::optional<double>& v) {
  w.Key(key);
  if (v && std::isfinite(*v)) {
    w.Double(*v);
  } else {
    w.Null();
  }
}

void WriteHistory(HttpResponse& res, const MetricsHistory& history,
                  const std::vector<HistoryPoint>& points) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("interval_seconds").Double(history.options().interval_seconds);
  w.Key("retention_seconds").Double(history.options().retention_seconds);
  w.Key("points").BeginArray();
  for (const HistoryPoint& p : points) {
    w.BeginObject().Key("t").Double(static_cast<double>(p.t) / kMicrosPerSecond);
    w.Key("seconds").Double(p.seconds);
    w.Key("requests_per_second").Double(p.requests_per_second);
    w.Key("errors_per_second").Double(p.errors_per_second);
    WriteOptional(w, "error_ratio", p.error_ratio);
    WriteOptional(w, "recommend_p50_seconds", p.recommend_p50_seconds);
    WriteOptional(w, "recommend_p99_seconds", p.recommend_p99_seconds);
    w.Key("recommendations_per_second").Double(p.recommendations_per_second);
    WriteOptional(w, "degraded_ratio", p.degraded_ratio);
    w.Key("feedback_per_second").Double(p.feedback_per_second).EndObject();
  }
  w.EndArray().EndObject();
  res.body = w.Take();
}

}  // namespace

void ApiService::AddConsoleRoutes(Router& r) {
  AddMetricsHistoryRoute(r);
  if (console_ == nullptr) return;  // console.enabled = false
  AddConsoleSessionRoutes(r);
  auto index = [](HttpRequest& req, HttpResponse& res) {
    const console::Asset* asset = console::FindAsset("index.html");
    if (asset == nullptr) return SetJsonError(res, 404, "the console has no index.html", "");
    WriteAsset(req, res, *asset);
  };
  // The router answers "/console/" with this route too.
  Add(r,
      {.method = "GET",
       .pattern = "/console",
       .summary = "The admin console (a page of this server; works offline).",
       .tag = "console",
       .response_schema = "html",
       .needs_api_key = false},
      index);
  Add(r,
      {.method = "GET",
       .pattern = "/console/assets/{name}",
       .summary = "A file of the admin console (script, style, image).",
       .tag = "console",
       .response_schema = "file",
       .needs_api_key = false},
      [](HttpRequest& req, HttpResponse& res) {
        const console::Asset* asset = console::FindAsset(req.Param("name"));
        if (asset == nullptr || asset->name == "index.html") {
          return SetJsonError(res, 404, "no console file named that", "name");
        }
        WriteAsset(req, res, *asset);
      });
}

void ApiService::AddConsoleSessionRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/console/api/session",
       .summary = "What the console may do: login required, logged in, may act, the CSRF token "
                  "to send as X-CSRF-Token.",
       .tag = "console",
       .response_schema = "object",
       .needs_api_key = false},
      [this](HttpRequest& req, HttpResponse& res) {
        std::optional<ConsoleSession> session = console_->Find(ConsoleSessionId(req));
        if (!session && console_->open_for_actions()) {
          Result<IssuedSession> issued = console_->Anonymous();
          if (!issued.ok()) return SetStatusError(res, issued.status());
          res.headers.emplace_back(
              "Set-Cookie",
              ConsoleSessions::SetCookie(ConsoleSessions::CookieName(req.Header("Host")), *issued));
          session = console_->Find(issued->id);
        }
        WriteSession(res, *console_, console_->auth_required() && session.has_value(),
                     session ? &*session : nullptr);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/console/login",
       .summary = "Trades the admin token for a console session (an HttpOnly, SameSite=Strict "
                  "cookie).",
       .tag = "console",
       .request_schema = "object",
       .response_schema = "object",
       .needs_api_key = false},
      [this](HttpRequest& req, HttpResponse& res) {
        if (IsCrossOrigin(req.Header("Origin"), req.Header("Host"))) {
          return SetJsonError(res, 403, "login from a page of another origin", "Origin");
        }
        Result<std::string> token = ParseLoginBody(req.body());
        if (!token.ok()) return SetStatusError(res, token.status());
        Result<IssuedSession> issued = console_->Login(*token, req.remote_address());
        if (!issued.ok()) {
          spdlog::warn("event=console_login_failed remote={} reason=\"{}\"", req.remote_address(),
                       issued.status().message());
          return SetStatusError(res, issued.status());
        }
        spdlog::info("event=console_login remote={}", req.remote_address());
        res.headers.emplace_back(
            "Set-Cookie",
            ConsoleSessions::SetCookie(ConsoleSessions::CookieName(req.Header("Host")), *issued));
        std::optional<ConsoleSession> session = console_->Find(issued->id);
        WriteSession(res, *console_, true, session ? &*session : nullptr);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/console/logout",
       .summary = "Ends the console session (needs its X-CSRF-Token).",
       .tag = "console",
       .response_schema = "object",
       .needs_api_key = false},
      [this](HttpRequest& req, HttpResponse& res) {
        const std::string_view id = ConsoleSessionId(req);
        Status allowed = console_->Authorize("POST", id, req.Header("X-CSRF-Token"));
        if (!allowed.ok()) return SetStatusError(res, allowed);
        console_->Logout(id);
        res.headers.emplace_back(
            "Set-Cookie", ConsoleSessions::ClearCookie(ConsoleSessions::CookieName(req.Header("Host"))));
        res.body = R"({"logged_in":false})";
      });
}

void ApiService::AddMetricsHistoryRoute(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/metrics/history",
       .summary = "The last hours of request rate, errors, recommendation latency, degraded "
                  "answers and feedback rate, sampled in process (the console's charts).",
       .tag = "operators",
       .query = {{"minutes", "the window, 1..1440 (default 60)"},
                 {"points", "at most this many points, 1..2000 (default 360)"}},
       .response_schema = "object"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (d_.history == nullptr) {
          return SetJsonError(res, 503, "this server keeps no metrics history", "");
        }
        Result<int> minutes = IntParam(req, "minutes", 60, 1, 1440);
        if (!minutes.ok()) return SetStatusError(res, minutes.status());
        Result<int> points = IntParam(req, "points", 360, 1, 2000);
        if (!points.ok()) return SetStatusError(res, points.status());
        WriteHistory(res, *d_.history,
                     d_.history->Points(*minutes * 60.0, static_cast<size_t>(*points)));
      });
}

}  // namespace reco::api
