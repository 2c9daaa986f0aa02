#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace reco {

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

void Progress::Add(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start_)
                       .count();
  int64_t last = last_print_ms_.load(std::memory_order_relaxed);
  if (now_ms - last >= 500 &&
      last_print_ms_.compare_exchange_strong(last, now_ms, std::memory_order_relaxed)) {
    Print(false);
  }
}

void Progress::Print(bool final_line) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  uint64_t done = done_.load();
  uint64_t total = total_.load();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  char eta[32] = "";
  if (!final_line && total > 0 && rate > 0 && done <= total) {
    std::snprintf(eta, sizeof(eta), " ETA %.1fs", static_cast<double>(total - done) / rate);
  }
  const char* end = final_line || !isatty(STDERR_FILENO) ? "\n" : "\r";
  if (total > 0) {
    std::fprintf(stderr, "%s: %llu/%llu %s (%.1f%%) %.0f %s/s%s%s%s", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 unit_.c_str(), 100.0 * static_cast<double>(done) / static_cast<double>(total),
                 rate, unit_.c_str(), eta, final_line ? " done" : "", end);
  } else {
    std::fprintf(stderr, "%s: %llu %s %.0f %s/s%s%s", label_.c_str(),
                 static_cast<unsigned long long>(done), unit_.c_str(), rate, unit_.c_str(),
                 final_line ? " done" : "", end);
  }
  std::fflush(stderr);
}

double Progress::Finish() {
  if (enabled_) Print(true);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace reco
