#include "serving/exposure_log.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/json_writer.h"

namespace reco {

std::string ExposureToJson(const ExposureRecord& r) {
  JsonWriter w;
  w.BeginObject().Key("ts").Timestamp(r.ts);
  w.Key("request_id").String(r.request_id);
  w.Key("user_id").String(r.user_id);
  w.Key("scenario").String(r.scenario);
  w.Key("model_version").String(r.model_version);
  w.Key("variant").String(r.variant);
  w.Key("items").StringArray(r.items);
  w.EndObject();
  return w.Take();
}

ExposureLog::ExposureLog(ExposureLogOptions options) : options_(std::move(options)) {}

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

bool ExposureLog::Append(ExposureRecord record) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || queue_.size() >= options_.queue_capacity) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(record));
    ++enqueued_;
  }
  wake_.notify_one();
  return true;
}

void ExposureLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = enqueued_;
  flushed_.wait(lock, [&] { return done_ >= target; });
}

void ExposureLog::Run() {
  std::deque<ExposureRecord> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
    }
    WriteBatch(batch);
    {
      std::lock_guard lock(mu_);
      done_ += batch.size();
    }
    flushed_.notify_all();
    batch.clear();
  }
}

void ExposureLog::WriteBatch(const std::deque<ExposureRecord>& batch) {
  uint64_t ok = 0, failed = 0, rotated = 0;
  for (const ExposureRecord& record : batch) {
    std::string line = ExposureToJson(record);
    line.push_back('\n');
    if (size_ > 0 && size_ + line.size() > options_.max_bytes) {
      if (Status st = Rotate(); !st.ok()) {
        spdlog::warn("event=exposure_log_rotate_failed reason=\"{}\"", st.ToString());
      } else {
        ++rotated;
      }
    }
    if (file_ == nullptr || std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      ++failed;
      continue;
    }
    size_ += line.size();
    ++ok;
  }
  if (file_ != nullptr && std::fflush(file_) != 0) {
    spdlog::warn("event=exposure_log_write_failed file={} reason=\"{}\"", options_.path.string(),
                 std::strerror(errno));
  }
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
  std::lock_guard lock(mu_);
  return dropped_;
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
