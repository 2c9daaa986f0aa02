#include "ingest/importer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <thread>

#include "ingest/time_limits.h"
#include "store/import_stream.h"

namespace reco::ingest {
namespace {

// What every source of one import is read with: the clock's now for rows without a time, the
// latest time accepted, the positive threshold and the CSV dialect.
SourceOptions SourceOptionsOf(const ImportOptions& options) {
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Get();
  SourceOptions source;
  source.default_timestamp = clock.NowMicros();
  source.latest_timestamp =
      LatestAcceptedTimestamp(source.default_timestamp, options.max_future_skew_seconds);
  source.positive_threshold = options.positive_threshold;
  source.csv = options.csv;
  return source;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status StrictFailure(const std::vector<ImportIssue>& issues) {
  constexpr size_t kListed = 5;
  std::string msg = std::to_string(issues.size()) + " bad line" + (issues.size() == 1 ? "" : "s") +
                    "; nothing imported (--strict):";
  for (size_t i = 0; i < issues.size() && i < kListed; ++i) msg += "\n  " + issues[i].ToString();
  if (issues.size() > kListed)
    msg += "\n  ... and " + std::to_string(issues.size() - kListed) + " more";
  return InvalidArgument(std::move(msg), "--strict");
}

}  // namespace

Result<ImportRead> ReadImport(const ImportOptions& options) {
  if (options.paths.empty()) return InvalidArgument("no input paths given", "PATH");
  auto start = std::chrono::steady_clock::now();
  const SourceOptions source = SourceOptionsOf(options);
  ImportRead read;
  for (const auto& path : options.paths) {
    size_t before = read.batch.rows();
    RECO_RETURN_IF_ERROR(ReadSource(path, options.format, source, read.batch, read.issues));
    if (options.progress != nullptr) options.progress->Add(read.batch.rows() - before);
  }
  read.stats.users = static_cast<int64_t>(read.batch.users.size());
  read.stats.items = static_cast<int64_t>(read.batch.items.size());
  read.stats.feedback = static_cast<int64_t>(read.batch.feedback.size());
  read.stats.skipped_lines = static_cast<int64_t>(read.issues.size());
  read.stats.read_seconds = SecondsSince(start);
  return read;
}

Status WriteImport(Store& store, ImportRead& read, const ImportOptions& options) {
  if (options.strict && !read.issues.empty()) return StrictFailure(read.issues);
  auto start = std::chrono::steady_clock::now();
  InsertFeedbackOptions insert;
  insert.overwrite = false;
  insert.auto_insert_users = true;
  insert.auto_insert_items = true;
  Status st = store.Import(read.batch.users, read.batch.items, read.batch.feedback, insert);
  read.stats.write_seconds = SecondsSince(start);
  if (!st.ok()) return st.WithPrefix("import failed, nothing was written");
  return Status::Ok();
}

namespace {

// Chunks from the reading thread to the writing one; at most `capacity` wait.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}
  // False once the writer gave up: the chunk is dropped and reading should stop.
  bool Push(ImportBatch&& chunk) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return chunks_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
  }
  // False when the reader finished and every chunk was taken.
  bool Pop(ImportBatch& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || finished_; });
    if (chunks_.empty()) return false;
    out = std::move(chunks_.front());
    chunks_.pop_front();
    cv_.notify_all();
    return true;
  }
  void Finish(Status status) {
    std::lock_guard lock(mu_);
    finished_ = true;
    status_ = std::move(status);
    cv_.notify_all();
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    chunks_.clear();
    cv_.notify_all();
  }
  Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ImportBatch> chunks_;
  bool finished_ = false;
  bool cancelled_ = false;
  Status status_;
};

// For stores without StreamingImport: every chunk kept, then one Import call.
Status CollectAndImport(Store& store, const ImportChunkFn& next,
                        const InsertFeedbackOptions& options) {
  ImportChunk all;
  ImportChunk chunk;
  for (bool more = true; more;) {
    chunk.clear();
    RECO_ASSIGN_OR_RETURN(more, next(chunk));
    std::move(chunk.users.begin(), chunk.users.end(), std::back_inserter(all.users));
    std::move(chunk.items.begin(), chunk.items.end(), std::back_inserter(all.items));
    std::move(chunk.feedback.begin(), chunk.feedback.end(), std::back_inserter(all.feedback));
  }
  return store.Import(all.users, all.items, all.feedback, options);
}

}  // namespace

Status ImportPaths(Store& store, const ImportOptions& options, ImportResult& result) {
  result = ImportResult{};
  if (options.paths.empty()) return InvalidArgument("no input paths given", "PATH");
  const auto start = std::chrono::steady_clock::now();
  SourceOptions source = SourceOptionsOf(options);
  source.read_block_bytes = options.read_block_bytes;

  // The reading thread owns `issues` and `stats` until it finished (queue.Finish).
  ChunkQueue queue(2);
  std::vector<ImportIssue> issues;
  ImportStats stats;
  std::atomic<size_t> bad_lines{0};
  std::thread reader([&] {
    ImportBatch batch;
    batch.spill_rows = std::max<size_t>(1, options.chunk_rows);
    batch.spill = [&](ImportBatch& full) {
      stats.users += static_cast<int64_t>(full.users.size());
      stats.items += static_cast<int64_t>(full.items.size());
      stats.feedback += static_cast<int64_t>(full.feedback.size());
      if (options.progress != nullptr) options.progress->Add(full.rows());
      bad_lines.store(issues.size());
      ImportBatch chunk;
      chunk.users = std::move(full.users);
      chunk.items = std::move(full.items);
      chunk.feedback = std::move(full.feedback);
      full.users.clear();
      full.items.clear();
      full.feedback.clear();
      return queue.Push(std::move(chunk));
    };
    Status st;
    for (const auto& path : options.paths) {
      st = ReadSource(path, options.format, source, batch, issues);
      if (!st.ok()) break;
      // What is left of a path is written before the next path is read.
      if (batch.rows() > 0 && !batch.spill(batch)) break;
    }
    bad_lines.store(issues.size());
    stats.read_seconds = SecondsSince(start);
    queue.Finish(std::move(st));
  });

  bool strict_failed = false;
  Status read_status;
  auto next = [&](ImportChunk& chunk) -> Result<bool> {
    ImportBatch taken;
    while (queue.Pop(taken)) {
      // Under --strict a bad line means nothing is written: the rest is only read, so that
      // every bad line is reported.
      if (options.strict && bad_lines.load() > 0) continue;
      chunk.users = std::move(taken.users);
      chunk.items = std::move(taken.items);
      chunk.feedback = std::move(taken.feedback);
      return true;
    }
    read_status = queue.status();
    if (!read_status.ok()) return read_status;
    if (options.strict && bad_lines.load() > 0) {
      strict_failed = true;
      return InvalidArgument("bad lines under --strict", "--strict");
    }
    return false;
  };
  InsertFeedbackOptions insert;
  insert.overwrite = false;
  insert.auto_insert_users = true;
  insert.auto_insert_items = true;
  Status written;
  if (auto* streaming = dynamic_cast<StreamingImport*>(&store); streaming != nullptr) {
    written = streaming->ImportStream(next, insert);
  } else {
    written = CollectAndImport(store, next, insert);
  }
  queue.Cancel();  // a failed write: the reader stops at its next chunk
  reader.join();
  result.issues = std::move(issues);
  result.stats = stats;
  result.stats.skipped_lines = static_cast<int64_t>(result.issues.size());
  // Reading and writing overlap: the write time is what the import took after the reading.
  result.stats.write_seconds = std::max(0.0, SecondsSince(start) - result.stats.read_seconds);
  if (!read_status.ok()) return read_status;
  if (strict_failed) return StrictFailure(result.issues);
  if (!written.ok()) return written.WithPrefix("import failed, nothing was written");
  return Status::Ok();
}

Result<ImportResult> ImportPaths(Store& store, const ImportOptions& options) {
  ImportResult result;
  RECO_RETURN_IF_ERROR(ImportPaths(store, options, result));
  return result;
}

}  // namespace reco::ingest
