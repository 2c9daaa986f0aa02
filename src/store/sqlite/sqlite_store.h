// The embedded SQLite Store backend (the default): one database file in WAL mode, one writer
// connection fed by a queue (concurrent write calls are group-committed: one transaction and one
// commit for the calls queued together, each with its own result), a small pool of reader
// connections, ids interned to integers.
//
// Thread-safety and lifetime: as for every Store (see store/store.h). The returned store owns
// its connections; Close() or destruction waits for calls in flight and closes the file.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace reco {

struct SqliteStoreOptions {
  std::filesystem::path path;            // database file; created (with its schema) when absent
  int reader_connections = 4;            // concurrent readers; at least 1
  int busy_timeout_ms = 5000;            // wait this long for a lock held by another process
  int writer_cache_mib = 64;             // page cache of the writer connection
  int reader_cache_mib = 16;             // page cache of each reader connection
  // Checkpoint the WAL into the main file past this many pages (256 MiB at 4 KiB pages):
  // fewer checkpoints of a page that many write batches dirty.
  int wal_autocheckpoint_pages = 65536;
  // Feedback rows a scan reads before its callbacks run (ScanFeedback): a smaller scan gives its
  // reader back first; a larger one hands each full buffer over while the reader keeps the
  // scan's snapshot, so its memory stays bounded (~60 MB at the default).
  size_t scan_buffer_rows = size_t{1} << 20;
  const Clock* clock = nullptr;          // records migration times; nullptr = system clock
  // Open the existing database read-only: reads are served, every write call fails with
  // Unavailable naming the cause, no migration is applied (an older schema is refused).
  bool read_only = false;
  // Caps the database at this many pages (PRAGMA max_page_count); 0 = no cap. A write past it
  // fails as on a full disk.
  int64_t max_pages = 0;
  // Told about each write call that fails for a reason of the store's (kWriteFailure*), not of
  // the call's arguments. Called on the writing thread; must be cheap and thread-safe.
  std::function<void(std::string_view reason)> on_write_failure;
};

// Opens (or creates) the database, applying missing schema migrations in one transaction.
// FailedPrecondition when the file was written by a newer schema version. A database that
// cannot be written (file permissions, immutable attribute, read-only mount) opens read-only,
// with Writability() naming the cause.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

}  // namespace reco
