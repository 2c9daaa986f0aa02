// ReaderPool: a fixed set of read-only SQLite connections shared by concurrent readers (WAL
// lets them read while the writer writes). Acquire() blocks until a connection is free.
//
// Thread-safety: all methods are thread-safe. Close() waits until every lease is returned,
// then closes the connections; later Acquire() calls return an empty lease.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sqlite/sqlite_db.h"

namespace reco::sqlite {

class ReaderPool {
 public:
  class Lease {
   public:
    Lease() = default;
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    explicit operator bool() const { return conn_ != nullptr; }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ReaderPool* pool_ = nullptr;
    std::unique_ptr<Connection> conn_;
  };

  void Add(std::unique_ptr<Connection> conn);
  Lease Acquire();
  void Close();

 private:
  void Release(std::unique_ptr<Connection> conn);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> free_;
  size_t total_ = 0;
  bool closed_ = false;
};

}  // namespace reco::sqlite
