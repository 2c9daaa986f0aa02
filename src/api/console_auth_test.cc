#include "api/console_auth.h"

#include <gtest/gtest.h>

namespace reco::api {
namespace {

std::string CookieOf(const IssuedSession& s) { return s.id; }

TEST(ConsoleSessions, LoginTradesTheTokenForASessionThatMayActWithItsCsrfToken) {
  FakeClock clock(1000 * kMicrosPerSecond);
  ConsoleSessions sessions({.credentials = {.api_key = "k3y", .reload_token = "r3load"}}, clock);
  EXPECT_TRUE(sessions.auth_required());
  EXPECT_EQ(sessions.ReadOnlyReason(), "");

  Result<IssuedSession> wrong = sessions.Login("nope", "10.0.0.1:5000");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().field(), "token");

  Result<IssuedSession> a = sessions.Login("k3y", "10.0.0.1:5000");
  Result<IssuedSession> b = sessions.Login("r3load", "10.0.0.1:5001");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->id.size(), 64u);
  EXPECT_NE(a->id, b->id);
  EXPECT_NE(a->csrf_token, a->id);

  EXPECT_TRUE(sessions.Authorize("GET", CookieOf(*a), "").ok());
  EXPECT_TRUE(sessions.Authorize("POST", CookieOf(*a), a->csrf_token).ok());
  EXPECT_EQ(sessions.Authorize("POST", CookieOf(*a), "").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(sessions.Authorize("POST", CookieOf(*a), b->csrf_token).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(sessions.Authorize("GET", "forged", "").code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(sessions.Authorize("GET", "", "").code(), StatusCode::kUnauthenticated);

  const std::string cookie = ConsoleSessions::SetCookie("reco_console_8000", *a);
  EXPECT_EQ(cookie.rfind("reco_console_8000=" + a->id + ";", 0), 0u);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);

  sessions.Logout(CookieOf(*a));
  EXPECT_FALSE(sessions.Find(CookieOf(*a)).has_value());
  EXPECT_TRUE(sessions.Find(CookieOf(*b)).has_value());
}

TEST(ConsoleSessions, SessionsExpireAndRepeatedFailuresAreRefusedForAMinute) {
  FakeClock clock(1000 * kMicrosPerSecond);
  ConsoleSessions sessions({.credentials = {.api_key = "k3y"},
                            .session_seconds = 60,
                            .max_login_failures_per_minute = 3},
                           clock);
  Result<IssuedSession> s = sessions.Login("k3y", "10.0.0.2:1");
  ASSERT_TRUE(s.ok());
  clock.Advance(61 * kMicrosPerSecond);
  EXPECT_FALSE(sessions.Find(CookieOf(*s)).has_value());

  for (int i = 0; i < 3; ++i) EXPECT_FALSE(sessions.Login("bad", "10.0.0.3:1").ok());
  // Even the right token is refused while the address is over its limit ...
  EXPECT_EQ(sessions.Login("k3y", "10.0.0.3:2").status().code(), StatusCode::kResourceExhausted);
  // ... other addresses are not affected ...
  EXPECT_TRUE(sessions.Login("k3y", "10.0.0.4:1").ok());
  // ... and a minute later it may try again.
  clock.Advance(60 * kMicrosPerSecond);
  EXPECT_TRUE(sessions.Login("k3y", "10.0.0.3:3").ok());
}

TEST(ConsoleSessions, WithoutATokenTheConsoleIsReadOnlyUnlessOpenedForActions) {
  FakeClock clock(0);
  ConsoleSessions closed({}, clock);
  EXPECT_FALSE(closed.auth_required());
  EXPECT_FALSE(closed.open_for_actions());
  EXPECT_NE(closed.ReadOnlyReason().find("--console-write"), std::string::npos);
  EXPECT_EQ(closed.Anonymous().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(closed.Login("anything", "127.0.0.1:1").status().code(),
            StatusCode::kFailedPrecondition);

  ConsoleSessions open({.write_without_token = true}, clock);
  EXPECT_TRUE(open.open_for_actions());
  Result<IssuedSession> s = open.Anonymous();
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(open.Authorize("POST", CookieOf(*s), s->csrf_token).ok());
  EXPECT_FALSE(open.Authorize("POST", CookieOf(*s), "").ok());
}

TEST(ConsoleSessions, TheCookieIsNamedByThePortAndFoundAmongOthers) {
  EXPECT_EQ(ConsoleSessions::CookieName("127.0.0.1:8000"), "reco_console_8000");
  EXPECT_EQ(ConsoleSessions::CookieName("[::1]:9000"), "reco_console_9000");
  EXPECT_EQ(ConsoleSessions::CookieName("reco.example"), "reco_console");
  EXPECT_EQ(ConsoleSessions::CookieName("[::1]"), "reco_console");
  const std::string_view name = "reco_console_8000";
  EXPECT_EQ(ConsoleSessions::SessionId("a=1; reco_console_8000=abc; b=2", name), "abc");
  EXPECT_EQ(ConsoleSessions::SessionId("reco_console_8000=xyz", name), "xyz");
  EXPECT_EQ(ConsoleSessions::SessionId("reco_console_9000=xyz; a=2", name), "");
  EXPECT_EQ(ConsoleSessions::SessionId("", name), "");
}

TEST(IsCrossOrigin, ComparesTheOriginWithTheHost) {
  EXPECT_FALSE(IsCrossOrigin("", "127.0.0.1:8000"));
  EXPECT_FALSE(IsCrossOrigin("http://127.0.0.1:8000", "127.0.0.1:8000"));
  EXPECT_TRUE(IsCrossOrigin("http://evil.example", "127.0.0.1:8000"));
  EXPECT_TRUE(IsCrossOrigin("http://127.0.0.1:9000", "127.0.0.1:8000"));
  EXPECT_TRUE(IsCrossOrigin("null", "127.0.0.1:8000"));
}

}  // namespace
}  // namespace reco::api
