// The HTTP layer of a real `reco serve` against hostile clients: odd methods and paths do not
// add /metrics series, more idle connections than the open-file limit allows do not lock new
// clients out, and a request trickled byte by byte is answered 408 at the configured deadline.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

// A raw TCP connection to 127.0.0.1:port; closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // True when something (bytes or the server's EOF) can be read within `ms` milliseconds.
  bool Readable(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  // What the server sent until it closed the connection (waits at most ~10 s per read).
  std::string ReadUntilClosed() {
    std::string out;
    char buf[4096];
    while (Readable(10000)) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

size_t CountOccurrences(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string_view::npos;
       pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

// Starts `server` on small demo data (no models) in `dir`; "" or what went wrong.
std::string StartOnDemoData(const TempDataDir& dir, TestServer& server,
                            const ServerOptions& options = {}) {
  const auto data = dir.path() / "data";
  const std::string prepared =
      PrepareDemoData(data, {.users = 20, .items = 30, .seed = 8, .train = false});
  return prepared.empty() ? server.Start(data, options) : prepared;
}

TEST(HttpLimits, OddMethodsAndPathsDoNotAddMetricSeries) {
  TempDataDir dir("http_metrics");
  TestServer server;
  ASSERT_EQ(StartOnDemoData(dir, server), "");
  HttpClient client(server.port());
  ASSERT_EQ(client.Get("/metrics").status, 200);  // its own series exists from now on
  ASSERT_EQ(client.Request("PUT", "/api/health/live").status, 405);
  const size_t baseline = client.Get("/metrics").body.size();

  constexpr int kRequests = 600;
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    const std::string n = std::to_string(i);
    HttpResult r;
    if (i % 3 == 0) {  // a long method of its own on a real route
      r = client.Request("Q" + n + std::string(2000, 'Q'), "/api/health/live");
    } else if (i % 3 == 1) {  // a short odd method on a path of its own
      r = client.Request("M" + n, "/odd/" + n);
    } else {  // a standard method on paths no route matches
      r = client.Get("/nope/" + n + "/x" + n);
    }
    if (r.status == (i % 3 == 2 ? 404 : 501)) ++answered;
  }
  EXPECT_EQ(answered, kRequests);
  const HttpResult metrics = client.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_LT(metrics.body.size(), baseline + 4096) << "grew by " << metrics.body.size() - baseline;
  EXPECT_EQ(metrics.body.find("QQQQ"), std::string::npos);
  EXPECT_EQ(metrics.body.find("method=\"M1"), std::string::npos);
  EXPECT_EQ(metrics.body.find("/nope/"), std::string::npos);
  EXPECT_EQ(metrics.body.find("/odd/"), std::string::npos);
  EXPECT_NE(metrics.body.find("method=\"other\""), std::string::npos);
  EXPECT_NE(metrics.body.find("route=\"/api/health/live\",method=\"PUT\",status=\"405\""),
            std::string::npos);
}

TEST(HttpLimits, IdleConnectionsBeyondTheOpenFileLimitDoNotLockNewClientsOut) {
  // This process needs more descriptors than the server gets.
  rlimit own{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  own.rlim_cur = own.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &own);
  constexpr int kServerLimit = 256;
  constexpr int kIdle = 320;
  ASSERT_GT(own.rlim_cur, static_cast<rlim_t>(kIdle + 64));

  TempDataDir dir("http_fds");
  TestServer server;
  ASSERT_EQ(StartOnDemoData(dir, server, {.open_files_limit = kServerLimit}), "");
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // The oldest idle connections were closed to stay under the cap...
  EXPECT_TRUE(idle.front()->Readable(10000));
  EXPECT_EQ(idle.front()->ReadUntilClosed(), "");
  // ...so that new clients are served (well before the 60 s idle timeout would free any).
  for (int i = 0; i < 10; ++i) {
    RawConnection client(server.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(
        client.Send("GET /api/health/live HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    const std::string response = client.ReadUntilClosed();
    ASSERT_EQ(response.rfind("HTTP/1.1 200 ", 0), 0u) << i << ": " << response;
  }
  const std::string log = server.log();
  EXPECT_EQ(CountOccurrences(log, "accept failed"), 0u) << log;
  EXPECT_NE(log.find("max_connections=192"), std::string::npos) << log;
}

TEST(HttpLimits, RequestTrickledByteByByteGets408AtTheConfiguredDeadline) {
  TempDataDir dir("http_slow");
  TestServer server;
  ASSERT_EQ(StartOnDemoData(dir, server, {.env = {{"RECO_SERVER_REQUEST_READ_TIMEOUT", "0.5"}}}),
            "");
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /api/health/live HTTP/1.1\r\nHost: t\r\nX-Slow: "));
  bool answered = false;
  for (int i = 0; i < 500 && !answered; ++i) {  // one byte every 20 ms, for ~10 s at most
    answered = slow.Readable(20);
    if (!answered) {
      ASSERT_TRUE(slow.Send("a"));
    }
  }
  ASSERT_TRUE(answered);
  const std::string response = slow.ReadUntilClosed();
  EXPECT_EQ(response.rfind("HTTP/1.1 408 ", 0), 0u) << response;
  EXPECT_NE(response.find("REQUEST_TIMEOUT"), std::string::npos) << response;
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/api/health/live").status, 200);
}

}  // namespace
}  // namespace reco::itest
