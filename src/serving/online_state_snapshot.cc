// Snapshots of OnlineState: start-up without replaying every feedback row of the store.
//
// Replaying the store costs a few microseconds a row on one thread (minutes at 50M rows); the
// snapshot is the same state laid out as flat arrays, read sequentially in a fraction of that.
// A snapshot is only written from a state that holds exactly the store's rows up to a watermark
// (right after loading), and is only used when the store still holds exactly those rows below
// the watermark: same row count up to it and the same row at it. Rows deleted or rewritten since
// (which a replay of new rows could not undo) therefore send start-up back to the full replay,
// which then writes a fresh snapshot.
//
// Format (little-endian, fields as written by Writer below):
//   magic "RECOSTAT", u32 version, u64 options fingerprint, str tenant, str store,
//   i64 max_seq, i64 rows, str last user, str last item, str last type,
//   u64 item count + item ids (catalogue index order),
//   u64 user count + per user: id, recent positives, seen, all positives (u32 arrays),
//   u64 indexed user count + ids, u64 item count + per item: user indices (u32 array),
//   u64 checksum of everything before it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "serving/online_state.h"

namespace reco {
namespace {

constexpr char kMagic[8] = {'R', 'E', 'C', 'O', 'S', 'T', 'A', 'T'};
constexpr uint32_t kVersion = 1;

static_assert(std::endian::native == std::endian::little, "snapshots are little-endian");

// A 64-bit checksum over 8-byte words (several GB/s): detects torn and corrupted files, not
// tampering.
class Checksum {
 public:
  void Add(const char* data, size_t n) {
    while (n > 0) {
      size_t take = std::min(n, sizeof(pending_) - pending_size_);
      std::memcpy(reinterpret_cast<char*>(&pending_) + pending_size_, data, take);
      pending_size_ += take;
      data += take;
      n -= take;
      if (pending_size_ == sizeof(pending_)) {
        Mix(pending_);
        pending_ = 0;
        pending_size_ = 0;
      }
      // Whole words straight from the input.
      while (pending_size_ == 0 && n >= 8) {
        uint64_t w;
        std::memcpy(&w, data, 8);
        Mix(w);
        data += 8;
        n -= 8;
      }
    }
  }
  uint64_t Value() const {
    uint64_t h = h_;
    h ^= pending_ + pending_size_ + length_;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
  }

 private:
  void Mix(uint64_t w) {
    h_ = (std::rotl(h_ ^ (w * 0x9e3779b97f4a7c15ULL), 31)) * 0xc2b2ae3d27d4eb4fULL;
    length_ += 8;
  }
  uint64_t h_ = 0x243f6a8885a308d3ULL;
  uint64_t pending_ = 0;
  size_t pending_size_ = 0;
  uint64_t length_ = 0;
};

uint64_t ChecksumOf(std::string_view data) {
  Checksum c;
  c.Add(data.data(), data.size());
  return c.Value();
}

// Buffered writes to a FILE*, checksummed as they go.
class Writer {
 public:
  explicit Writer(FILE* f) : f_(f) { buffer_.reserve(kBuffer); }
  void Bytes(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    checksum_.Add(p, n);
    if (buffer_.size() + n > kBuffer) Flush();
    if (n >= kBuffer) {
      ok_ = ok_ && std::fwrite(p, 1, n, f_) == n;
      return;
    }
    buffer_.append(p, n);
  }
  template <typename T>
  void Pod(T v) {
    Bytes(&v, sizeof(v));
  }
  void Str(std::string_view s) {
    Pod(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void U32s(const std::vector<uint32_t>& v) {
    Pod(static_cast<uint32_t>(v.size()));
    Bytes(v.data(), v.size() * sizeof(uint32_t));
  }
  // Appends the checksum and flushes; false on any write error.
  bool Finish() {
    uint64_t sum = checksum_.Value();
    buffer_.append(reinterpret_cast<const char*>(&sum), sizeof(sum));
    Flush();
    return ok_ && std::fflush(f_) == 0;
  }

 private:
  static constexpr size_t kBuffer = 1 << 22;
  void Flush() {
    if (!buffer_.empty()) ok_ = ok_ && std::fwrite(buffer_.data(), 1, buffer_.size(), f_) ==
                                           buffer_.size();
    buffer_.clear();
  }
  FILE* f_;
  std::string buffer_;
  Checksum checksum_;
  bool ok_ = true;
};

// Bounds-checked reads from the snapshot bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }
  template <typename T>
  T Pod() {
    T v{};
    if (!Take(sizeof(T))) return v;
    std::memcpy(&v, data_.data() + pos_ - sizeof(T), sizeof(T));
    return v;
  }
  std::string_view Str() {
    uint32_t n = Pod<uint32_t>();
    if (!Take(n)) return {};
    return data_.substr(pos_ - n, n);
  }
  void U32s(std::vector<uint32_t>& out, uint32_t bound) {
    uint32_t n = Pod<uint32_t>();
    if (!Take(static_cast<size_t>(n) * sizeof(uint32_t))) return;
    out.resize(n);
    std::memcpy(out.data(), data_.data() + pos_ - n * sizeof(uint32_t), n * sizeof(uint32_t));
    for (uint32_t x : out) {
      if (x >= bound) {
        ok_ = false;
        return;
      }
    }
  }
  // A count of entries that each take at least `min_bytes`: more than the bytes left is corrupt.
  uint64_t Count(size_t min_bytes) {
    uint64_t n = Pod<uint64_t>();
    if (n > (data_.size() - pos_) / std::max<size_t>(1, min_bytes)) ok_ = false;
    return ok_ ? n : 0;
  }
  void Fail() { ok_ = false; }

 private:
  bool Take(size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The file in one read into a string of its size (no stream buffer growing and copying).
Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Internal("cannot stat " + path.string() + ": " + ec.message());
  std::string data(size, '\0');
  if (size > 0 && std::fread(data.data(), 1, size, f.get()) != size) {
    return Internal("cannot read " + path.string());
  }
  return data;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct OnlineState::SnapshotHeader {
  int64_t max_seq = 0;
  int64_t rows = 0;
  Feedback last;  // user, item and type of the row at max_seq
};

uint64_t OnlineState::OptionsFingerprint() const {
  // Which type counts how, and the history length, shape the state: another configuration
  // needs a replay.
  std::vector<std::string> kinds;
  for (const auto& [type, kind] : kinds_) {
    kinds.push_back(type + '=' + std::to_string(static_cast<int>(kind)));
  }
  std::sort(kinds.begin(), kinds.end());
  std::string text = "history=" + std::to_string(options_.history_size);
  for (const auto& k : kinds) text += '\n' + k;
  return ChecksumOf(text);
}

void OnlineState::ClearLocked() {
  item_index_.clear();
  item_ids_.clear();
  items_.clear();
  blocked_.clear();
  category_index_.clear();
  category_names_.clear();
  label_index_.clear();
  item_users_.clear();
  user_index_.clear();
  user_ids_.clear();
  live_counts_.clear();
  for (size_t i = 0; i < kShards; ++i) shards_[i].users.clear();
}

Status OnlineState::WriteSnapshot(const StateSnapshotOptions& options, int64_t max_seq,
                                  int64_t rows, const Feedback& last) const {
  if (options.path.empty()) return InvalidArgument("no snapshot path", "path");
  std::filesystem::path tmp = options.path;
  tmp += ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Internal("cannot write " + tmp.string() + ": " + std::strerror(errno));
  bool ok;
  {
    Writer w(f);
    std::shared_lock catalog_lock(catalog_mu_);
    std::shared_lock index_lock(index_mu_);
    w.Bytes(kMagic, sizeof(kMagic));
    w.Pod(kVersion);
    w.Pod(OptionsFingerprint());
    w.Str(options.tenant);
    w.Str(options.store);
    w.Pod(max_seq);
    w.Pod(rows);
    w.Str(last.user_id);
    w.Str(last.item_id);
    w.Str(last.feedback_type);
    w.Pod(static_cast<uint64_t>(item_ids_.size()));
    for (const auto& id : item_ids_) w.Str(id);
    // Users with no feedback left are not written: a replay of the store would not know them.
    uint64_t users = 0;
    for (size_t i = 0; i < kShards; ++i) {
      std::shared_lock lock(shards_[i].mu);
      for (const auto& [id, user] : shards_[i].users) users += user.seen.empty() ? 0 : 1;
    }
    w.Pod(users);
    uint64_t written = 0;
    for (size_t i = 0; i < kShards; ++i) {
      std::shared_lock lock(shards_[i].mu);
      for (const auto& [id, user] : shards_[i].users) {
        if (user.seen.empty() || written == users) continue;
        w.Str(id);
        w.U32s(user.recent_positive);
        w.U32s(user.seen);
        w.U32s(user.positive_all);
        ++written;
      }
    }
    w.Pod(static_cast<uint64_t>(user_ids_.size()));
    for (const auto& id : user_ids_) w.Str(id);
    w.Pod(static_cast<uint64_t>(item_users_.size()));
    for (const auto& users_of_item : item_users_) w.U32s(users_of_item);
    ok = written == users && w.Finish();
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::filesystem::remove(tmp);
    return Internal("cannot write " + tmp.string() + " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, options.path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    return Internal("cannot rename " + tmp.string() + ": " + ec.message());
  }
  return Status::Ok();
}

Status OnlineState::RestoreSnapshot(std::string_view data, const StateSnapshotOptions& options,
                                    SnapshotHeader& header) {
  if (data.size() < sizeof(kMagic) + sizeof(uint32_t) + sizeof(uint64_t) ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return InvalidArgument("not a state snapshot");
  }
  Reader r(data.substr(0, data.size() - sizeof(uint64_t)));
  r.Pod<uint64_t>();  // the magic
  const uint32_t version = r.Pod<uint32_t>();
  if (version != kVersion) {
    return FailedPrecondition("snapshot version " + std::to_string(version) + ", expected " +
                              std::to_string(kVersion));
  }
  uint64_t stored_sum;
  std::memcpy(&stored_sum, data.data() + data.size() - sizeof(uint64_t), sizeof(uint64_t));
  if (ChecksumOf(data.substr(0, data.size() - sizeof(uint64_t))) != stored_sum) {
    return DataLoss("snapshot checksum mismatch (corrupt or truncated file)");
  }
  if (r.Pod<uint64_t>() != OptionsFingerprint()) {
    return FailedPrecondition("snapshot written for other feedback types or history size");
  }
  if (std::string_view tenant = r.Str(); tenant != options.tenant) {
    return FailedPrecondition("snapshot of tenant \"" + std::string(tenant) + "\", not \"" +
                              options.tenant + "\"");
  }
  if (std::string_view store = r.Str(); store != options.store) {
    return FailedPrecondition("snapshot of store \"" + std::string(store) + "\", not \"" +
                              options.store + "\"");
  }
  header.max_seq = r.Pod<int64_t>();
  header.rows = r.Pod<int64_t>();
  header.last.user_id = r.Str();
  header.last.item_id = r.Str();
  header.last.feedback_type = r.Str();

  std::unique_lock catalog_lock(catalog_mu_);
  std::unique_lock index_lock(index_mu_);
  std::vector<std::unique_lock<std::shared_mutex>> shard_locks;
  for (size_t i = 0; i < kShards; ++i) shard_locks.emplace_back(shards_[i].mu);
  ClearLocked();
  // Catalogue: ids only, every item blocked until the store's item scan (which follows) says
  // it exists; its attributes come from the store, not from the snapshot.
  const uint64_t items = r.Count(sizeof(uint32_t));
  item_index_.reserve(items);
  item_ids_.reserve(items);
  for (uint64_t i = 0; i < items && r.ok(); ++i) {
    std::string_view id = r.Str();
    if (!item_index_.emplace(std::string(id), static_cast<uint32_t>(i)).second) r.Fail();
    item_ids_.emplace_back(id);
  }
  items_.resize(item_ids_.size());
  for (auto& item : items_) item.deleted = true;
  blocked_.assign(item_ids_.size(), 1);
  const uint32_t item_bound = static_cast<uint32_t>(item_ids_.size());
  const uint64_t users = r.Count(4 * sizeof(uint32_t));
  for (uint64_t i = 0; i < users && r.ok(); ++i) {
    std::string_view id = r.Str();
    UserShard& shard = ShardFor(id);
    auto [it, inserted] = shard.users.try_emplace(std::string(id));
    if (!inserted) r.Fail();
    r.U32s(it->second.recent_positive, item_bound);
    r.U32s(it->second.seen, item_bound);
    r.U32s(it->second.positive_all, item_bound);
  }
  const uint64_t indexed = r.Count(sizeof(uint32_t));
  user_index_.reserve(indexed);
  user_ids_.reserve(indexed);
  for (uint64_t i = 0; i < indexed && r.ok(); ++i) {
    std::string_view id = r.Str();
    if (!user_index_.emplace(std::string(id), static_cast<uint32_t>(i)).second) r.Fail();
    user_ids_.emplace_back(id);
  }
  const uint64_t indexed_items = r.Count(sizeof(uint32_t));
  if (indexed_items > item_bound) r.Fail();
  item_users_.resize(r.ok() ? indexed_items : 0);
  for (auto& users_of_item : item_users_) {
    if (!r.ok()) break;
    r.U32s(users_of_item, static_cast<uint32_t>(user_ids_.size()));
  }
  if (!r.ok() || !r.at_end()) {
    ClearLocked();
    return DataLoss("snapshot is malformed");
  }
  return Status::Ok();
}

Result<StateLoadReport> OnlineState::LoadWithSnapshot(Store& store,
                                                      const StateSnapshotOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  StateLoadReport report;
  auto replay_and_write = [&]() -> Result<StateLoadReport> {
    {
      std::unique_lock catalog_lock(catalog_mu_);
      std::unique_lock index_lock(index_mu_);
      std::vector<std::unique_lock<std::shared_mutex>> shard_locks;
      for (size_t i = 0; i < kShards; ++i) shard_locks.emplace_back(shards_[i].mu);
      ClearLocked();
    }
    int64_t rows = 0;
    Feedback last;
    RECO_ASSIGN_OR_RETURN(report.max_seq, ReplayStore(store, rows, last));
    report.from_snapshot = false;
    report.replayed_rows = rows;
    report.snapshot_rows = 0;
    if (!options.path.empty()) {
      auto write_start = std::chrono::steady_clock::now();
      if (Status st = WriteSnapshot(options, report.max_seq, rows, last); st.ok()) {
        report.snapshot_written = true;
        spdlog::info("event=state_snapshot_written path=\"{}\" rows={} max_seq={} seconds={:.3f}",
                     options.path.string(), rows, report.max_seq, SecondsSince(write_start));
      } else {
        spdlog::warn("event=state_snapshot_write_failed path=\"{}\" reason=\"{}\"",
                     options.path.string(), st.ToString());
      }
    }
    report.seconds = SecondsSince(start);
    return report;
  };
  if (options.path.empty()) return replay_and_write();

  auto fall_back = [&](std::string reason) -> Result<StateLoadReport> {
    spdlog::warn("event=state_snapshot_unused path=\"{}\" reason=\"{}\" action=full_replay",
                 options.path.string(), reason);
    Result<StateLoadReport> r = replay_and_write();
    if (r.ok()) r->fallback = std::move(reason);
    return r;
  };

  std::error_code ec;
  if (!std::filesystem::exists(options.path, ec)) {
    // The first start of a data directory: nothing to warn about.
    spdlog::info("event=state_snapshot_absent path=\"{}\" action=full_replay",
                 options.path.string());
    Result<StateLoadReport> r = replay_and_write();
    if (r.ok()) r->fallback = "no snapshot";
    return r;
  }
  SnapshotHeader header;
  {
    Result<std::string> data = ReadWholeFile(options.path);
    if (!data.ok()) return fall_back(data.status().ToString());
    if (Status st = RestoreSnapshot(*data, options, header); !st.ok()) {
      return fall_back(st.message());
    }
  }  // the bytes are freed before the rows after the snapshot are read

  // The catalogue's attributes from the store; items the store no longer has stay blocked.
  if (Status st = store.ScanItems([this](const Item& item) { UpsertItem(item); }); !st.ok()) {
    return st.WithPrefix("loading items");
  }
  // The rows after the snapshot, starting one before it so that the row at its watermark can
  // be checked: the same row must still be there.
  int64_t after = 0;
  bool last_checked = header.max_seq == 0;
  std::string mismatch;
  std::vector<Feedback> batch;
  constexpr size_t kBatch = 10'000;
  Status st = store.ScanFeedback(
      std::max<int64_t>(0, header.max_seq - 1), [&](const FeedbackRecord& rec) {
        if (!mismatch.empty()) return;
        if (!last_checked) {
          last_checked = true;
          const Feedback& f = rec.feedback;
          if (rec.seq != header.max_seq || f.user_id != header.last.user_id ||
              f.item_id != header.last.item_id ||
              f.feedback_type != header.last.feedback_type) {
            mismatch = "the row at the snapshot's seq " + std::to_string(header.max_seq) +
                       " was deleted or rewritten";
            return;
          }
          if (rec.seq == header.max_seq) return;
        }
        if (rec.seq <= header.max_seq) return;
        batch.push_back(rec.feedback);
        report.max_seq = std::max(report.max_seq, rec.seq);
        ++after;
        if (batch.size() == kBatch) {
          ApplyFeedback(batch, /*count_live=*/false);
          batch.clear();
        }
      });
  if (!st.ok()) return st.WithPrefix("loading feedback");
  if (!last_checked) mismatch = "the row at the snapshot's seq was deleted";
  if (!mismatch.empty()) return fall_back(mismatch);
  if (!batch.empty()) ApplyFeedback(batch, /*count_live=*/false);
  RECO_ASSIGN_OR_RETURN(StoreCounts counts, store.Counts());
  if (counts.feedback != header.rows + after) {
    return fall_back("the store holds " + std::to_string(counts.feedback) +
                     " feedback rows, the snapshot " + std::to_string(header.rows) + " and " +
                     std::to_string(after) + " newer: rows were deleted or rewritten since");
  }
  ResetLiveCounts();
  report.from_snapshot = true;
  report.max_seq = std::max(report.max_seq, header.max_seq);
  report.snapshot_rows = header.rows;
  report.replayed_rows = after;
  // Many rows since the snapshot: a new one spares the next start the same replay. The state
  // holds exactly the store's rows now (just checked).
  if (after > 0 && after >= options.rewrite_after_rows &&
      static_cast<double>(after) >=
          options.rewrite_after_share * static_cast<double>(header.rows)) {
    Feedback last;
    Status scan = store.ScanFeedback(report.max_seq - 1, [&](const FeedbackRecord& rec) {
      if (rec.seq == report.max_seq) last = rec.feedback;
    });
    if (scan.ok() && !last.user_id.empty()) {
      if (Status w = WriteSnapshot(options, report.max_seq, header.rows + after, last); w.ok()) {
        report.snapshot_written = true;
      } else {
        spdlog::warn("event=state_snapshot_write_failed path=\"{}\" reason=\"{}\"",
                     options.path.string(), w.ToString());
      }
    }
  }
  report.seconds = SecondsSince(start);
  return report;
}

}  // namespace reco
