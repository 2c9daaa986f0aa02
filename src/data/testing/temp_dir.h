// TempDir: a fresh directory under the system temp dir, named with the pid and a counter,
// removed with its contents on destruction. For tests only. Not thread-safe.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace reco::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& label = "reco_test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (label + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace reco::testing
