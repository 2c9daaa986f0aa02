// SqliteStore: the Store implementation behind OpenSqliteStore (private to this directory).
//
// Concurrency: writes serialise on writer_mu_ and run one transaction each on the writer
// connection; reads borrow a connection from readers_. The interned id tables are guarded by
// ids_mu_ (exclusive to modify — only ever done while holding writer_mu_ — shared to read).
// Lifetime: Close() takes the writer and every reader back, then closes them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/sqlite/id_index.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace reco::sqlite {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteStoreOptions options) : options_(std::move(options)) {}
  ~SqliteStore() override { Close(); }

  // Opens the files, migrates the schema, loads the id tables.
  Status Init();

  Result<int64_t> InsertUsers(std::span<const User> users) override;
  Result<User> GetUser(std::string_view user_id) override;
  Result<int64_t> ModifyUser(std::string_view user_id, const UserPatch& patch) override;
  Result<int64_t> DeleteUser(std::string_view user_id) override;
  Result<Page<User>> ListUsers(std::string_view cursor, int n) override;

  Result<int64_t> InsertItems(std::span<const Item> items) override;
  Result<Item> GetItem(std::string_view item_id) override;
  Result<int64_t> ModifyItem(std::string_view item_id, const ItemPatch& patch) override;
  Result<int64_t> DeleteItem(std::string_view item_id) override;
  Result<int64_t> AddItemCategory(std::string_view item_id, std::string_view category) override;
  Result<int64_t> RemoveItemCategory(std::string_view item_id, std::string_view category) override;
  Result<Page<Item>> ListItems(std::string_view cursor, int n) override;

  Result<int64_t> InsertFeedback(std::span<const Feedback> feedback,
                                 const InsertFeedbackOptions& options) override;
  Result<Page<Feedback>> ListFeedback(const FeedbackFilter& filter, std::string_view cursor,
                                      int n) override;
  Result<int64_t> DeleteFeedback(const FeedbackFilter& filter) override;

  Status Import(std::span<const User> users, std::span<const Item> items,
                std::span<const Feedback> feedback, const InsertFeedbackOptions& options) override;
  Status ScanUsers(const std::function<void(const User&)>& fn) override;
  Status ScanItems(const std::function<void(const Item&)>& fn) override;
  Status ScanFeedback(int64_t after_seq,
                      const std::function<void(const FeedbackRecord&)>& fn) override;
  Result<int64_t> MaxFeedbackSeq() override;
  Result<StoreCounts> Counts() override;

  Status Ping() override;
  void Close() override;

 private:
  // A feedback row of a batch, resolved to its interned key; `row` indexes the batch.
  struct KeyedRow {
    int64_t user;
    int64_t item;
    int64_t type;
    size_t row;
  };
  // A scanned feedback row; its comment is [comment_offset, +comment_size) of a shared buffer.
  struct ScannedRow {
    int64_t seq;
    int64_t user;
    int64_t item;
    int64_t type;
    double value;
    int64_t timestamp;
    uint32_t comment_offset;
    uint32_t comment_size;
  };
  // The resolved filter; `empty` when it names an id that does not exist.
  struct ResolvedFilter {
    int64_t user = -1;
    int64_t item = -1;
    int64_t type = -1;
    bool empty = false;
  };

  // Runs `fn(writer)` in one write transaction under writer_mu_. On any failure the
  // transaction, the id tables and the sequence counter are rolled back.
  template <typename Fn>
  Result<int64_t> Write(Fn&& fn);
  // Runs `fn(reader)` on a pooled reader connection.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn);

  Status ConfigureWriter();
  Result<std::unique_ptr<Connection>> OpenReader();
  // Reloads the id tables and the sequence counter from `conn` (writer_mu_ held).
  Status LoadIds(Connection& conn);
  Status SaveSeq(Connection& conn);
  // Reloads when another connection (another process) committed since our last look.
  Status SyncWithOtherWriters(Connection& conn);
  // Reloads the id tables when a reader met an index it cannot resolve.
  Status RefreshIds();

  // Writes (upserts) the rows; ids must be validated.
  Status WriteUsers(Connection& conn, std::span<const User> users);
  Status WriteItems(Connection& conn, std::span<const Item> items);
  Result<int64_t> EditItemCategories(std::string_view item_id, std::string_view category, bool add);
  // Interns the batch's ids, sorts by key and drops duplicate keys (first kept for insert,
  // last for overwrite).
  Result<std::vector<KeyedRow>> ResolveFeedback(std::span<const Feedback> feedback,
                                                const InsertFeedbackOptions& options);
  Status WriteNewIds(Connection& conn, const IdIndex& index, int64_t from_idx,
                     const std::string& sql);
  // `into_empty`: the table has no rows and no secondary indexes (a bulk load).
  Result<int64_t> WriteFeedback(Connection& conn, std::span<const Feedback> feedback,
                                const InsertFeedbackOptions& options, bool into_empty);
  // Appends resolved rows to an empty, index-free feedback table, each with the next seq.
  Result<int64_t> AppendFeedback(Connection& conn, std::span<const Feedback> feedback,
                                 const std::vector<KeyedRow>& rows);
  // Binds one row's 7 columns (user, item, type, value, timestamp, comment, seq) after the
  // first `first` parameters.
  static void BindFeedback(Stmt& stmt, int first, const KeyedRow& r, const Feedback& f,
                           int64_t seq);
  // Names `rows` in chunks and passes them to `fn`.
  Status EmitScanned(const std::vector<ScannedRow>& rows, const std::string& comments,
                     const std::function<void(const FeedbackRecord&)>& fn);
  ResolvedFilter ResolveFilter(const FeedbackFilter& filter);
  // Maps scanned integer keys back to ids; false when an index is unknown to this process.
  bool NameFeedback(int64_t user, int64_t item, int64_t type, Feedback& out);

  SqliteStoreOptions options_;

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // null once closed
  int64_t data_version_ = 0;            // writer's PRAGMA data_version after our last write
  int64_t seq_ = 0;                     // last feedback seq issued

  ReaderPool readers_;

  std::shared_mutex ids_mu_;
  IdIndex users_;
  IdIndex items_;
  IdIndex types_;
};

template <typename Fn>
Result<int64_t> SqliteStore::Write(Fn&& fn) {
  std::lock_guard lock(writer_mu_);
  if (writer_ == nullptr) return Unavailable("store is closed");
  Connection& conn = *writer_;
  const int64_t seq_before = seq_;
  WriteTxn txn(conn);
  Status st = txn.Begin();
  if (st.ok()) st = SyncWithOtherWriters(conn);
  Result<int64_t> result = st.ok() ? Result<int64_t>(fn(conn)) : Result<int64_t>(st);
  if (result.ok() && seq_ != seq_before) st = SaveSeq(conn);
  if (result.ok() && st.ok()) st = txn.Commit();
  if (result.ok() && st.ok()) {
    users_.Commit();
    items_.Commit();
    types_.Commit();
    return result;
  }
  seq_ = seq_before;
  {
    std::unique_lock ids_lock(ids_mu_);
    users_.Rollback();
    items_.Rollback();
    types_.Rollback();
  }
  if (!result.ok()) return result;
  return st;
}

template <typename T, typename Fn>
Result<T> SqliteStore::Read(Fn&& fn) {
  ReaderPool::Lease lease = readers_.Acquire();
  if (!lease) return Unavailable("store is closed");
  return fn(*lease);
}

}  // namespace reco::sqlite
