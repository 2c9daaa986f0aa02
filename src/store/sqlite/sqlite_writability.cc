// Writability of the sqlite store: read-only opening (asked for or detected at start-up), the
// "disk full" state after a write that found no space, and the write-failure observer.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

// Why `path` cannot be written, as precisely as the system tells: the error of opening it for
// writing, else its directory's, else SQLite's `probe` message.
std::string WhyNotWritable(const std::filesystem::path& path, const Status& probe) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string why = std::string("cannot open it for writing: ") + std::strerror(err);
    if (err == EPERM) why += " (is the file immutable? see lsattr)";
    return why;
  }
  ::close(fd);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  if (::access(dir.c_str(), W_OK) != 0) {
    return "its directory " + dir.string() + " is not writable (" + std::strerror(errno) +
           "); SQLite creates its -wal and -shm files there";
  }
  return probe.message();
}

// SQLite result codes that say the database cannot be written at all (as opposed to a lock
// held by another process, or a full disk).
bool MeansNotWritable(int rc) {
  switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status SqliteStore::OpenWriter() {
  const std::filesystem::path& path = options_.path;
  if (options_.read_only) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return FailedPrecondition("database " + path.string() +
                                " does not exist: a read-only store (--read-only, "
                                "database.read_only) serves an existing database");
    }
    RECO_ASSIGN_OR_RETURN(writer_, Connection::Open(path, /*create=*/false,
                                                    options_.busy_timeout_ms, /*read_only=*/true));
    read_only_ = true;
    read_only_message_ = "the store is read-only: it was opened with --read-only "
                         "(database.read_only = true), writes to " +
                         path.string() + " are refused";
    return writer_->Exec("PRAGMA query_only = 1");
  }
  RECO_ASSIGN_OR_RETURN(writer_,
                        Connection::Open(path, /*create=*/true, options_.busy_timeout_ms));
  Status probe = ProbeWrite(*writer_);
  if (probe.ok()) return Status::Ok();
  read_only_ = true;
  read_only_message_ =
      "database " + path.string() + " is not writable: " + WhyNotWritable(path, probe);
  return Status::Ok();
}

Status SqliteStore::ProbeWrite(Connection& conn) {
  if (sqlite3_db_readonly(conn.db(), "main") == 1) {
    return Unavailable("SQLite could only open it read-only");
  }
  // A schema change in a transaction that is rolled back: it takes the write lock and writes
  // a page (journal or WAL files included) without changing the database.
  int rc = sqlite3_exec(conn.db(), "BEGIN IMMEDIATE; CREATE TABLE reco_write_probe(x)", nullptr,
                        nullptr, nullptr);
  Status st = rc == SQLITE_OK ? Status::Ok() : ErrorStatus(conn.db(), rc, "write probe");
  if (sqlite3_get_autocommit(conn.db()) == 0) {
    sqlite3_exec(conn.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  // Busy (another writer) or full: the file itself is writable.
  return MeansNotWritable(rc) ? st : Status::Ok();
}

Status SqliteStore::CheckSchemaReadOnly(Connection& conn) {
  RECO_ASSIGN_OR_RETURN(int version, CurrentSchemaVersion(conn));
  if (version == LatestSchemaVersion()) return Status::Ok();
  return FailedPrecondition(read_only_message_ + "; and its schema (version " +
                            std::to_string(version) + ") is not this reco's (version " +
                            std::to_string(LatestSchemaVersion()) +
                            "): a read-only database cannot be migrated, open it writable once");
}

StoreWritability SqliteStore::Writability() {
  StoreWritability w;
  if (read_only_) {
    w.writable = false;
    w.read_only = true;
    w.read_only_requested = options_.read_only;
    w.reason = std::string(kWriteFailureReadOnly);
    w.message = read_only_message_;
    return w;
  }
  if (!disk_full_.load(std::memory_order_acquire)) return w;
  std::lock_guard lock(state_mu_);
  if (disk_full_message_.empty()) return w;
  w.writable = false;
  w.reason = std::string(kWriteFailureDiskFull);
  w.message = disk_full_message_;
  return w;
}

void SqliteStore::ReportWriteFailure(std::string_view reason) const {
  if (options_.on_write_failure) options_.on_write_failure(reason);
}

void SqliteStore::NoteGroupOutcome(std::span<WriteOp* const> group) {
  const Status* full = nullptr;
  for (const WriteOp* op : group) {
    const Status& st = op->result->status();
    switch (st.code()) {
      case StatusCode::kInsufficientStorage:
        full = &st;
        ReportWriteFailure(kWriteFailureDiskFull);
        break;
      case StatusCode::kUnavailable:
        ReportWriteFailure(kWriteFailureUnavailable);
        break;
      case StatusCode::kInternal:
      case StatusCode::kDataLoss:
        ReportWriteFailure(kWriteFailureError);
        break;
      default:  // ok, or the call's own fault (unknown id, bad argument)
        break;
    }
  }
  if (full == nullptr) return;
  std::lock_guard lock(state_mu_);
  disk_full_message_ = full->message();
  disk_full_.store(true, std::memory_order_release);
}

void SqliteStore::NoteCommitted() {
  if (!disk_full_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(state_mu_);
  disk_full_message_.clear();
  disk_full_.store(false, std::memory_order_release);
}

}  // namespace reco::sqlite
