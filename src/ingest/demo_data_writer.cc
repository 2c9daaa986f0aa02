// WriteDemoData: streams the generated rows into JSON-lines files, each written under a
// temporary name, fsynced and renamed into place, then writes the marker file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "ingest/demo_data.h"
#include "ingest/gorse_json.h"
#include "ingest/sources.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

constexpr size_t kFlushBytes = 1 << 20;

// A file that appears under its final name only after Commit().
class AtomicFile {
 public:
  explicit AtomicFile(fs::path path) : path_(std::move(path)) {
    tmp_ = path_;
    tmp_ += ".tmp." + std::to_string(::getpid());
  }
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Status Open() {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Error("cannot create");
    return Status::Ok();
  }
  std::string& buffer() { return buffer_; }
  Status MaybeFlush() { return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok(); }
  Status Commit() {
    RECO_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return Error("cannot fsync");
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return Error("cannot rename");
    committed_ = true;
    return Status::Ok();
  }

 private:
  Status Error(const char* what) const {
    return Internal(std::string(what) + " " + tmp_.string() + ": " + std::strerror(errno));
  }
  Status Flush() {
    const char* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error("cannot write");
      p += n;
      left -= static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::Ok();
  }

  fs::path path_;
  fs::path tmp_;
  int fd_ = -1;
  bool committed_ = false;
  std::string buffer_;
};

class JsonLinesSink final : public DemoDataSink {
 public:
  explicit JsonLinesSink(const fs::path& dir)
      : users_(dir / "users.jsonl"),
        items_(dir / "items.jsonl"),
        feedback_(dir / "feedback.jsonl") {}

  Status Open() {
    RECO_RETURN_IF_ERROR(users_.Open());
    RECO_RETURN_IF_ERROR(items_.Open());
    return feedback_.Open();
  }
  Status Commit() {
    RECO_RETURN_IF_ERROR(users_.Commit());
    RECO_RETURN_IF_ERROR(items_.Commit());
    return feedback_.Commit();
  }
  Status OnItem(const Item& item) override {
    return Append(items_, [&](JsonWriter& w) { WriteItem(w, item); });
  }
  Status OnUser(const User& user, const std::vector<std::string>&) override {
    return Append(users_, [&](JsonWriter& w) { WriteUser(w, user); });
  }
  Status OnFeedback(const Feedback& feedback) override {
    return Append(feedback_, [&](JsonWriter& w) { WriteFeedback(w, feedback); });
  }

 private:
  template <typename Fn>
  Status Append(AtomicFile& file, Fn&& write) {
    JsonWriter w(std::move(scratch_));
    write(w);
    scratch_ = w.Take();
    file.buffer().append(scratch_);
    file.buffer().push_back('\n');
    return file.MaybeFlush();
  }

  AtomicFile users_, items_, feedback_;
  std::string scratch_;
};

}  // namespace

Result<DemoDataStats> WriteDemoData(const fs::path& out_dir, const DemoDataOptions& options,
                                    const Clock& clock) {
  RECO_RETURN_IF_ERROR(EnsureDirectory(out_dir));
  JsonLinesSink sink(out_dir);
  RECO_RETURN_IF_ERROR(sink.Open());
  RECO_ASSIGN_OR_RETURN(DemoDataStats stats, GenerateDemoData(options, clock, sink));
  RECO_RETURN_IF_ERROR(sink.Commit());
  JsonWriter w;
  w.BeginObject();
  w.Key("generator").String("reco demo-data");
  w.Key("users").Int(stats.users);
  w.Key("items").Int(stats.items);
  w.Key("feedback").Int(stats.feedback);
  w.Key("seed").Int(static_cast<int64_t>(options.seed));
  w.Key("days").Int(options.days);
  w.Key("reference_time").Timestamp(stats.reference_time);
  w.Key("categories").StringArray(DemoCategories());
  w.Key("files").StringArray({"users.jsonl", "items.jsonl", "feedback.jsonl"});
  w.EndObject();
  std::string marker = w.Take();
  marker.push_back('\n');
  RECO_RETURN_IF_ERROR(WriteFileAtomic(out_dir / kDemoMarkerFile, marker));
  return stats;
}

}  // namespace reco::ingest
