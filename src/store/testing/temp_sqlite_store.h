// OpenTempSqliteStore: a fresh SQLite store in a test's temporary directory, for tests of code
// that reads or writes a real store.
//
// Thread-safety: call from the test thread. Lifetime: the store must be closed (reset) before
// the directory holding it is removed.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace reco::testing {

// Opens `dir`/reco.db into `*store`; a fatal test failure naming the error when it cannot, so
// call it through ASSERT_NO_FATAL_FAILURE.
inline void OpenTempSqliteStore(const std::filesystem::path& dir, std::unique_ptr<Store>* store) {
  SqliteStoreOptions opts;
  opts.path = dir / "reco.db";
  Result<std::unique_ptr<Store>> opened = OpenSqliteStore(opts);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  *store = std::move(opened).value();
}

}  // namespace reco::testing
