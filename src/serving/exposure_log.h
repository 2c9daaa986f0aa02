// ExposureLog: appends every served recommendation list as one JSON line to
// DATA_DIR/evaluation/exposure_log.jsonl, rotating the file past a size (exposure_log.jsonl ->
// .1 -> .2 ...). Line format (read by the pipeline's evaluate task):
// {"ts","request_id","user_id","scenario","model_version","variant","items":[ids in order]}, with
// "experiments":{"<experiment id>":"<variant>",…} before "items" when the user was in A/B
// experiments (experiment/exposures.h reads it for the experiments' results).
//
// The request path only serialises the line into a buffer of its own stripe (one uncontended
// mutex, no allocation once warm, no thread woken); a background writer swaps the buffers out
// every `flush_interval_ms`, or as soon as a stripe holds a quarter of its share of
// `queue_capacity`, and writes them. Lines of one thread keep their order.
//
// Thread-safety: Append(), Flush() and the counters are safe from any thread; Append() never
// blocks on I/O and drops the record (counted) when its stripe is full.
// Lifetime: the destructor writes what is buffered and joins the writer thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/exposure_line.h"  // ExposureExperiment; the format read back

namespace reco {

struct ExposureExperimentRef {
  std::string_view id;
  std::string_view variant;
};

struct ExposureRecord {
  TimestampUs ts = 0;
  std::string request_id;
  std::string user_id;
  std::string scenario;       // route or category, e.g. "recommend", "recommend/books"
  std::string model_version;  // run id, or the models' creation time without a registry
  std::string variant;        // "primary", "canary" or "shadow"
  std::vector<std::string> items;
  std::vector<ExposureExperiment> experiments;  // none by default
};

// The same fields, borrowed: what the request path logs without copying strings.
struct ExposureRef {
  TimestampUs ts = 0;
  std::string_view request_id;
  std::string_view user_id;
  std::string_view scenario;
  std::string_view model_version;
  std::string_view variant;
  std::span<const std::string_view> items;
  std::span<const ExposureExperimentRef> experiments;
};

// Appends the JSON line of `record` to `out`, without the trailing newline.
void AppendExposureJson(std::string& out, const ExposureRef& record);
// The JSON line of `record`, without the trailing newline.
std::string ExposureToJson(const ExposureRecord& record);

struct ExposureLogOptions {
  std::filesystem::path path;         // e.g. DATA_DIR/evaluation/exposure_log.jsonl
  uint64_t max_bytes = 256ull << 20;  // rotate before a line would take the file past this
  int keep_rotated = 5;               // exposure_log.jsonl.1 .. .N are kept
  size_t queue_capacity = 10000;      // records buffered and not yet written; more are dropped
  int flush_interval_ms = 100;        // the writer's period (a full stripe wakes it earlier)
};

class ExposureLog {
 public:
  // Creates the parent directory and opens the file for appending; Internal naming the path
  // when it cannot.
  static Result<std::unique_ptr<ExposureLog>> Open(ExposureLogOptions options);
  ~ExposureLog();
  ExposureLog(const ExposureLog&) = delete;
  ExposureLog& operator=(const ExposureLog&) = delete;

  // Buffers the record; false (and dropped() + 1) when the stripe is full or the log is closed.
  bool Append(const ExposureRef& record);
  bool Append(const ExposureRecord& record);
  // Returns once every record buffered before the call has been written (or failed).
  void Flush();

  uint64_t written() const;
  uint64_t dropped() const;       // buffer full
  uint64_t write_errors() const;  // records lost to I/O errors
  uint64_t rotations() const;
  const std::filesystem::path& path() const { return options_.path; }

 private:
  static constexpr size_t kStripes = 8;
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::string lines;  // whole lines, '\n'-terminated
    size_t records = 0;
    uint64_t dropped = 0;
    bool closed = false;
  };

  explicit ExposureLog(ExposureLogOptions options);
  Status OpenFile();
  Stripe& StripeOfThisThread();
  void Run();
  // Writes every stripe's lines; `taken` holds the swapped-out buffers (capacity reused).
  void WriteAll(std::array<std::string, kStripes>& taken);
  void WriteLines(std::string_view lines);  // whole lines
  Status Rotate();

  ExposureLogOptions options_;
  size_t stripe_capacity_ = 0;  // records per stripe
  size_t wake_records_ = 0;     // a stripe reaching this many records wakes the writer
  std::array<Stripe, kStripes> stripes_;
  std::FILE* file_ = nullptr;  // writer thread only (and Open)
  uint64_t size_ = 0;          // writer thread only
  mutable std::mutex mu_;      // guards what follows
  std::condition_variable wake_;
  std::condition_variable flushed_;
  bool wake_requested_ = false;
  uint64_t flush_requested_ = 0;  // Flush() calls so far
  uint64_t flush_done_ = 0;       // Flush() calls answered by a completed pass
  uint64_t written_ = 0;
  uint64_t write_errors_ = 0;
  uint64_t rotations_ = 0;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace reco
