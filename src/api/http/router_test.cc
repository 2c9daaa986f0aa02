#include "api/http/router.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

// Registers a handler that writes `name` into the body.
void AddNamed(Router& router, std::string_view method, std::string_view pattern) {
  std::string name = std::string(method) + " " + std::string(pattern);
  router.Add(method, pattern, [name](HttpRequest&, HttpResponse& resp) { resp.body = name; });
}

struct Outcome {
  int status;
  std::string body;  // the handler's name when matched, the error body otherwise
  std::string route;
  HttpRequest request;
};

Outcome Dispatch(const Router& router, std::string_view method, std::string_view target) {
  Outcome out;
  out.request.SetMethod(method);
  out.request.SetTarget(target);
  HttpResponse resp;
  const HttpHandler* h = router.Match(out.request, resp);
  if (h != nullptr) (*h)(out.request, resp);
  out.status = resp.status;
  out.body = resp.body;
  out.route = std::string(out.request.route());
  return out;
}

Router GorseLikeRouter() {
  Router r;
  AddNamed(r, "GET", "/api/users");
  AddNamed(r, "GET", "/api/user/{user_id}");
  AddNamed(r, "DELETE", "/api/user/{user_id}");
  AddNamed(r, "GET", "/api/user/export");
  AddNamed(r, "POST", "/api/feedback");
  AddNamed(r, "GET", "/api/feedback/{type}");
  AddNamed(r, "GET", "/api/feedback/{user}/{item}");
  AddNamed(r, "GET", "/api/user/{user_id}/feedback/{feedback_type}");
  AddNamed(r, "GET", "/api/recommend/{user_id}");
  AddNamed(r, "GET", "/api/recommend/{user_id}/{category}");
  AddNamed(r, "GET", "/");
  return r;
}

TEST(Router, MatchesParamsAndDecodesThemAfterSplitting) {
  const Router r = GorseLikeRouter();
  Outcome o = Dispatch(r, "GET", "/api/user/a%2Fb%20c/feedback/like?x=1");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.body, "GET /api/user/{user_id}/feedback/{feedback_type}");
  EXPECT_EQ(o.route, "/api/user/{user_id}/feedback/{feedback_type}");
  EXPECT_EQ(o.request.Param("user_id"), "a/b c");
  EXPECT_EQ(o.request.Param("feedback_type"), "like");
  EXPECT_EQ(o.request.Param("nope"), "");
}

TEST(Router, DistinguishesBySegmentCountAndPrefersLiterals) {
  const Router r = GorseLikeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/api/feedback/like").body, "GET /api/feedback/{type}");
  EXPECT_EQ(Dispatch(r, "GET", "/api/feedback/u1/i1").body, "GET /api/feedback/{user}/{item}");
  EXPECT_EQ(Dispatch(r, "GET", "/api/users").body, "GET /api/users");
  EXPECT_EQ(Dispatch(r, "GET", "/api/user/export").body, "GET /api/user/export");
  EXPECT_EQ(Dispatch(r, "GET", "/api/user/u9").body, "GET /api/user/{user_id}");
  EXPECT_EQ(Dispatch(r, "GET", "/").body, "GET /");
}

TEST(Router, LiteralWithoutMethodFallsBackToParamPattern) {
  const Router r = GorseLikeRouter();
  const Outcome o = Dispatch(r, "DELETE", "/api/user/export");
  EXPECT_EQ(o.body, "DELETE /api/user/{user_id}");
  EXPECT_EQ(o.request.Param("user_id"), "export");
}

TEST(Router, OneTrailingSlashMatchesPatternWithoutIt) {
  const Router r = GorseLikeRouter();
  const Outcome o = Dispatch(r, "GET", "/api/recommend/u1/");
  EXPECT_EQ(o.body, "GET /api/recommend/{user_id}");
  EXPECT_EQ(o.request.Param("user_id"), "u1");
  EXPECT_EQ(Dispatch(r, "GET", "/api/recommend/u1/books").body,
            "GET /api/recommend/{user_id}/{category}");
  EXPECT_EQ(Dispatch(r, "GET", "/api/recommend/u1//").status, 404);
  EXPECT_EQ(Dispatch(r, "GET", "/api//u1").status, 404);
}

TEST(Router, UnknownPathIs404NamingThePath) {
  const Router r = GorseLikeRouter();
  const Outcome o = Dispatch(r, "GET", "/api/nothing/here");
  EXPECT_EQ(o.status, 404);
  EXPECT_EQ(o.route, kUnmatchedRoute);
  EXPECT_NE(o.body.find("\"NOT_FOUND\""), std::string::npos);
  EXPECT_NE(o.body.find("/api/nothing/here"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllowHeader) {
  const Router r = GorseLikeRouter();
  HttpRequest req;
  req.SetMethod("PUT");
  req.SetTarget("/api/user/u1");
  HttpResponse resp;
  EXPECT_EQ(r.Match(req, resp), nullptr);
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(req.route(), "/api/user/{user_id}");
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].first, "Allow");
  EXPECT_EQ(resp.headers[0].second, "GET, HEAD, DELETE");
  EXPECT_NE(resp.body.find("\"METHOD_NOT_ALLOWED\""), std::string::npos);
}

TEST(Router, HeadFallsBackToGet) {
  const Router r = GorseLikeRouter();
  EXPECT_EQ(Dispatch(r, "HEAD", "/api/users").body, "GET /api/users");
}

TEST(Router, MalformedEscapeInParamIs400) {
  const Router r = GorseLikeRouter();
  const Outcome o = Dispatch(r, "GET", "/api/user/bad%zz");
  EXPECT_EQ(o.status, 400);
  EXPECT_NE(o.body.find("user_id"), std::string::npos);
}

TEST(Router, RouteNameIgnoresMethod) {
  const Router r = GorseLikeRouter();
  EXPECT_EQ(r.RouteName("/api/user/u1"), "/api/user/{user_id}");
  EXPECT_EQ(r.RouteName("/zzz"), kUnmatchedRoute);
}

TEST(RouterDeathTest, InvalidPatternsAbort) {
  Router r;
  EXPECT_DEATH(r.Add("GET", "api/x", nullptr), "bad pattern");
  EXPECT_DEATH(r.Add("GET", "/api/x{id}", nullptr), "bad segment");
  EXPECT_DEATH(r.Add("GET", "/a/{id}/{id}", nullptr), "repeated");
  r.Add("GET", "/a", [](HttpRequest&, HttpResponse&) {});
  EXPECT_DEATH(r.Add("GET", "/a", nullptr), "registered twice");
}

TEST(RouterTest, ListsRoutesAndFindsAHandlerByPattern) {
  Router r = GorseLikeRouter();
  std::vector<Router::RouteEntry> routes = r.Routes();
  ASSERT_FALSE(routes.empty());
  bool listed = false;
  for (const auto& e : routes)
    listed = listed || (e.method == "DELETE" && e.pattern == "/api/user/{user_id}");
  EXPECT_TRUE(listed);
  const HttpHandler* h = r.Find("DELETE", "/api/user/{user_id}");
  ASSERT_NE(h, nullptr);
  HttpRequest req;
  HttpResponse res;
  (*h)(req, res);
  EXPECT_EQ(res.body, "DELETE /api/user/{user_id}");
  EXPECT_NE(r.Find("HEAD", "/api/users"), nullptr) << "HEAD falls back to GET";
  EXPECT_EQ(r.Find("PUT", "/api/users"), nullptr);
  EXPECT_EQ(r.Find("GET", "/api/nothing"), nullptr);
}

}  // namespace
}  // namespace reco
