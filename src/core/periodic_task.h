// PeriodicTask: runs a function on a thread of its own every `interval` until Stop() (or
// destruction); Stop() wakes the thread at once and waits for a run in progress.
//
// Thread-safety: Start() and Stop() from one controlling thread; the function runs on the
// task's thread only. Lifetime: whatever `fn` uses must outlive Stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace reco {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::duration<double> interval, std::function<void()> fn)
      : interval_(interval), fn_(std::move(fn)) {}
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // The first run is one interval after Start().
  void Start() {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        fn_();
        lock.lock();
      }
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  const std::chrono::duration<double> interval_;
  const std::function<void()> fn_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace reco
