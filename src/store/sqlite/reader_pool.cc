#include "store/sqlite/reader_pool.h"

namespace reco::sqlite {

void ReaderPool::Add(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(conn));
  ++total_;
}

ReaderPool::Lease ReaderPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !free_.empty(); });
  if (closed_) return Lease();
  auto conn = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(conn));
}

void ReaderPool::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(conn));
  cv_.notify_all();
}

void ReaderPool::Close() {
  std::vector<std::unique_ptr<Connection>> to_close;
  {
    std::unique_lock lock(mu_);
    closed_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return free_.size() == total_; });
    to_close.swap(free_);
    total_ = 0;
  }
}

}  // namespace reco::sqlite
