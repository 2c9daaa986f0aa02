// Starts an HttpServer with one route that answers ~200 bytes of JSON, prints the port and waits
// for SIGINT/SIGTERM. Drive it with e.g.
//   wrk -t2 -c64 -d10s http://127.0.0.1:PORT/api/recommend/u1
// Usage: http_server_benchmark [threads] [port]
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "api/http/http_server.h"

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the server's threads

  spdlog::set_level(spdlog::level::warn);
  reco::HttpServerOptions options;
  options.threads = argc > 1 ? std::atoi(argv[1]) : 0;
  options.port = argc > 2 ? std::atoi(argv[2]) : 0;
  reco::Router router;
  router.Add(
      "GET", "/api/recommend/{user_id}", [](reco::HttpRequest& req, reco::HttpResponse& resp) {
        resp.body.assign(R"([{"Id":"item-0001","Score":0.98},{"Id":"item-0002","Score":0.91},)");
        resp.body.append(R"({"Id":"item-0003","Score":0.87},{"Id":"item-0004","Score":0.80},)");
        resp.body.append(R"({"Id":"item-0005","Score":0.72},{"User":")");
        resp.body.append(req.Param("user_id"));
        resp.body.append("\"}]");
      });
  reco::HttpServer server(options, std::move(router));
  const reco::Status status = server.Start();
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("%d\n", server.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  server.Stop();
  return 0;
}
