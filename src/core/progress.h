// Progress: a line on stderr for long-running commands with done/total, items/s and ETA,
// refreshed at most every 0.5 s; a summary line at Finish().
//
// Thread-safety: Add() may be called from several threads; the rest from one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace reco {

class Progress {
 public:
  // total == 0 means unknown (no ETA shown). `unit` is e.g. "rows", "items".
  Progress(std::string label, uint64_t total, std::string unit, bool enabled = true);
  void Add(uint64_t n);
  void SetTotal(uint64_t total) { total_ = total; }
  // Prints the final line; returns the elapsed seconds.
  double Finish();
  uint64_t done() const { return done_.load(); }

 private:
  void Print(bool final_line);
  std::string label_;
  std::atomic<uint64_t> total_;
  std::string unit_;
  bool enabled_;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> last_print_ms_{0};
};

}  // namespace reco
