// TestRedis: a real redis-server for a test, on a free loopback port, with no persistence and
// its working directory in a temporary directory. Stop() and Start() again keep the port, so a
// test can take Redis away and bring it back. When redis-server is not installed, Start()
// fails saying to run scripts/install-deps.sh.
//
// Thread-safety: call from the test thread. Lifetime: the destructor stops the server and
// removes its directory.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "core/status.h"

extern char** environ;

namespace reco::testing {

class TestRedis {
 public:
  TestRedis() = default;
  ~TestRedis() {
    Stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  // Starts the server (on the port of the previous Start, if any) and waits until it answers.
  Status Start() {
    if (pid_ > 0) return Status::Ok();
    const char* bin = "/usr/bin/redis-server";
    if (::access(bin, X_OK) != 0) {
      return Unavailable("redis-server is not installed; run scripts/install-deps.sh");
    }
    if (dir_.empty()) {
      static int counter = 0;
      dir_ = std::filesystem::temp_directory_path() /
             ("reco-redis-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
      std::filesystem::create_directories(dir_);
    }
    if (port_ == 0) port_ = FreePort();
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.string();
    const std::string log = (dir_ / "redis.log").string();
    std::vector<std::string> args = {bin,         "--port",       port,  "--bind",   "127.0.0.1",
                                     "--save",    "",             "--appendonly", "no",
                                     "--dir",     dir,            "--logfile",    log,
                                     "--daemonize", "no"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (::posix_spawn(&pid, bin, nullptr, nullptr, argv.data(), environ) != 0) {
      return Unavailable("cannot start redis-server");
    }
    pid_ = pid;
    for (int i = 0; i < 500; ++i) {  // up to 10 s
      if (Answers()) return Status::Ok();
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return Unavailable("redis-server exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Unavailable("redis-server did not answer on port " + port);
  }

  // Stops the server (SIGKILL: as abrupt as a crash) and waits for it.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  // A PING answered with +PONG.
  bool Answers() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const char ping[] = "PING\r\n";
      char buf[16] = {};
      ok = ::write(fd, ping, sizeof ping - 1) == sizeof ping - 1 && ::read(fd, buf, 5) == 5 &&
           std::string(buf, 5) == "+PONG";
    }
    ::close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace reco::testing
