// Feedback, bulk import and scans of the PostgreSQL Store backend.
#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "store/id_check.h"
#include "store/postgres/postgres_store_impl.h"
#include "store/sqlite/encoding.h"

namespace reco::pg {
namespace {

// Feedback cursors carry the last (user, item, type) key as a JSON array; kind 'g' keeps them
// apart from the other listings' cursors.
constexpr char kFeedbackCursor = 'g';

std::string EncodeFeedbackCursor(std::string_view user, std::string_view item,
                                 std::string_view type) {
  return sqlite::EncodeIdCursor(
      kFeedbackCursor,
      sqlite::EncodeStringArray({std::string(user), std::string(item), std::string(type)}));
}

Result<std::vector<std::string>> DecodeFeedbackCursor(std::string_view cursor) {
  RECO_ASSIGN_OR_RETURN(std::string payload, sqlite::DecodeIdCursor(kFeedbackCursor, cursor));
  auto key = sqlite::DecodeStringArray(payload);
  if (!key.ok() || key->size() != 3) return InvalidArgument("malformed cursor", "cursor");
  return std::move(key).value();
}

// The first row of the batch whose user (or item) is not stored, or none.
constexpr const char* kFirstUnknownUser =
    "SELECT s.first_ord, s.user_id FROM feedback_stage s"
    " WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = s.user_id)"
    " ORDER BY s.first_ord LIMIT 1";
constexpr const char* kFirstUnknownItem =
    "SELECT s.first_ord, s.item_id FROM feedback_stage s"
    " WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = s.item_id)"
    " ORDER BY s.first_ord LIMIT 1";

// Imports at least this large into an empty feedback table build its key indexes once, after
// the rows (same transaction), instead of row by row.
constexpr size_t kDeferIndexRows = 100'000;
constexpr const char* kDropFeedbackIndexes =
    "ALTER TABLE feedback DROP CONSTRAINT feedback_key; DROP INDEX feedback_by_item;";
constexpr const char* kAddFeedbackKey =
    "ALTER TABLE feedback ADD CONSTRAINT feedback_key UNIQUE (user_id, item_id, feedback_type)";
constexpr const char* kCreateItemIndex =
    "CREATE INDEX feedback_by_item ON feedback(item_id, user_id, feedback_type)";

// Writes the staged rows (one per key), row `ord` of the batch numbered $1 + 1 + ord; returns
// how many were written and the highest number. `into_empty`: the table is empty and has no key
// index (no conflict is possible).
std::string WriteStagedSql(bool overwrite, bool into_empty) {
  std::string sql =
      "WITH w AS (INSERT INTO feedback(seq, feedback_type, user_id, item_id, value, ts, comment)"
      "   SELECT $1::bigint + 1 + ord, feedback_type, user_id, item_id, value, ts, comment"
      "   FROM feedback_stage";
  if (!into_empty) {
    sql += " ON CONFLICT (user_id, item_id, feedback_type) ";
    sql += overwrite ? "DO UPDATE SET value = excluded.value, ts = excluded.ts,"
                       " comment = excluded.comment, seq = excluded.seq"
                     : "DO NOTHING";
  }
  sql += " RETURNING seq) SELECT count(*), coalesce(max(seq), 0) FROM w";
  return sql;
}

// A feedback row's key, viewing the batch's strings.
struct KeyView {
  std::string_view type, user, item;
  bool operator==(const KeyView&) const = default;
};
struct KeyViewHash {
  size_t operator()(const KeyView& k) const {
    std::hash<std::string_view> h;
    return h(k.user) ^ (h(k.item) * 31) ^ (h(k.type) * 1000003);
  }
};

// One kept row per key (the first for insert, the last for overwrite), in batch order, each with
// the first row of its key (the row an error about its ids names).
struct KeptRow {
  size_t row;
  size_t first_row;
};
std::vector<KeptRow> Deduplicate(std::span<const Feedback> feedback, bool overwrite) {
  std::unordered_map<KeyView, size_t, KeyViewHash> index;  // key -> position in `kept`
  index.reserve(feedback.size());
  std::vector<KeptRow> kept;
  kept.reserve(feedback.size());
  for (size_t i = 0; i < feedback.size(); ++i) {
    const Feedback& f = feedback[i];
    auto [it, inserted] =
        index.try_emplace(KeyView{f.feedback_type, f.user_id, f.item_id}, kept.size());
    if (inserted) {
      kept.push_back({i, i});
    } else if (overwrite) {
      kept[it->second].row = i;
    }
  }
  if (overwrite) {
    std::sort(kept.begin(), kept.end(),
              [](const KeptRow& a, const KeptRow& b) { return a.row < b.row; });
  }
  return kept;
}

Feedback ReadFeedback(const PgResult& res, int row, int first) {
  Feedback f;
  f.feedback_type = res.Text(row, first);
  f.user_id = res.Text(row, first + 1);
  f.item_id = res.Text(row, first + 2);
  f.value = res.Double(row, first + 3);
  f.timestamp = res.Int(row, first + 4);
  f.comment = res.Text(row, first + 5);
  return f;
}

// Appends `f` as a COPY text row: the leading columns (already formatted), then the feedback's.
void AppendFeedbackRow(std::string& data, std::string_view leading, const Feedback& f) {
  char number[32];
  data += leading;
  AppendCopyText(data, f.feedback_type);
  data.push_back('\t');
  AppendCopyText(data, f.user_id);
  data.push_back('\t');
  AppendCopyText(data, f.item_id);
  data.push_back('\t');
  auto end = std::to_chars(number, number + sizeof(number), f.value).ptr;
  data.append(number, end);
  data.push_back('\t');
  data += std::to_string(f.timestamp);
  data.push_back('\t');
  AppendCopyText(data, f.comment);
  data.push_back('\n');
}

// Locks the feedback sequence counter until the commit and returns it: writers of every process
// number their rows in commit order, so "seq > watermark" never skips a row committed later with
// a lower number.
Result<int64_t> LockSeq(PgConn& conn) {
  RECO_ASSIGN_OR_RETURN(
      PgResult counter,
      conn.Query("SELECT value FROM store_counters WHERE name = 'feedback_seq' FOR UPDATE"));
  return counter.Int(0, 0);
}

Status SaveSeq(PgConn& conn, int64_t seq) {
  return conn
      .Command("UPDATE store_counters SET value = $1 WHERE name = 'feedback_seq'",
               Params().Add(seq))
      .status();
}

// After a streamed import into an empty table: the key constraint and the item index, built
// once. A key repeated across chunks (each chunk is deduplicated on its own) makes the key
// constraint fail; then the later rows of each key are deleted — the first row is kept, as on
// SQLite and within one chunk — and the constraint is built again. Returns the rows deleted.
Result<int64_t> BuildImportedIndexes(PgConn& conn) {
  RECO_RETURN_IF_ERROR(conn.Exec("SET LOCAL maintenance_work_mem = '256MB'; SAVEPOINT keys"));
  int64_t repeated = 0;
  if (!conn.Exec(kAddFeedbackKey).ok()) {
    RECO_RETURN_IF_ERROR(conn.Exec("ROLLBACK TO SAVEPOINT keys"));
    RECO_ASSIGN_OR_RETURN(
        repeated,
        conn.Command("DELETE FROM feedback f USING ("
                     "  SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY user_id,"
                     "    item_id, feedback_type ORDER BY seq) AS n FROM feedback) numbered"
                     "  WHERE n > 1) later WHERE f.seq = later.seq"));
    RECO_RETURN_IF_ERROR(conn.Exec(kAddFeedbackKey));
  }
  RECO_RETURN_IF_ERROR(conn.Exec("RELEASE SAVEPOINT keys"));
  RECO_RETURN_IF_ERROR(conn.Exec(kCreateItemIndex));
  return repeated;
}

}  // namespace

Result<int64_t> PostgresStore::WriteFeedback(PgConn& conn, std::span<const Feedback> feedback,
                                             const InsertFeedbackOptions& options,
                                             KeyIndexes indexes) {
  if (feedback.empty()) return int64_t{0};
  const std::vector<KeptRow> kept = Deduplicate(feedback, options.overwrite);
  std::string data;
  data.reserve(kept.size() * 48);
  for (const KeptRow& k : kept) {
    AppendFeedbackRow(data, std::to_string(k.row) + "\t" + std::to_string(k.first_row) + "\t",
                      feedback[k.row]);
  }
  RECO_RETURN_IF_ERROR(ClearStage(conn, "feedback_stage", kept.size()));
  RECO_RETURN_IF_ERROR(conn.CopyIn("COPY feedback_stage FROM STDIN", data));
  if (!options.auto_insert_users || !options.auto_insert_items) {
    // The row SQLite's row-by-row check would name first: the lowest row with an unknown id,
    // its user before its item.
    int64_t user_row = -1;
    int64_t item_row = -1;
    std::string user_id;
    std::string item_id;
    if (!options.auto_insert_users) {
      RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query(kFirstUnknownUser));
      if (res.Rows() > 0) user_row = res.Int(0, 0), user_id = res.Text(0, 1);
    }
    if (!options.auto_insert_items) {
      RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query(kFirstUnknownItem));
      if (res.Rows() > 0) item_row = res.Int(0, 0), item_id = res.Text(0, 1);
    }
    if (user_row >= 0 && (item_row < 0 || user_row <= item_row)) {
      return UnknownFeedbackId(user_row, "UserId", "user", user_id);
    }
    if (item_row >= 0) return UnknownFeedbackId(item_row, "ItemId", "item", item_id);
  }
  // New ids in key order: concurrent writers of overlapping ids lock them in the same order.
  if (options.auto_insert_users) {
    RECO_RETURN_IF_ERROR(conn.Command("INSERT INTO users(user_id) SELECT DISTINCT user_id"
                                      " FROM feedback_stage ORDER BY 1 ON CONFLICT DO NOTHING")
                             .status());
  }
  if (options.auto_insert_items) {
    RECO_RETURN_IF_ERROR(conn.Command("INSERT INTO items(item_id) SELECT DISTINCT item_id"
                                      " FROM feedback_stage ORDER BY 1 ON CONFLICT DO NOTHING")
                             .status());
  }
  RECO_ASSIGN_OR_RETURN(const int64_t base, LockSeq(conn));
  // A large import into an empty table builds the key indexes once, after the rows.
  bool defer_indexes = false;
  if (indexes == KeyIndexes::kDeferred && kept.size() >= kDeferIndexRows) {
    RECO_ASSIGN_OR_RETURN(PgResult any, conn.Query("SELECT EXISTS (SELECT 1 FROM feedback)"));
    defer_indexes = !any.Bool(0, 0);
  }
  if (defer_indexes) RECO_RETURN_IF_ERROR(conn.Exec(kDropFeedbackIndexes));
  RECO_ASSIGN_OR_RETURN(PgResult written,
                        conn.Query(WriteStagedSql(options.overwrite,
                                                  defer_indexes || indexes == KeyIndexes::kDropped),
                                   Params().Add(base)));
  if (defer_indexes) {
    RECO_RETURN_IF_ERROR(conn.Exec(kAddFeedbackKey));
    RECO_RETURN_IF_ERROR(conn.Exec(kCreateItemIndex));
  }
  const int64_t count = written.Int(0, 0);
  if (count > 0) RECO_RETURN_IF_ERROR(SaveSeq(conn, written.Int(0, 1)));
  return count;
}

Result<int64_t> PostgresStore::InsertFeedback(std::span<const Feedback> feedback,
                                              const InsertFeedbackOptions& options) {
  RECO_RETURN_IF_ERROR(CheckFeedbackIds(feedback));
  return Write(
      [&](PgConn& conn) { return WriteFeedback(conn, feedback, options, KeyIndexes::kKept); },
      feedback.size());
}

Status PostgresStore::Import(std::span<const User> users, std::span<const Item> items,
                             std::span<const Feedback> feedback,
                             const InsertFeedbackOptions& options) {
  RECO_RETURN_IF_ERROR(CheckUserIds(users));
  RECO_RETURN_IF_ERROR(CheckItemIds(items));
  RECO_RETURN_IF_ERROR(CheckFeedbackIds(feedback));
  return Write(
             [&](PgConn& conn) -> Result<int64_t> {
               RECO_RETURN_IF_ERROR(WriteUsers(conn, users));
               RECO_RETURN_IF_ERROR(WriteItems(conn, items));
               return WriteFeedback(conn, feedback, options, KeyIndexes::kDeferred);
             },
             users.size() + items.size() + feedback.size(), /*solo=*/true)
      .status();
}

Status PostgresStore::ImportStream(const ImportChunkFn& next,
                                   const InsertFeedbackOptions& options) {
  if (options.overwrite) return InvalidArgument("a streamed import never overwrites", "overwrite");
  return Write(
             [&](PgConn& conn) -> Result<int64_t> {
               // Into an empty table, the key constraint and the item index are built once after
               // the last chunk (row-by-row upkeep of the key halves the import's speed).
               RECO_ASSIGN_OR_RETURN(PgResult any,
                                     conn.Query("SELECT EXISTS (SELECT 1 FROM feedback)"));
               const KeyIndexes indexes = any.Bool(0, 0) ? KeyIndexes::kKept : KeyIndexes::kDropped;
               if (indexes == KeyIndexes::kDropped) {
                 RECO_RETURN_IF_ERROR(conn.Exec(kDropFeedbackIndexes));
               }
               RECO_ASSIGN_OR_RETURN(
                   int64_t written,
                   WriteImportChunks(next, [&](const ImportChunk& chunk) -> Result<int64_t> {
                     RECO_RETURN_IF_ERROR(WriteUsers(conn, chunk.users));
                     RECO_RETURN_IF_ERROR(WriteItems(conn, chunk.items));
                     return WriteFeedback(conn, chunk.feedback, options, indexes);
                   }));
               if (indexes == KeyIndexes::kDropped) {
                 RECO_ASSIGN_OR_RETURN(int64_t repeated, BuildImportedIndexes(conn));
                 written -= repeated;
               }
               return written;
             },
             1, /*solo=*/true)
      .status();
}

Result<Page<Feedback>> PostgresStore::ListFeedback(const FeedbackFilter& filter,
                                                   std::string_view cursor, int n) {
  if (n <= 0) return InvalidArgument("n must be positive, got " + std::to_string(n), "n");
  Params params;
  std::string sql =
      "SELECT feedback_type, user_id, item_id, value, ts, comment FROM feedback WHERE true";
  int next = 1;
  if (!cursor.empty()) {
    RECO_ASSIGN_OR_RETURN(std::vector<std::string> after, DecodeFeedbackCursor(cursor));
    sql += " AND (user_id, item_id, feedback_type) > ($1, $2, $3)";
    params.Add(after[0]).Add(after[1]).Add(after[2]);
    next = 4;
  }
  auto add_filter = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    sql += std::string(" AND ") + column + " = $" + std::to_string(next++);
    params.Add(*value);
  };
  add_filter("user_id", filter.user_id);
  add_filter("item_id", filter.item_id);
  add_filter("feedback_type", filter.feedback_type);
  sql += " ORDER BY user_id, item_id, feedback_type LIMIT $" + std::to_string(next);
  params.Add(n + 1);
  return Read<Page<Feedback>>([&](PgConn& conn) -> Result<Page<Feedback>> {
    RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query(sql, params));
    Page<Feedback> page;
    const int rows = std::min(res.Rows(), n);
    for (int r = 0; r < rows; ++r) page.rows.push_back(ReadFeedback(res, r, 0));
    if (res.Rows() > n) {
      const Feedback& last = page.rows.back();
      page.next_cursor = EncodeFeedbackCursor(last.user_id, last.item_id, last.feedback_type);
    }
    return page;
  });
}

Result<int64_t> PostgresStore::DeleteFeedback(const FeedbackFilter& filter) {
  Params params;
  std::string sql = "DELETE FROM feedback WHERE true";
  int next = 1;
  auto add_filter = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    sql += std::string(" AND ") + column + " = $" + std::to_string(next++);
    params.Add(*value);
  };
  add_filter("user_id", filter.user_id);
  add_filter("item_id", filter.item_id);
  add_filter("feedback_type", filter.feedback_type);
  return Write([&](PgConn& conn) { return conn.Command(sql, params); });
}

Status PostgresStore::ScanFeedback(int64_t after_seq,
                                   const std::function<void(const FeedbackRecord&)>& fn) {
  FeedbackRecord rec;
  return ScanCursor(
      "SELECT seq, feedback_type, user_id, item_id, value, ts, comment FROM feedback"
      " WHERE seq > " +
          std::to_string(after_seq) + " ORDER BY seq",
      [&](const PgResult& res) {
        for (int r = 0; r < res.Rows(); ++r) {
          rec.seq = res.Int(r, 0);
          rec.feedback = ReadFeedback(res, r, 1);
          fn(rec);
        }
        return Status::Ok();
      });
}

}  // namespace reco::pg
