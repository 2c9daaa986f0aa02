// MariaDbServer: a real mariadbd (Debian's mariadb-server) in a temp dir of its own, on
// 127.0.0.1 with a free port and a Unix socket, for the tests of what reads Matomo's database
// (the Matomo source, reco doctor). For tests only. Not thread-safe; the destructor stops the
// server (SIGTERM, then SIGKILL) and removes its files.
#pragma once

#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "data/testing/temp_dir.h"

extern char** environ;

namespace reco::testing {

namespace fs = std::filesystem;

// The path of an installed program in the sbin/bin directories; "" when it is not installed.
inline std::string FindTool(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    fs::path p = fs::path(dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

// A TCP port of 127.0.0.1 that was free when asked (0 when none could be had).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A mariadbd in its own temp dir; stopped (SIGTERM, then SIGKILL) by the destructor.
class MariaDbServer {
 public:
  ~MariaDbServer() { Stop(); }

  // Empty string on success, else why the server could not be started.
  std::string Start() {
    const std::string mariadbd = FindTool("mariadbd");
    const std::string install = FindTool("mariadb-install-db");
    if (mariadbd.empty() || install.empty()) return "skip";
    data_ = dir_.path() / "data";
    socket_ = (dir_.path() / "mysqld.sock").string();
    // A temporary directory of its own: bootstraps running at once in the shared /tmp collide
    // on their temporary table names ("Unknown table 'mysql.tmp_user_sys'").
    tmp_ = dir_.path() / "tmp";
    std::filesystem::create_directories(tmp_);
    const std::string cmd = install + " --no-defaults --datadir=" + data_.string() +
                            " --tmpdir=" + tmp_.string() +
                            " --user=root --auth-root-authentication-method=normal" +
                            " --skip-test-db > " + (dir_.path() / "install.log").string() + " 2>&1";
    if (std::system(cmd.c_str()) != 0) return "mariadb-install-db failed: see install.log";
    // A free port can be taken by another test between FreePort() and the server's bind: the
    // server then exits at start-up, and is started again on another port.
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      why = Launch(mariadbd);
      if (why != "mariadbd exited at start-up: see error.log") return why;
    }
    return why;
  }

  // Starts mariadbd on a fresh free port and waits (bounded) until it accepts connections.
  std::string Launch(const std::string& mariadbd) {
    port_ = FreePort();
    std::vector<std::string> args = {
        mariadbd, "--no-defaults", "--datadir=" + data_.string(), "--tmpdir=" + tmp_.string(),
        "--socket=" + socket_, "--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
        "--user=root", "--log-error=" + (dir_.path() / "error.log").string(),
        "--pid-file=" + (dir_.path() / "mysqld.pid").string(), "--skip-log-bin",
        "--innodb-buffer-pool-size=16M", "--skip-name-resolve",
        // A non-UTC server zone: the reader must still read server_time as UTC.
        "--default-time-zone=+05:00"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, mariadbd.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
      return "cannot spawn mariadbd";
    }
    for (int i = 0; i < 1200; ++i) {  // up to 60 s (a loaded 2-core machine starts it slowly)
      MYSQL* m = RootConnection();
      if (m != nullptr) {
        mysql_close(m);
        return "";
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return "mariadbd exited at start-up: see error.log";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "mariadbd did not accept connections within 60 s";
  }

  // Root over the Unix socket (caller closes), or nullptr.
  MYSQL* RootConnection() const {
    MYSQL* m = mysql_init(nullptr);
    if (mysql_real_connect(m, nullptr, "root", "", nullptr, 0, socket_.c_str(), 0) == nullptr) {
      mysql_close(m);
      return nullptr;
    }
    return m;
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 400; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  int port() const { return port_; }

 private:
  TempDir dir_{"mariadb"};
  std::filesystem::path tmp_;
  fs::path data_;
  std::string socket_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// Matomo's layout (core/Db/Schema/Mysql.php plus the Actions plugin's columns) of the two tables
// reco reads, in the database `matomo` with the prefix `matomo_`.
inline constexpr const char* kMatomoLogActionTable =
    "CREATE TABLE matomo.matomo_log_action ("
    " idaction INTEGER(10) UNSIGNED NOT NULL AUTO_INCREMENT, name VARCHAR(4096),"
    " hash INTEGER(10) UNSIGNED NOT NULL, type TINYINT UNSIGNED NULL, url_prefix TINYINT(2) NULL,"
    " PRIMARY KEY(idaction), INDEX index_type_hash (type, hash))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
inline constexpr const char* kMatomoLinkVisitActionTable =
    "CREATE TABLE matomo.matomo_log_link_visit_action ("
    " idlink_va BIGINT(10) UNSIGNED NOT NULL AUTO_INCREMENT, idsite INT(10) UNSIGNED NOT NULL,"
    " idvisitor BINARY(8) NOT NULL, idvisit BIGINT(10) UNSIGNED NOT NULL,"
    " idaction_url_ref INTEGER(10) UNSIGNED NULL DEFAULT 0,"
    " idaction_name_ref INTEGER(10) UNSIGNED NULL, custom_float DOUBLE NULL DEFAULT NULL,"
    " pageview_position MEDIUMINT UNSIGNED DEFAULT NULL, server_time DATETIME NOT NULL,"
    " idpageview CHAR(6) NULL DEFAULT NULL, idaction_name INTEGER(10) UNSIGNED DEFAULT NULL,"
    " idaction_url INTEGER(10) UNSIGNED DEFAULT NULL,"
    " time_spent_ref_action INTEGER(10) UNSIGNED DEFAULT NULL,"
    " PRIMARY KEY(idlink_va), INDEX index_idvisit(idvisit),"
    " INDEX index_idsite_servertime (idsite, server_time))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

}  // namespace reco::testing
