// ExposureLog: appends every served recommendation list as one JSON line to
// DATA_DIR/evaluation/exposure_log.jsonl from a background thread, rotating the file past a
// size (exposure_log.jsonl -> .1 -> .2 ...). Line format (read by the pipeline's evaluate task):
// {"ts","request_id","user_id","scenario","model_version","variant","items":[ids in order]}.
//
// Thread-safety: Append(), Flush() and the counters are safe from any thread; Append() never
// blocks on I/O and drops the record (counted) when the bounded queue is full.
// Lifetime: the destructor writes what is queued and joins the writer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco {

struct ExposureRecord {
  TimestampUs ts = 0;
  std::string request_id;
  std::string user_id;
  std::string scenario;       // route or category, e.g. "recommend", "recommend/books"
  std::string model_version;  // run id, or the models' creation time without a registry
  std::string variant;        // "primary", "canary" or "shadow"
  std::vector<std::string> items;
};

// The JSON line of `record`, without the trailing newline.
std::string ExposureToJson(const ExposureRecord& record);

struct ExposureLogOptions {
  std::filesystem::path path;         // e.g. DATA_DIR/evaluation/exposure_log.jsonl
  uint64_t max_bytes = 256ull << 20;  // rotate before a line would take the file past this
  int keep_rotated = 5;               // exposure_log.jsonl.1 .. .N are kept
  size_t queue_capacity = 10000;      // records waiting to be written; more are dropped
};

class ExposureLog {
 public:
  // Creates the parent directory and opens the file for appending; Internal naming the path
  // when it cannot.
  static Result<std::unique_ptr<ExposureLog>> Open(ExposureLogOptions options);
  ~ExposureLog();
  ExposureLog(const ExposureLog&) = delete;
  ExposureLog& operator=(const ExposureLog&) = delete;

  // Queues the record; false (and dropped() + 1) when the queue is full or the log is closed.
  bool Append(ExposureRecord record);
  // Returns once every record queued before the call has been written (or failed).
  void Flush();

  uint64_t written() const;
  uint64_t dropped() const;       // queue full
  uint64_t write_errors() const;  // records lost to I/O errors
  uint64_t rotations() const;
  const std::filesystem::path& path() const { return options_.path; }

 private:
  explicit ExposureLog(ExposureLogOptions options);
  Status OpenFile();
  void Run();
  void WriteBatch(const std::deque<ExposureRecord>& batch);
  Status Rotate();

  ExposureLogOptions options_;
  std::FILE* file_ = nullptr;  // writer thread only (and Open)
  uint64_t size_ = 0;          // writer thread only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::deque<ExposureRecord> queue_;
  uint64_t enqueued_ = 0;  // records ever queued (mu_)
  uint64_t done_ = 0;      // records ever handled by the writer (mu_)
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
  uint64_t write_errors_ = 0;
  uint64_t rotations_ = 0;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace reco
