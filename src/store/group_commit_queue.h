// GroupCommitQueue: the queue of write calls that every Store backend commits in groups. Calls
// queue up in arrival order; the call at the front leads: it takes the group (itself and the
// groupable calls right behind it), runs it in one transaction on the backend's writer and
// hands each member its own result, then wakes the next leader. A call returns only after its
// group's commit.
//
// Op is the backend's queued call; it has `size_t rows` (weight against the group's row
// bound), `bool solo` (runs in a group of its own), `std::optional<Result<int64_t>> result`,
// `bool done` and `std::condition_variable cv`.
//
// Thread-safety: Run() and Take() from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "core/status.h"

namespace reco {

template <typename Op>
class GroupCommitQueue {
 public:
  explicit GroupCommitQueue(size_t max_ops = 64, size_t max_rows = 65'536)
      : max_ops_(max_ops), max_rows_(max_rows) {}

  // Queues `op` and returns its result. When `op` reaches the front, `run_group()` runs on this
  // thread: it calls Take() for its group, sets every member's result and returns the group's
  // size.
  template <typename RunGroup>
  Result<int64_t> Run(Op& op, RunGroup&& run_group) {
    std::unique_lock lock(mu_);
    queue_.push_back(&op);
    op.cv.wait(lock, [&] { return op.done || queue_.front() == &op; });
    if (op.done) return std::move(*op.result);
    lock.unlock();
    const size_t n = run_group();
    lock.lock();
    for (size_t i = 0; i < n; ++i) {
      Op* member = queue_.front();
      queue_.pop_front();
      member->done = true;
      if (member != &op) member->cv.notify_one();
    }
    if (!queue_.empty()) queue_.front()->cv.notify_one();
    return std::move(*op.result);
  }

  size_t size() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  // The group led by the front call: that call and the groupable calls right behind it (none
  // after a solo call, at most max_ops calls and max_rows rows).
  std::vector<Op*> Take() {
    std::lock_guard lock(mu_);
    size_t n = 1;
    size_t rows = queue_.front()->rows;
    while (!queue_.front()->solo && n < queue_.size() && n < max_ops_) {
      const Op* next = queue_[n];
      if (next->solo || rows + next->rows > max_rows_) break;
      rows += next->rows;
      ++n;
    }
    return std::vector<Op*>(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  }

 private:
  const size_t max_ops_;
  const size_t max_rows_;
  std::mutex mu_;
  std::deque<Op*> queue_;  // waiting and running calls, in arrival order
};

}  // namespace reco
