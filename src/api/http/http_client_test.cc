#include "api/http/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
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

// A lookup that blocks until released, as getaddrinfo does when a DNS server never answers. The
// state is shared with the lookup's helper thread, which outlives the call that gave up on it.
struct StuckLookup {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    std::atomic<int> calls{0};
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  HostLookup Lookup() const {
    return [state = state](const std::string&) -> Result<std::vector<std::string>> {
      ++state->calls;
      std::unique_lock<std::mutex> lock(state->mu);
      state->cv.wait(lock, [&] { return state->released; });
      return std::vector<std::string>{"127.0.0.1"};
    };
  }
  void Release() const {
    std::lock_guard<std::mutex> lock(state->mu);
    state->released = true;
    state->cv.notify_all();
  }
};

TEST(LookupHost, ALookupThatNeverReturnsIsAbandonedAtTheDeadline) {
  StuckLookup stuck;
  Result<std::vector<std::string>> r = LookupHost("dns.example", 0.1, stuck.Lookup());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "lookup of dns.example gave no answer within 0.1 s");
  EXPECT_EQ(stuck.state->calls.load(), 1);
  stuck.Release();  // the helper thread ends by itself
}

TEST(LookupHost, AnswersPassThroughAndNumericAddressesNeedNoLookup) {
  HostLookup fixed = [](const std::string& host) -> Result<std::vector<std::string>> {
    if (host == "robot.example") return std::vector<std::string>{"10.1.2.3", "::1"};
    return Unavailable("lookup of " + host + " failed (Name or service not known)");
  };
  Result<std::vector<std::string>> r = LookupHost("robot.example", 5, fixed);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"10.1.2.3", "::1"}));
  EXPECT_EQ(LookupHost("nothing.example", 5, fixed).status().message(),
            "lookup of nothing.example failed (Name or service not known)");
  StuckLookup never_called;
  for (const char* numeric : {"127.0.0.1", "::1"}) {
    Result<std::vector<std::string>> n = LookupHost(numeric, 5, never_called.Lookup());
    ASSERT_TRUE(n.ok()) << numeric;
    EXPECT_EQ(*n, std::vector<std::string>{numeric});
  }
  EXPECT_EQ(never_called.state->calls.load(), 0);
  Result<std::vector<std::string>> local = LookupHost("localhost", 5);  // /etc/hosts
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_FALSE(local->empty());
}

}  // namespace
}  // namespace reco
