// StoreFixture: the value-parameterised fixture of the Store contract suites
// (store_conformance_test.cc, store_experiments_test.cc): a fresh directory per test, the store
// opened by the backend's factory, Reopen() to check durability. Add a backend to
// kStoreBackends' users by adding a StoreBackend to their INSTANTIATE_TEST_SUITE_P.
//
// Thread-safety: one test thread. Lifetime: the fixture owns the store and its directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

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
