// HttpServer under hostile or broken clients: unknown methods, overlong request lines, a
// connection cap, a read deadline, a budget of request bodies in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "api/http/body_budget.h"
#include "api/http/http_server.h"
#include "api/http/http_server_testing.h"
#include "api/http/log_limiter.h"
#include "api/http/request_parser.h"
#include "ops/metrics.h"

namespace reco {
namespace {

using namespace http_testing;  // NOLINT(build/namespaces)

TEST_F(HttpServerTest, UnknownMethodIs501AndNeverReachesRoutingOrLabels) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  client.Send("BREW /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  const Response resp = client.Read();
  EXPECT_EQ(resp.result_int(), 501);
  EXPECT_NE(resp.body().find("\"UNIMPLEMENTED\""), std::string::npos);
  EXPECT_TRUE(client.ClosedByServer());
  const auto logs = Logs(1);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].status, 501);
  EXPECT_EQ(MethodLabel(logs[0].method), "other");
}

TEST_F(HttpServerTest, OverlongMethodIs501BeforeTheHeaderIsComplete) {
  StartServer(EchoRouter());
  TestClient client(server_->port());
  client.Send(std::string(2048, 'M'));  // no space, no line end: the header never completes
  const Response resp = client.Read();
  EXPECT_EQ(resp.result_int(), 501);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, OverlongRequestTargetIs414) {
  StartServer(EchoRouter());
  TestClient complete(server_->port());
  complete.Send("GET /api/" + std::string(http_internal::kMaxTargetBytes, 'a') +
                " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(complete.Read().result_int(), 414);
  EXPECT_TRUE(complete.ClosedByServer());
  // A request line longer than the header limit is refused as soon as it is too long.
  TestClient endless(server_->port());
  endless.Send("GET /" + std::string(http_internal::kMaxHeaderBytes + 1024, 'a'));
  EXPECT_EQ(endless.Read().result_int(), 414);
}

TEST_F(HttpServerTest, SlowHeaderGets408AtTheReadDeadlineAlthoughBytesKeepComing) {
  HttpServerOptions options;
  options.request_read_timeout_seconds = 0.3;
  options.idle_timeout_seconds = 60;  // progress every 20 ms would keep it open forever
  StartServer(EchoRouter(), options);
  TestClient client(server_->port());
  client.Send("GET /api/recommend/u1 HTTP/1.1\r\nX-Slow: ");
  bool answered = false;
  for (int i = 0; i < 500 && !answered; ++i) {  // gives up after ~10 s
    answered = client.Readable(20);
    if (!answered) client.Send("a");
  }
  ASSERT_TRUE(answered);
  const Response resp = client.Read();
  EXPECT_EQ(resp.result_int(), 408);
  EXPECT_NE(resp.body().find("\"REQUEST_TIMEOUT\""), std::string::npos);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, ReadDeadlineDoesNotCloseAnIdleKeepAliveConnection) {
  HttpServerOptions options;
  options.request_read_timeout_seconds = 0.05;
  StartServer(EchoRouter(), options);
  TestClient client(server_->port());
  ASSERT_EQ(client.Get("/api/recommend/u1").result_int(), 200);
  EXPECT_FALSE(client.Readable(300));  // waiting for a next request is not a slow request
  EXPECT_EQ(client.Get("/api/recommend/u2").result_int(), 200);
}

TEST_F(HttpServerTest, AtTheConnectionCapTheLongestIdleConnectionMakesRoom) {
  HttpServerOptions options;
  options.threads = 1;  // one worker: the eviction order is the global one
  options.max_connections = 8;
  StartServer(EchoRouter(), options);
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<TestClient>(server_->port()));
    ASSERT_TRUE(PollUntil([&] { return server_->open_connections() == i + 1; }));
  }
  TestClient fresh(server_->port());
  EXPECT_EQ(fresh.Get("/api/recommend/u1").result_int(), 200);
  EXPECT_TRUE(idle[0]->ClosedByServer());  // the oldest idle one
  EXPECT_FALSE(idle[1]->Readable(0));      // the others stay
  // A flood of idle connections keeps the count at the cap and new clients are still served.
  for (int i = 0; i < 40; ++i) idle.push_back(std::make_unique<TestClient>(server_->port()));
  TestClient last(server_->port());
  EXPECT_EQ(last.Get("/api/recommend/u2").result_int(), 200);
  EXPECT_TRUE(PollUntil([&] { return server_->open_connections() <= 8; }));
}

TEST_F(HttpServerTest, AtTheConnectionCapWithNothingIdleANewClientGets503) {
  std::atomic<int> started{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router;
  router.Add(
      "GET", "/api/wait",
      [&](HttpRequest&, HttpResponse& resp) {
        ++started;
        released.wait();
        resp.body = "{}";
      },
      /*blocking=*/true);
  HttpServerOptions options;
  options.threads = 1;
  options.max_connections = 2;
  StartServer(std::move(router), options);
  TestClient a(server_->port()), b(server_->port());
  a.Send("GET /api/wait HTTP/1.1\r\nHost: t\r\n\r\n");
  b.Send("GET /api/wait HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(PollUntil([&] { return started == 2; }));
  TestClient refused(server_->port());
  const Response resp = refused.Read();
  EXPECT_EQ(resp.result_int(), 503);
  EXPECT_EQ(resp[http::field::retry_after], "1");
  EXPECT_TRUE(refused.ClosedByServer());
  release.set_value();
  EXPECT_EQ(a.Read().result_int(), 200);
  EXPECT_EQ(b.Read().result_int(), 200);
}

class BodyBudgetTest : public HttpServerTest {
 protected:
  void StartWithBudget(int64_t max_body_bytes, int64_t max_inflight_body_bytes) {
    HttpServerOptions options;
    options.max_body_bytes = max_body_bytes;
    options.max_inflight_body_bytes = max_inflight_body_bytes;
    options.metrics = &metrics_;
    StartServer(EchoRouter(), options);
    in_flight_ = metrics_.GetGauge("http_inflight_body_bytes", "");
  }
  // A client that sent the header of a `length`-byte body and its first 3 bytes, once the server
  // holds the body's bytes in the budget.
  std::unique_ptr<TestClient> HoldBody(int length) {
    auto client = std::make_unique<TestClient>(server_->port());
    client->Send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
                 "\r\n\r\nabc");
    EXPECT_TRUE(PollUntil([&] { return in_flight_->Value() == length; }));
    return client;
  }
  static std::string EchoRequest(int length) {
    return "POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n" + std::string(length, 'x');
  }

  Gauge* in_flight_ = nullptr;
};

TEST_F(BodyBudgetTest, BodyBeyondTheInFlightBudgetIs503WithRetryAfter) {
  StartWithBudget(1024, 1536);
  std::unique_ptr<TestClient> first = HoldBody(1000);
  TestClient second(server_->port());
  second.Send(EchoRequest(1000));
  const Response busy = second.Read();
  EXPECT_EQ(busy.result_int(), 503);
  EXPECT_EQ(busy[http::field::retry_after], "1");
  EXPECT_EQ(metrics_.GetCounter("http_body_budget_refusals_total", "")->Value(), 1);

  first->Send(std::string(997, 'y'));
  EXPECT_EQ(first->Read().body().size(), 1000u);
  ASSERT_TRUE(PollUntil([&] { return in_flight_->Value() == 0; }));  // given back after the answer
  TestClient third(server_->port());
  third.Send(EchoRequest(1000));
  EXPECT_EQ(third.Read().result_int(), 200);
}

TEST_F(BodyBudgetTest, ChunkedBodiesCountAgainstTheInFlightBudget) {
  StartWithBudget(8192, 8192);
  std::unique_ptr<TestClient> first = HoldBody(8000);
  TestClient chunked(server_->port());
  chunked.Send("POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" +
               std::string(0x100, 'a') + "\r\n");
  EXPECT_EQ(chunked.Read().result_int(), 503);
}

TEST(HttpServerOptions, InFlightBudgetSmallerThanOneBodyIsRejected) {
  HttpServerOptions options;
  options.max_body_bytes = 4096;
  options.max_inflight_body_bytes = 1024;
  HttpServer server(options, Router());
  const Status st = server.Start();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "max_inflight_body_bytes");
}

TEST(HttpServerOptions, ConnectionCapDefaultsToTheOpenFileLimitLessHeadroom) {
  EXPECT_EQ(DefaultMaxConnections(1024), 768);
  EXPECT_EQ(DefaultMaxConnections(256), 192);
  EXPECT_EQ(DefaultMaxConnections(64), 16);
  EXPECT_EQ(DefaultMaxConnections(1u << 20), (1 << 20) - (1 << 18));
  HttpServer server(HttpServerOptions{}, Router());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_GE(server.max_connections(), 16);
}

TEST(RequestLine, PartialLinesAreRefusedOnlyOnceTheyCannotBecomeValid) {
  using http_internal::CheckPartialRequestLine;
  EXPECT_EQ(CheckPartialRequestLine("").status, 0);
  EXPECT_EQ(CheckPartialRequestLine("GE").status, 0);
  EXPECT_EQ(CheckPartialRequestLine("\r\nGET /api/x HT").status, 0);
  EXPECT_EQ(CheckPartialRequestLine("PATCH /a").status, 0);
  EXPECT_EQ(CheckPartialRequestLine("BREW /pot").status, 501);
  EXPECT_EQ(CheckPartialRequestLine("THIS IS NOT HTTP\r\n").status, 0);  // the parser's 400
  EXPECT_EQ(CheckPartialRequestLine(std::string(17, 'G')).status, 501);
  EXPECT_EQ(
      CheckPartialRequestLine("GET /" + std::string(http_internal::kMaxTargetBytes, 'a')).status,
      0);
  EXPECT_EQ(CheckPartialRequestLine("GET /" + std::string(http_internal::kMaxTargetBytes + 64, 'a'))
                .status,
            414);
}

TEST(BodyBudget, LeasesShareTheLimitAndGiveBytesBack) {
  MetricsRegistry metrics;
  Gauge* gauge = metrics.GetGauge("in_flight", "");
  http_internal::BodyBudget budget(100, gauge);
  {
    http_internal::BodyLease a(&budget), b(&budget);
    EXPECT_TRUE(a.Grow(60));
    EXPECT_FALSE(b.Grow(41));  // nothing taken
    EXPECT_EQ(budget.used(), 60);
    EXPECT_TRUE(b.Grow(40));
    EXPECT_EQ(gauge->Value(), 100);
    a.Release();
    EXPECT_EQ(budget.used(), 40);
  }
  EXPECT_EQ(budget.used(), 0);
  EXPECT_EQ(gauge->Value(), 0);
}

TEST(LogLimiter, OneLinePerIntervalReportingWhatWasHeldBack) {
  using Clock = http_internal::LogLimiter::Clock;
  http_internal::LogLimiter limiter(std::chrono::seconds(10));
  const Clock::time_point t0{};
  int64_t held_back = -1;
  EXPECT_TRUE(limiter.Allow(t0, &held_back));
  EXPECT_EQ(held_back, 0);
  for (int i = 0; i < 200; ++i) {  // e.g. an accept failure every 50 ms
    EXPECT_FALSE(limiter.Allow(t0 + std::chrono::milliseconds(50 * i), &held_back));
  }
  EXPECT_TRUE(limiter.Allow(t0 + std::chrono::seconds(10), &held_back));
  EXPECT_EQ(held_back, 200);
}

}  // namespace
}  // namespace reco
