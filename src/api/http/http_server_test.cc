#include "api/http/http_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_server_testing.h"

namespace reco {
namespace {

using namespace http_testing;  // NOLINT(build/namespaces)

TEST_F(HttpServerTest, RoutesWithDecodedParamsAndQuery) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response resp = client.Get("/api/user/a%2Fb%20c/feedback/like?n=5");
  EXPECT_EQ(resp.result_int(), 200);
  EXPECT_EQ(resp.body(), R"({"user":"a/b c","type":"like","n":"5"})");
  EXPECT_EQ(resp[http::field::content_type], "application/json");
  EXPECT_FALSE(resp["X-Request-Id"].empty());
}

// Descriptors of this process that are TCP sockets bound to `port`, with their FD_CLOEXEC flag.
std::vector<bool> CloseOnExecOfSocketsOnPort(int port) {
  std::vector<bool> flags;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    if (addr.sin_family != AF_INET || ntohs(addr.sin_port) != port) continue;
    flags.push_back((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  }
  return flags;
}

TEST_F(HttpServerTest, ListeningAndAcceptedSocketsAreNotInheritedByChildProcesses) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  EXPECT_EQ(client.Get("/api/user/u1/feedback/like").result_int(), 200);
  // The listening socket and the accepted one (the client's own socket has another local port).
  const std::vector<bool> flags = CloseOnExecOfSocketsOnPort(server_->port());
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_TRUE(flags[0]);
  EXPECT_TRUE(flags[1]);
}

TEST_F(HttpServerTest, TrailingSlashMatches) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response resp = client.Get("/api/recommend/u1/");
  EXPECT_EQ(resp.result_int(), 200);
  EXPECT_EQ(resp.body(), R"(["u1"])");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response not_found = client.Get("/api/missing");
  EXPECT_EQ(not_found.result_int(), 404);
  EXPECT_NE(not_found.body().find("\"NOT_FOUND\""), std::string::npos);
  EXPECT_NE(not_found.body().find("/api/missing"), std::string::npos);
  client.Send("DELETE /api/echo HTTP/1.1\r\nHost: t\r\n\r\n");
  const Response not_allowed = client.Read();
  EXPECT_EQ(not_allowed.result_int(), 405);
  EXPECT_EQ(not_allowed[http::field::allow], "POST");
  EXPECT_NE(not_allowed.body().find("\"METHOD_NOT_ALLOWED\""), std::string::npos);
  const auto logs = Logs(2);
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].route, kUnmatchedRoute);
  EXPECT_EQ(logs[1].route, "/api/echo");
  EXPECT_EQ(logs[1].status, 405);
}

TEST_F(HttpServerTest, BodyOverLimitIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(EchoRouter(), options);
  TestClient client(server_->port());
  const std::string body(4096, 'x');
  client.Send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + body);
  const Response resp = client.Read();
  EXPECT_EQ(resp.result_int(), 413);
  EXPECT_NE(resp.body().find("\"PAYLOAD_TOO_LARGE\""), std::string::npos);
  EXPECT_EQ(resp[http::field::connection], "close");
  EXPECT_TRUE(client.ClosedByServer());
  const auto logs = Logs(1);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].route, "/api/echo");
}

TEST_F(HttpServerTest, BodyWithinLimitReachesHandlerIncludingChunkedAndExpectContinue) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(EchoRouter(), options);
  TestClient client(server_->port());
  client.Send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(client.Read().body(), "hello");
  client.Send(
      "POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "abcde");
  client.Send(
      "POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
      "Expect: 100-continue\r\n\r\n");
  const Response interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.Send("xyz");
  EXPECT_EQ(client.Read().body(), "xyz");
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  client.Send("THIS IS NOT HTTP\r\n\r\n");
  const Response resp = client.Read();
  EXPECT_EQ(resp.result_int(), 400);
  EXPECT_NE(resp.body().find("\"INVALID_ARGUMENT\""), std::string::npos);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  for (int i = 0; i < 5; ++i) {
    const Response resp = client.Get("/api/recommend/u" + std::to_string(i));
    ASSERT_EQ(resp.result_int(), 200);
    EXPECT_EQ(resp.body(), "[\"u" + std::to_string(i) + "\"]");
    EXPECT_TRUE(resp.keep_alive());
  }
  // Two pipelined requests in one write are answered in order.
  client.Send(
      "GET /api/recommend/p1 HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /api/recommend/p2 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(client.Read().body(), R"(["p1"])");
  EXPECT_EQ(client.Read().body(), R"(["p2"])");
  EXPECT_EQ(Logs(7).size(), 7u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response resp = client.Get("/api/recommend/u1", "Connection: close\r\n");
  EXPECT_EQ(resp.result_int(), 200);
  EXPECT_FALSE(resp.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, ThrowingHandlerIs500AndServerKeepsServing) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response resp = client.Get("/api/boom");
  EXPECT_EQ(resp.result_int(), 500);
  EXPECT_NE(resp.body().find("\"INTERNAL\""), std::string::npos);
  EXPECT_EQ(resp.body().find("boom"), std::string::npos);  // no internals leak to clients
  EXPECT_EQ(client.Get("/api/recommend/u1").result_int(), 200);
  TestClient other(server_->port());
  EXPECT_EQ(other.Get("/api/recommend/u2").result_int(), 200);
}

TEST_F(HttpServerTest, EchoesClientRequestIdOrGeneratesUniqueOnes) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  const Response given = client.Get("/api/id", "X-Request-Id: abc-123\r\n");
  EXPECT_EQ(given["X-Request-Id"], "abc-123");
  EXPECT_EQ(given.body(), "abc-123");
  const Response a = client.Get("/api/id");
  const Response b = client.Get("/api/id");
  EXPECT_FALSE(a.body().empty());
  EXPECT_NE(a.body(), b.body());
  EXPECT_EQ(a["X-Request-Id"], a.body());
}

TEST_F(HttpServerTest, HeadReturnsHeadersWithoutBody) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  client.Send("HEAD /api/recommend/u1 HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto head = client.ReadHead();
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], "6");
  // Had the server sent a body, it would be parsed as the start of this response.
  EXPECT_EQ(client.Get("/api/recommend/u2").body(), R"(["u2"])");
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequestAndRefusesNewConnections) {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  Router router;
  router.Add("GET", "/api/slow/{id}", [&](HttpRequest&, HttpResponse& resp) {
    started.set_value();
    release_future.wait();
    resp.body = "{\"done\":true}";
  });
  HttpServerOptions options;
  options.threads = 1;
  StartServer(std::move(router), options);
  const int port = server_->port();

  TestClient idle(port);  // an idle keep-alive connection must not hold up Stop()
  TestClient busy(port);
  busy.Send("GET /api/slow/1 HTTP/1.1\r\nHost: t\r\n\r\n");
  started.get_future().wait();

  std::thread stopper([this] { server_->Stop(); });
  while (CanConnect(port)) std::this_thread::yield();  // the acceptor is closed
  release.set_value();

  const Response resp = busy.Read();
  stopper.join();
  EXPECT_EQ(resp.result_int(), 200);
  EXPECT_EQ(resp.body(), "{\"done\":true}");
  EXPECT_FALSE(resp.keep_alive());
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_FALSE(CanConnect(port));
  const auto logs = Logs(1);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].route, "/api/slow/{id}");
  EXPECT_EQ(logs[0].method, "GET");
  EXPECT_EQ(logs[0].status, 200);
}

TEST_F(HttpServerTest, BlockingRouteRunsOffTheWorkerSoOtherRequestsAreServed) {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  Router router;
  router.Add(
      "POST", "/api/write",
      [&](HttpRequest&, HttpResponse& resp) {
        started.set_value();
        release_future.wait();
        resp.body = "{\"written\":true}";
      },
      /*blocking=*/true);
  router.Add("GET", "/api/read", [](HttpRequest&, HttpResponse& resp) { resp.body = "{}"; });
  HttpServerOptions options;
  options.threads = 1;  // one worker: a handler blocking on it would stall the read below
  StartServer(std::move(router), options);

  TestClient writer(server_->port());
  writer.Send("POST /api/write HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  started.get_future().wait();
  TestClient reader(server_->port());
  EXPECT_EQ(reader.Get("/api/read").result_int(), 200);  // served while the write waits
  release.set_value();
  const Response resp = writer.Read();
  EXPECT_EQ(resp.result_int(), 200);
  EXPECT_EQ(resp.body(), "{\"written\":true}");
  EXPECT_TRUE(resp.keep_alive());
  EXPECT_EQ(writer.Get("/api/read").result_int(), 200);  // the connection keeps working
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 0.05;
  StartServer(EchoRouter(), options);
  TestClient client(server_->port());
  EXPECT_EQ(client.Get("/api/recommend/u1").result_int(), 200);
  EXPECT_TRUE(client.ClosedByServer());  // blocks until the server's sweep closes it
}

TEST_F(HttpServerTest, OutOfRangeHandlerStatusBecomes500) {
  Router router;
  router.Add("GET", "/bad", [](HttpRequest&, HttpResponse& resp) { resp.status = 42; });
  StartServer(std::move(router));
  TestClient client(server_->port());
  EXPECT_EQ(client.Get("/bad").result_int(), 500);
}

TEST(HttpServer, StartFailsOnBadHostAndBusyPort) {
  HttpServerOptions bad_host;
  bad_host.host = "not-an-ip";
  HttpServer a(bad_host, Router());
  EXPECT_EQ(a.Start().code(), StatusCode::kInvalidArgument);

  HttpServer first(HttpServerOptions{}, Router());
  ASSERT_TRUE(first.Start().ok());
  HttpServerOptions same_port;
  same_port.port = first.port();
  HttpServer second(same_port, Router());
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace reco
