#include "api/http/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "api/http/http_server.h"

namespace reco {
namespace {

TEST(HttpUrl, ParsesHostPortAndTarget) {
  Result<HttpUrl> u = HttpUrl::Parse("http://10.0.0.5:8000/models/reload?x=1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "10.0.0.5");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->target, "/models/reload?x=1");
  Result<HttpUrl> plain = HttpUrl::Parse("http://serve");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
}

TEST(HttpUrl, RejectsWhatItCannotSpeakNamingTheField) {
  for (const char* bad : {"https://x/", "x:80/", "http://:80/", "http://x:0/", "http://x:9a/"}) {
    Result<HttpUrl> u = HttpUrl::Parse(bad, "MODEL_RELOAD_URL");
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(u.status().field(), "MODEL_RELOAD_URL") << bad;
  }
}

TEST(HttpFetch, PostsWithBearerTokenAndReturnsTheStatus) {
  std::string seen_auth, seen_body;
  Router router;
  router.Add("POST", "/models/reload", [&](HttpRequest& req, HttpResponse& res) {
    seen_auth = std::string(req.Header("Authorization"));
    seen_body = req.body();
    res.status = 202;
    res.body = R"({"ok":true})";
  });
  HttpServerOptions options;
  options.threads = 1;
  auto server = std::make_unique<HttpServer>(std::move(options), std::move(router));
  ASSERT_TRUE(server->Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  Result<int> status = HttpPostJson(base + "/models/reload", R"({"run_id":"r1"})", "s3cret");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 202);
  EXPECT_EQ(seen_auth, "Bearer s3cret");
  EXPECT_EQ(seen_body, R"({"run_id":"r1"})");
  Result<HttpFetchResult> missing = HttpFetch("GET", base + "/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  int port = server->port();
  server->Stop();
  Result<HttpFetchResult> down =
      HttpFetch("GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}, 5);
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(down.status().message().find("cannot reach 127.0.0.1:" + std::to_string(port)),
            std::string::npos);
}

TEST(HttpFetch, AServerThatAcceptsAndNeverAnswersIsAnErrorAtTheDeadline) {
  // A listening socket nobody reads: the kernel completes the connection and takes the request,
  // no answer ever comes. Without the deadline on every step the call would never return (the
  // test's ctest timeout would end it).
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
  Result<HttpFetchResult> silent = HttpFetch("POST", url, R"({"run_id":"r1"})", {}, 0.3);
  ::close(listener);
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(silent.status().message().find("(answer: "), std::string::npos)
      << silent.status().ToString();
}

}  // namespace
}  // namespace reco
