// StoreFixture: the value-parameterised fixture of the Store contract suites
// (store_conformance_test.cc, store_experiments_test.cc): a fresh directory per test, the store
// opened by the backend's factory, Reopen() to check durability. Backends: SqliteBackend() and
// PostgresBackend() (a real PostgreSQL server, testing/test_postgres.h). Add a backend to
// kStoreBackends' users by adding a StoreBackend to their INSTANTIATE_TEST_SUITE_P.
//
// Thread-safety: one test thread. Lifetime: the fixture owns the store and its directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/sha256.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/testing/test_postgres.h"

namespace reco::testing {

struct StoreBackend {
  std::string name;
  // Opens (or reopens) the store whose data lives in `dir`.
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

inline StoreBackend SqliteBackend() {
  return {"sqlite", [](const std::filesystem::path& dir) {
            SqliteStoreOptions options;
            options.path = dir / "reco.db";
            options.reader_connections = 2;
            return OpenSqliteStore(options);
          }};
}

// A database of the test PostgreSQL server per test directory: created on the first open of
// `dir`, the same one on Reopen() (its URL is kept in dir/postgres_url).
inline StoreBackend PostgresBackend() {
  return {"postgres", [](const std::filesystem::path& dir) -> Result<std::unique_ptr<Store>> {
            const std::filesystem::path marker = dir / "postgres_url";
            std::string url;
            if (std::ifstream in(marker); in) std::getline(in, url);
            if (url.empty()) {
              const std::string name = "reco_" + Sha256Hex(dir.string()).substr(0, 20);
              RECO_ASSIGN_OR_RETURN(url, TestPostgres::CreateDatabase(name));
              std::ofstream(marker) << url << "\n";
            }
            PostgresStoreOptions options;
            options.url = url;
            options.pool_size = 2;
            return OpenPostgresStore(options);
          }};
}

// Names the parameter in test listings ("... # GetParam() = postgres").
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

class StoreFixture : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    std::replace(name.begin(), name.end(), '/', '_');  // "Backends/Suite_Case/backend"
    dir_ = std::filesystem::temp_directory_path() /
           ("reco_store_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    if (store_) store_->Close();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    if (store_) store_->Close();
    store_.reset();
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace reco::testing
