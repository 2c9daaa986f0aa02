// Feedback, bulk import and scans of the sqlite Store backend.
#include <algorithm>

#include "store/id_check.h"
#include "store/sqlite/encoding.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

constexpr const char* kInsertFeedback =
    "INSERT OR IGNORE INTO feedback(user_idx, item_idx, type_idx, value, timestamp, comment, seq)"
    " VALUES(?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpsertFeedback =
    "INSERT INTO feedback(user_idx, item_idx, type_idx, value, timestamp, comment, seq)"
    " VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_idx, item_idx, type_idx) DO UPDATE SET"
    " value = excluded.value, timestamp = excluded.timestamp, comment = excluded.comment,"
    " seq = excluded.seq";

// Columns bound per feedback row, in this order by BindFeedback.
constexpr int kFeedbackColumns = 7;
// Rows per statement when appending to an empty table (fewer statement executions).
constexpr size_t kAppendRowsPerStatement = 64;

// "INSERT OR IGNORE INTO feedback(...) VALUES(...), ..." for `rows` rows. Only for a table
// that had no rows and has no item index (a bulk load): without the key index no conflict is
// possible; with it (a streamed import), a key an earlier chunk wrote is kept and this row
// ignored, as InsertFeedback does with overwrite = false.
std::string AppendSql(size_t rows) {
  std::string sql =
      "INSERT OR IGNORE INTO feedback(user_idx, item_idx, type_idx, value, timestamp, comment,"
      " seq) VALUES";
  for (size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?)";
  return sql;
}

// Imports at least this large into an empty feedback table build the secondary indexes once
// at the end (same transaction) instead of row by row.
constexpr size_t kDeferIndexRows = 100'000;

// Rows resolved per hold of the id lock while scanning.
constexpr size_t kScanChunk = 1024;

// Reads the rows after a watermark: seq is the rowid, so this is a range scan of the table.
constexpr const char* kScanBySeq =
    "SELECT seq, user_idx, item_idx, type_idx, value, timestamp, comment"
    " FROM feedback WHERE seq > ? ORDER BY seq";

// A feedback row as stored: interned keys.
struct RawFeedback {
  int64_t user = 0;
  int64_t item = 0;
  int64_t type = 0;
  double value = 0;
  int64_t timestamp = 0;
  int64_t seq = 0;
  std::string comment;
};

// Reads the columns (user_idx, item_idx, type_idx, value, timestamp, comment) at `first`.
void ReadRaw(const Stmt& stmt, int first, RawFeedback& out) {
  out.user = stmt.Int(first);
  out.item = stmt.Int(first + 1);
  out.type = stmt.Int(first + 2);
  out.value = stmt.Double(first + 3);
  out.timestamp = stmt.Int(first + 4);
  out.comment.assign(stmt.Text(first + 5));
}

// Sorts rows by `less` (which orders by user first). Batches and imports usually arrive grouped
// by user in increasing order: then only each user's run needs sorting.
template <typename Row, typename Less>
void SortByKey(std::vector<Row>& rows, Less less) {
  const bool grouped_by_user = std::is_sorted(
      rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.user < b.user; });
  if (!grouped_by_user) {
    std::sort(rows.begin(), rows.end(), less);
    return;
  }
  for (auto begin = rows.begin(); begin != rows.end();) {
    auto end = begin + 1;
    while (end != rows.end() && end->user == begin->user) ++end;
    if (!std::is_sorted(begin, end, less)) std::sort(begin, end, less);
    begin = end;
  }
}

// Builds the indexes of freshly imported rows (`create`) with SQLite's external merge sort:
// sorted runs of 8 MiB in temporary files (the writer's temp_store = FILE), sorted and merged
// by worker threads, instead of one sort of every row in memory on one thread: at 10M rows the
// import's part after the last row took 0.55 times as long and its peak memory was 0.44 times
// (docs/import.md). The temporary files hold about 20 bytes a row while the index is built.
// The writer's settings are restored.
Status CreateIndexesSorted(Connection& conn, const char* create, int writer_cache_mib) {
  RECO_RETURN_IF_ERROR(conn.Exec("PRAGMA threads = 4; PRAGMA cache_size = -8192"));
  Status built = conn.Exec(create);
  Status restored = conn.Exec("PRAGMA threads = 0; PRAGMA cache_size = " +
                              std::to_string(-1024LL * writer_cache_mib));
  RECO_RETURN_IF_ERROR(built);
  return restored;
}

}  // namespace

void SqliteStore::BindFeedback(Stmt& stmt, int first, const KeyedRow& r, const Feedback& f,
                               int64_t seq) {
  stmt.Bind(first + 1, r.user);
  stmt.Bind(first + 2, r.item);
  stmt.Bind(first + 3, r.type);
  stmt.Bind(first + 4, f.value);
  stmt.Bind(first + 5, static_cast<int64_t>(f.timestamp));
  stmt.BindText(first + 6, f.comment);
  stmt.Bind(first + 7, seq);
}

Result<std::vector<SqliteStore::KeyedRow>> SqliteStore::ResolveFeedback(
    std::span<const Feedback> feedback, const InsertFeedbackOptions& options) {
  std::vector<KeyedRow> rows(feedback.size());
  {
    std::unique_lock ids_lock(ids_mu_);
    // Batches usually group rows by user and share one type: skip repeated lookups.
    const Feedback* prev = nullptr;
    int64_t user = -1;
    int64_t item = -1;
    int64_t type = -1;
    for (size_t i = 0; i < feedback.size(); prev = &feedback[i], ++i) {
      const Feedback& f = feedback[i];
      if (prev == nullptr || f.user_id != prev->user_id) {
        user = users_.Find(f.user_id);
        if (user < 0) {
          if (!options.auto_insert_users) return UnknownFeedbackId(i, "UserId", "user", f.user_id);
          user = users_.Add(f.user_id);
        }
      }
      if (prev == nullptr || f.item_id != prev->item_id) {
        item = items_.Find(f.item_id);
        if (item < 0) {
          if (!options.auto_insert_items) return UnknownFeedbackId(i, "ItemId", "item", f.item_id);
          item = items_.Add(f.item_id);
        }
      }
      if (prev == nullptr || f.feedback_type != prev->feedback_type) {
        type = types_.Find(f.feedback_type);
        if (type < 0) type = types_.Add(f.feedback_type);
      }
      rows[i] = KeyedRow{user, item, type, i};
    }
  }
  auto key_less = [](const KeyedRow& a, const KeyedRow& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.item != b.item) return a.item < b.item;
    if (a.type != b.type) return a.type < b.type;
    return a.row < b.row;
  };
  SortByKey(rows, key_less);
  size_t kept = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool duplicate = kept > 0 && rows[kept - 1].user == rows[i].user &&
                           rows[kept - 1].item == rows[i].item &&
                           rows[kept - 1].type == rows[i].type;
    if (!duplicate) {
      rows[kept++] = rows[i];
    } else if (options.overwrite) {
      rows[kept - 1] = rows[i];  // the later row wins
    }
  }
  rows.resize(kept);
  return rows;
}

Status SqliteStore::WriteNewIds(Connection& conn, const IdIndex& index, int64_t from_idx,
                                const std::string& sql) {
  if (from_idx >= index.NextIdx()) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
  for (int64_t idx = from_idx; idx < index.NextIdx(); ++idx) {
    stmt.Reset();
    stmt.Bind(1, idx);
    stmt.BindText(2, index.Name(idx));
    RECO_RETURN_IF_ERROR(stmt.Run("insert new id"));
  }
  return Status::Ok();
}

Result<int64_t> SqliteStore::WriteFeedback(Connection& conn, std::span<const Feedback> feedback,
                                           const InsertFeedbackOptions& options, bool into_empty) {
  const int64_t user_mark = users_.NextIdx();
  const int64_t item_mark = items_.NextIdx();
  const int64_t type_mark = types_.NextIdx();
  RECO_ASSIGN_OR_RETURN(std::vector<KeyedRow> rows, ResolveFeedback(feedback, options));
  RECO_RETURN_IF_ERROR(
      WriteNewIds(conn, users_, user_mark, "INSERT INTO users(idx, user_id) VALUES(?, ?)"));
  RECO_RETURN_IF_ERROR(
      WriteNewIds(conn, items_, item_mark, "INSERT INTO items(idx, item_id) VALUES(?, ?)"));
  RECO_RETURN_IF_ERROR(
      WriteNewIds(conn, types_, type_mark, "INSERT INTO feedback_types(idx, name) VALUES(?, ?)"));
  if (into_empty) return AppendFeedback(conn, feedback, rows);
  RECO_ASSIGN_OR_RETURN(Stmt stmt,
                        conn.Prepare(options.overwrite ? kUpsertFeedback : kInsertFeedback));
  int64_t written = 0;
  for (const KeyedRow& r : rows) {
    BindFeedback(stmt, 0, r, feedback[r.row], seq_ + 1);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return stmt.Error(rc, "write feedback");
    stmt.Reset();
    if (conn.Changes() > 0) {
      ++seq_;
      ++written;
    }
  }
  return written;
}

Result<int64_t> SqliteStore::AppendFeedback(Connection& conn, std::span<const Feedback> feedback,
                                            const std::vector<KeyedRow>& rows) {
  const int64_t changes_before = sqlite3_total_changes64(conn.db());
  RECO_ASSIGN_OR_RETURN(Stmt many, conn.Prepare(AppendSql(kAppendRowsPerStatement)));
  RECO_ASSIGN_OR_RETURN(Stmt one, conn.Prepare(AppendSql(1)));
  size_t i = 0;
  for (; i + kAppendRowsPerStatement <= rows.size(); i += kAppendRowsPerStatement) {
    for (size_t k = 0; k < kAppendRowsPerStatement; ++k) {
      const KeyedRow& r = rows[i + k];
      BindFeedback(many, static_cast<int>(k * kFeedbackColumns), r, feedback[r.row], ++seq_);
    }
    int rc = many.Step();
    if (rc != SQLITE_DONE) return many.Error(rc, "write feedback");
    many.Reset();
  }
  for (; i < rows.size(); ++i) {
    BindFeedback(one, 0, rows[i], feedback[rows[i].row], ++seq_);
    int rc = one.Step();
    if (rc != SQLITE_DONE) return one.Error(rc, "write feedback");
    one.Reset();
  }
  // Ignored rows (keys of earlier chunks) leave a gap in seq, as a rolled-back write does.
  return sqlite3_total_changes64(conn.db()) - changes_before;
}

Result<int64_t> SqliteStore::InsertFeedback(std::span<const Feedback> feedback,
                                            const InsertFeedbackOptions& options) {
  RECO_RETURN_IF_ERROR(CheckFeedbackIds(feedback));
  return Write(
      [&](Connection& conn) -> Result<int64_t> {
        return WriteFeedback(conn, feedback, options, /*into_empty=*/false);
      },
      feedback.size());
}

Status SqliteStore::Import(std::span<const User> users, std::span<const Item> items,
                           std::span<const Feedback> feedback,
                           const InsertFeedbackOptions& options) {
  RECO_RETURN_IF_ERROR(CheckUserIds(users));
  RECO_RETURN_IF_ERROR(CheckItemIds(items));
  RECO_RETURN_IF_ERROR(CheckFeedbackIds(feedback));
  auto result = Write(
      [&](Connection& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(WriteUsers(conn, users));
        RECO_RETURN_IF_ERROR(WriteItems(conn, items));
        bool defer_indexes = false;
        if (feedback.size() >= kDeferIndexRows) {
          RECO_ASSIGN_OR_RETURN(int64_t any, conn.QueryInt("SELECT count(*) FROM"
                                                           " (SELECT 1 FROM feedback LIMIT 1)"));
          defer_indexes = any == 0;
        }
        if (defer_indexes) RECO_RETURN_IF_ERROR(conn.Exec(kDropFeedbackIndexes));
        RECO_ASSIGN_OR_RETURN(int64_t written,
                              WriteFeedback(conn, feedback, options, /*into_empty=*/defer_indexes));
        if (defer_indexes) {
          RECO_RETURN_IF_ERROR(
              CreateIndexesSorted(conn, kCreateFeedbackIndexes, options_.writer_cache_mib));
        }
        return written;
      },
      users.size() + items.size() + feedback.size(), /*solo=*/true);
  return result.status();
}

Status SqliteStore::ImportStream(const ImportChunkFn& next, const InsertFeedbackOptions& options) {
  if (options.overwrite) return InvalidArgument("a streamed import never overwrites", "overwrite");
  auto result = Write(
      [&](Connection& conn) -> Result<int64_t> {
        // Into an empty table, the item index is built once at the end (a sort, instead of
        // random inserts into a B-tree larger than the cache); the key index stays, so that a
        // key repeated in a later chunk is ignored like within one chunk. Rows of a chunk are
        // written in key order and files usually group rows by user, so the key index mostly
        // grows at its end.
        RECO_ASSIGN_OR_RETURN(int64_t any, conn.QueryInt("SELECT count(*) FROM"
                                                         " (SELECT 1 FROM feedback LIMIT 1)"));
        const bool bulk = any == 0;
        if (bulk) RECO_RETURN_IF_ERROR(conn.Exec("DROP INDEX feedback_by_item"));
        RECO_ASSIGN_OR_RETURN(
            int64_t written,
            WriteImportChunks(next, [&](const ImportChunk& chunk) -> Result<int64_t> {
              RECO_RETURN_IF_ERROR(WriteUsers(conn, chunk.users));
              RECO_RETURN_IF_ERROR(WriteItems(conn, chunk.items));
              return WriteFeedback(conn, chunk.feedback, options, /*into_empty=*/bulk);
            }));
        if (bulk) {
          RECO_RETURN_IF_ERROR(CreateIndexesSorted(
              conn, "CREATE INDEX feedback_by_item ON feedback(item_idx, user_idx, type_idx)",
              options_.writer_cache_mib));
        }
        return written;
      },
      1, /*solo=*/true);
  return result.status();
}

SqliteStore::ResolvedFilter SqliteStore::ResolveFilter(const FeedbackFilter& filter) {
  ResolvedFilter out;
  std::shared_lock ids_lock(ids_mu_);
  if (filter.user_id) out.user = users_.Find(*filter.user_id);
  if (filter.item_id) out.item = items_.Find(*filter.item_id);
  if (filter.feedback_type) out.type = types_.Find(*filter.feedback_type);
  out.empty = (filter.user_id && out.user < 0) || (filter.item_id && out.item < 0) ||
              (filter.feedback_type && out.type < 0);
  return out;
}

bool SqliteStore::NameFeedback(int64_t user, int64_t item, int64_t type, Feedback& out) {
  std::string_view user_id = users_.Name(user);
  std::string_view item_id = items_.Name(item);
  std::string_view type_name = types_.Name(type);
  if (user_id.empty() || item_id.empty() || type_name.empty()) return false;
  out.user_id.assign(user_id);
  out.item_id.assign(item_id);
  out.feedback_type.assign(type_name);
  return true;
}

Result<Page<Feedback>> SqliteStore::ListFeedback(const FeedbackFilter& filter,
                                                 std::string_view cursor, int n) {
  if (n <= 0) return InvalidArgument("n must be positive, got " + std::to_string(n), "n");
  FeedbackKey after = {-1, -1, -1};
  if (!cursor.empty()) {
    RECO_ASSIGN_OR_RETURN(after, DecodeFeedbackCursor(cursor));
  }
  ResolvedFilter rf = ResolveFilter(filter);
  if (rf.empty) return Page<Feedback>{};
  std::string sql =
      "SELECT user_idx, item_idx, type_idx, value, timestamp, comment FROM feedback"
      " WHERE (user_idx, item_idx, type_idx) > (?1, ?2, ?3)";
  if (rf.user >= 0) sql += " AND user_idx = ?4";
  if (rf.item >= 0) sql += " AND item_idx = ?5";
  if (rf.type >= 0) sql += " AND type_idx = ?6";
  sql += " ORDER BY user_idx, item_idx, type_idx LIMIT ?7";
  std::vector<RawFeedback> raw;
  {
    ReaderPool::Lease conn = readers_.Acquire();
    if (!conn) return Unavailable("store is closed");
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn->Prepare(sql));
    for (int i = 0; i < 3; ++i) stmt.Bind(i + 1, after[i]);
    stmt.Bind(4, rf.user);
    stmt.Bind(5, rf.item);
    stmt.Bind(6, rf.type);
    stmt.Bind(7, static_cast<int64_t>(n) + 1);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) ReadRaw(stmt, 0, raw.emplace_back());
    if (rc != SQLITE_DONE) return stmt.Error(rc, "list feedback");
  }
  Page<Feedback> page;
  if (raw.size() > static_cast<size_t>(n)) {
    raw.resize(n);
    page.next_cursor = EncodeFeedbackCursor({raw.back().user, raw.back().item, raw.back().type});
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    page.rows.clear();
    bool complete = true;
    {
      std::shared_lock ids_lock(ids_mu_);
      for (const RawFeedback& r : raw) {
        Feedback f;
        f.value = r.value;
        f.timestamp = r.timestamp;
        f.comment = r.comment;
        if (NameFeedback(r.user, r.item, r.type, f)) {
          page.rows.push_back(std::move(f));
        } else {
          complete = false;
        }
      }
    }
    if (complete || attempt == 1) break;
    RECO_RETURN_IF_ERROR(RefreshIds());
  }
  return page;
}

Result<int64_t> SqliteStore::DeleteFeedback(const FeedbackFilter& filter) {
  return Write([&](Connection& conn) -> Result<int64_t> {
    ResolvedFilter rf = ResolveFilter(filter);
    if (rf.empty) return int64_t{0};
    std::string sql = "DELETE FROM feedback WHERE 1";
    if (rf.user >= 0) sql += " AND user_idx = ?1";
    if (rf.item >= 0) sql += " AND item_idx = ?2";
    if (rf.type >= 0) sql += " AND type_idx = ?3";
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
    if (rf.user >= 0) stmt.Bind(1, rf.user);
    if (rf.item >= 0) stmt.Bind(2, rf.item);
    if (rf.type >= 0) stmt.Bind(3, rf.type);
    RECO_RETURN_IF_ERROR(stmt.Run("delete feedback"));
    return conn.Changes();
  });
}

Status SqliteStore::ScanFeedback(int64_t after_seq,
                                 const std::function<void(const FeedbackRecord&)>& fn) {
  // A scan of at most scan_buffer_rows rows gives its reader back to the pool before any
  // callback (they may be slow); a larger one (start-up, training, analytics over every row)
  // hands each full buffer to the callbacks while its reader keeps the scan's snapshot, so
  // memory stays bounded instead of growing ~56 bytes a row.
  const size_t buffer_rows = std::max<size_t>(1, options_.scan_buffer_rows);
  std::vector<ScannedRow> rows;
  std::string comments;
  {
    ReaderPool::Lease conn = readers_.Acquire();
    if (!conn) return Unavailable("store is closed");
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn->Prepare(kScanBySeq));
    stmt.Bind(1, after_seq);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      std::string_view comment = stmt.Text(6);
      rows.push_back(ScannedRow{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Int(3), stmt.Double(4),
                                stmt.Int(5), static_cast<uint32_t>(comments.size()),
                                static_cast<uint32_t>(comment.size())});
      comments.append(comment);
      if (rows.size() == buffer_rows) {
        RECO_RETURN_IF_ERROR(EmitScanned(rows, comments, fn));
        rows.clear();
        comments.clear();
      }
    }
    if (rc != SQLITE_DONE) return stmt.Error(rc, "scan feedback");
  }
  return EmitScanned(rows, comments, fn);
}

Status SqliteStore::EmitScanned(const std::vector<ScannedRow>& rows, const std::string& comments,
                                const std::function<void(const FeedbackRecord&)>& fn) {
  std::vector<FeedbackRecord> records(kScanChunk);
  for (size_t begin = 0; begin < rows.size(); begin += kScanChunk) {
    const size_t end = std::min(rows.size(), begin + kScanChunk);
    size_t named = 0;
    for (int attempt = 0; attempt < 2 && named < end - begin; ++attempt) {
      if (attempt == 1) RECO_RETURN_IF_ERROR(RefreshIds());
      named = 0;
      std::shared_lock ids_lock(ids_mu_);
      for (size_t i = begin; i < end; ++i) {
        const ScannedRow& r = rows[i];
        FeedbackRecord& rec = records[named];
        if (!NameFeedback(r.user, r.item, r.type, rec.feedback)) continue;
        rec.feedback.value = r.value;
        rec.feedback.timestamp = r.timestamp;
        rec.feedback.comment.assign(comments, r.comment_offset, r.comment_size);
        rec.seq = r.seq;
        ++named;
      }
    }
    for (size_t i = 0; i < named; ++i) fn(records[i]);
  }
  return Status::Ok();
}

}  // namespace reco::sqlite
