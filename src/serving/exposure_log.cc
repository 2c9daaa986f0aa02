#include "serving/exposure_log.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/json_writer.h"

namespace reco {
namespace {

// AppendTimestamp with the text of the whole second cached per thread: most lines of a burst
// share their second.
void AppendTimestampCached(std::string& out, TimestampUs ts) {
  thread_local TimestampUs cached_second = -1;
  thread_local std::string cached_text;  // "YYYY-MM-DDTHH:MM:SS"
  const TimestampUs micros = ((ts % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond;
  const TimestampUs second = ts - micros;
  if (second != cached_second) {
    cached_text.clear();
    AppendTimestamp(cached_text, second);
    cached_text.pop_back();  // 'Z'
    cached_second = second;
  }
  out += cached_text;
  if (micros != 0) {
    char digits[7] = {'.'};  // six digits, trailing zeros dropped
    int64_t rest = micros;
    for (int i = 6; i >= 1; --i, rest /= 10) digits[i] = static_cast<char>('0' + rest % 10);
    int len = 7;
    while (digits[len - 1] == '0') --len;
    out.append(digits, static_cast<size_t>(len));
  }
  out.push_back('Z');
}

// Borrows `record`'s strings; `ids` and `experiments` hold the views for as long as the result
// is used.
ExposureRef RefOf(const ExposureRecord& record, std::vector<std::string_view>& ids,
                  std::vector<ExposureExperimentRef>& experiments) {
  ids.assign(record.items.begin(), record.items.end());
  experiments.clear();
  for (const ExposureExperiment& e : record.experiments) experiments.push_back({e.id, e.variant});
  return {.ts = record.ts,
          .request_id = record.request_id,
          .user_id = record.user_id,
          .scenario = record.scenario,
          .model_version = record.model_version,
          .variant = record.variant,
          .items = ids,
          .experiments = experiments};
}

}  // namespace

void AppendExposureJson(std::string& out, const ExposureRef& r) {
  out += "{\"ts\":\"";
  AppendTimestampCached(out, r.ts);
  out += "\",\"request_id\":";
  AppendJsonString(out, r.request_id);
  out += ",\"user_id\":";
  AppendJsonString(out, r.user_id);
  out += ",\"scenario\":";
  AppendJsonString(out, r.scenario);
  out += ",\"model_version\":";
  AppendJsonString(out, r.model_version);
  out += ",\"variant\":";
  AppendJsonString(out, r.variant);
  if (!r.experiments.empty()) {
    out += ",\"experiments\":{";
    for (size_t i = 0; i < r.experiments.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(out, r.experiments[i].id);
      out.push_back(':');
      AppendJsonString(out, r.experiments[i].variant);
    }
    out.push_back('}');
  }
  out += ",\"items\":[";
  for (size_t i = 0; i < r.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, r.items[i]);
  }
  out += "]}";
}

std::string ExposureToJson(const ExposureRecord& record) {
  std::vector<std::string_view> ids;
  std::vector<ExposureExperimentRef> experiments;
  std::string out;
  AppendExposureJson(out, RefOf(record, ids, experiments));
  return out;
}

ExposureLog::ExposureLog(ExposureLogOptions options) : options_(std::move(options)) {
  stripe_capacity_ = (options_.queue_capacity + kStripes - 1) / kStripes;
  wake_records_ = std::max<size_t>(1, stripe_capacity_ / 4);
  options_.flush_interval_ms = std::max(1, options_.flush_interval_ms);
}

Result<std::unique_ptr<ExposureLog>> ExposureLog::Open(ExposureLogOptions options) {
  std::unique_ptr<ExposureLog> log(new ExposureLog(std::move(options)));
  std::error_code ec;
  std::filesystem::create_directories(log->options_.path.parent_path(), ec);
  if (ec) {
    return Internal("cannot create the exposure log directory " +
                    log->options_.path.parent_path().string() + ": " + ec.message());
  }
  RECO_RETURN_IF_ERROR(log->OpenFile());
  log->writer_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

ExposureLog::~ExposureLog() {
  // Closed stripes take no more records, so the writer's last pass sees all of them.
  for (Stripe& stripe : stripes_) {
    std::lock_guard lock(stripe.mu);
    stripe.closed = true;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (file_ != nullptr) std::fclose(file_);
}

Status ExposureLog::OpenFile() {
  file_ = std::fopen(options_.path.c_str(), "ab");
  if (file_ == nullptr) {
    return Internal("cannot open the exposure log " + options_.path.string() + ": " +
                    std::strerror(errno));
  }
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(options_.path, ec);
  size_ = ec ? 0 : size;
  return Status::Ok();
}

ExposureLog::Stripe& ExposureLog::StripeOfThisThread() {
  static std::atomic<size_t> next_thread{0};
  thread_local const size_t index = next_thread.fetch_add(1, std::memory_order_relaxed);
  return stripes_[index % kStripes];
}

bool ExposureLog::Append(const ExposureRef& record) {
  Stripe& stripe = StripeOfThisThread();
  bool wake = false;
  {
    std::lock_guard lock(stripe.mu);
    if (stripe.closed || stripe.records >= stripe_capacity_) {
      ++stripe.dropped;
      return false;
    }
    AppendExposureJson(stripe.lines, record);
    stripe.lines.push_back('\n');
    wake = ++stripe.records == wake_records_;
  }
  if (wake) {
    {
      std::lock_guard lock(mu_);
      wake_requested_ = true;
    }
    wake_.notify_one();
  }
  return true;
}

bool ExposureLog::Append(const ExposureRecord& record) {
  std::vector<std::string_view> ids;
  std::vector<ExposureExperimentRef> experiments;
  return Append(RefOf(record, ids, experiments));
}

void ExposureLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket; });
}

void ExposureLog::Run() {
  std::array<std::string, kStripes> taken;
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  while (true) {
    uint64_t answered = 0;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, interval,
                     [&] { return stop_ || wake_requested_ || flush_requested_ > flush_done_; });
      wake_requested_ = false;
      answered = flush_requested_;
      stopping = stop_;
    }
    WriteAll(taken);
    {
      std::lock_guard lock(mu_);
      flush_done_ = answered;
    }
    flushed_.notify_all();
    if (stopping) return;
  }
}

void ExposureLog::WriteAll(std::array<std::string, kStripes>& taken) {
  bool any = false;
  for (size_t i = 0; i < kStripes; ++i) {
    {
      std::lock_guard lock(stripes_[i].mu);
      if (stripes_[i].records == 0) continue;
      stripes_[i].records = 0;
      stripes_[i].lines.swap(taken[i]);
    }
    WriteLines(taken[i]);
    taken[i].clear();
    any = true;
  }
  if (any && file_ != nullptr && std::fflush(file_) != 0) {
    spdlog::warn("event=exposure_log_write_failed file={} reason=\"{}\"", options_.path.string(),
                 std::strerror(errno));
  }
}

void ExposureLog::WriteLines(std::string_view lines) {
  uint64_t ok = 0, failed = 0, rotated = 0;
  size_t run_start = 0, run_lines = 0, pos = 0;
  // Writes lines [run_start, end) with one call.
  auto write_run = [&](size_t end) {
    if (end == run_start) return;
    const size_t bytes = end - run_start;
    if (file_ == nullptr || std::fwrite(lines.data() + run_start, 1, bytes, file_) != bytes) {
      failed += run_lines;
    } else {
      size_ += bytes;
      ok += run_lines;
    }
    run_start = end;
    run_lines = 0;
  };
  while (pos < lines.size()) {
    const size_t newline = lines.find('\n', pos);
    const size_t next = newline == std::string_view::npos ? lines.size() : newline + 1;
    const uint64_t pending = size_ + (pos - run_start);
    if (pending > 0 && pending + (next - pos) > options_.max_bytes) {
      write_run(pos);
      if (Status st = Rotate(); !st.ok()) {
        spdlog::warn("event=exposure_log_rotate_failed reason=\"{}\"", st.ToString());
      } else {
        ++rotated;
      }
    }
    ++run_lines;
    pos = next;
  }
  write_run(pos);
  if (failed > 0) {
    spdlog::warn("event=exposure_log_write_failed file={} records={}", options_.path.string(),
                 failed);
  }
  std::lock_guard lock(mu_);
  written_ += ok;
  write_errors_ += failed;
  rotations_ += rotated;
}

Status ExposureLog::Rotate() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  auto rotated = [&](int k) {
    return std::filesystem::path(options_.path.string() + "." + std::to_string(k));
  };
  std::error_code ec;
  std::filesystem::remove(rotated(options_.keep_rotated), ec);
  for (int k = options_.keep_rotated - 1; k >= 1; --k) {
    if (std::filesystem::exists(rotated(k), ec))
      std::filesystem::rename(rotated(k), rotated(k + 1), ec);
  }
  if (options_.keep_rotated >= 1) {
    std::filesystem::rename(options_.path, rotated(1), ec);
  } else {
    std::filesystem::remove(options_.path, ec);
  }
  Status renamed =
      ec ? Internal("cannot rotate " + options_.path.string() + ": " + ec.message()) : Status::Ok();
  RECO_RETURN_IF_ERROR(OpenFile());
  return renamed;
}

uint64_t ExposureLog::written() const {
  std::lock_guard lock(mu_);
  return written_;
}
uint64_t ExposureLog::dropped() const {
  uint64_t total = 0;
  for (const Stripe& stripe : stripes_) {
    std::lock_guard lock(stripe.mu);
    total += stripe.dropped;
  }
  return total;
}
uint64_t ExposureLog::write_errors() const {
  std::lock_guard lock(mu_);
  return write_errors_;
}
uint64_t ExposureLog::rotations() const {
  std::lock_guard lock(mu_);
  return rotations_;
}

}  // namespace reco
