// TestPostgres: the PostgreSQL 15 server of the tests and a fresh database per test.
//
// Under ctest the fixture "postgres" (scripts/pg-test-server.sh, see src/store/CMakeLists.txt)
// starts one server for the whole run and names its directory in RECO_TEST_PG_DIR. A test binary
// run by hand starts a server of its own the first time one is needed and stops it at exit.
// When the PostgreSQL binaries are absent, every call fails saying to run
// scripts/install-deps.sh.
//
// Thread-safety: call from the test thread. Lifetime: the databases live as long as the server.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/status.h"

namespace reco::testing {

class TestPostgres {
 public:
  // The admin URL of the running server (database "postgres"), starting one if needed.
  static Result<std::string> AdminUrl() {
    static TestPostgres server;
    if (!server.url_.empty()) return server.url_;
    return Unavailable(server.error_);
  }

  // Creates database `name` (dropping an older one of that name) and returns its URL.
  static Result<std::string> CreateDatabase(const std::string& name) {
    RECO_ASSIGN_OR_RETURN(std::string admin, AdminUrl());
    PGconn* conn = PQconnectdb(admin.c_str());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    Status st = Status::Ok();
    for (std::string sql : {"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name}) {
      if (PQstatus(conn) != CONNECTION_OK) {
        st = Unavailable(std::string("test postgres: ") + PQerrorMessage(conn));
        break;
      }
      PGresult* res = PQexec(conn, sql.c_str());
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        st = Internal(sql + ": " + PQresultErrorMessage(res));
      }
      PQclear(res);
      if (!st.ok()) break;
    }
    PQfinish(conn);
    RECO_RETURN_IF_ERROR(st);
    return DatabaseUrl(admin, name);
  }

  // `admin` with its database replaced by `name`.
  static std::string DatabaseUrl(const std::string& admin, const std::string& name) {
    const size_t at = admin.find("@/");
    const size_t query = admin.find('?');
    return admin.substr(0, at + 2) + name + admin.substr(query);
  }

 private:
  TestPostgres() {
    std::filesystem::path dir;
    if (const char* shared = std::getenv("RECO_TEST_PG_DIR")) {
      dir = shared;
    } else {
      dir = std::filesystem::temp_directory_path() / ("reco-pg-" + std::to_string(::getpid()));
      owned_dir_ = dir;
      const std::string start =
          Script() + " start " + dir.string() + " > " + dir.string() + ".log 2>&1";
      if (std::system(start.c_str()) != 0) {
        std::ifstream log(dir.string() + ".log");
        error_.assign(std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>());
        if (error_.empty()) error_ = "cannot start PostgreSQL; run scripts/install-deps.sh";
        return;
      }
    }
    std::ifstream in(dir / "url");
    std::getline(in, url_);
    if (url_.empty()) {
      error_ = "no PostgreSQL test server at " + dir.string() +
               " (its url file is missing); the ctest fixture postgres_server_start failed: run "
               "scripts/install-deps.sh";
    }
  }
  ~TestPostgres() {
    if (owned_dir_.empty()) return;
    const std::string stop = Script() + " stop " + owned_dir_.string() + " > /dev/null 2>&1";
    std::system(stop.c_str());
    std::filesystem::remove(owned_dir_.string() + ".log");
  }
  static std::string Script() {
    return std::string(RECO_SOURCE_DIR) + "/scripts/pg-test-server.sh";
  }

  std::string url_;
  std::string error_;
  std::filesystem::path owned_dir_;
};

}  // namespace reco::testing
