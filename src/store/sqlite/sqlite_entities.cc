// Users and items of the sqlite Store backend.
#include <algorithm>

#include "store/id_check.h"
#include "store/sqlite/encoding.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

constexpr const char* kUpsertUser =
    "INSERT INTO users(idx, user_id, labels, comment) VALUES(?, ?, ?, ?)"
    " ON CONFLICT(idx) DO UPDATE SET labels = excluded.labels, comment = excluded.comment";
constexpr const char* kUpsertItem =
    "INSERT INTO items(idx, item_id, is_hidden, categories, labels, timestamp, comment)"
    " VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(idx) DO UPDATE SET"
    " is_hidden = excluded.is_hidden, categories = excluded.categories,"
    " labels = excluded.labels, timestamp = excluded.timestamp, comment = excluded.comment";
constexpr const char* kUserColumns = "SELECT user_id, labels, comment FROM users";
constexpr const char* kItemColumns =
    "SELECT item_id, is_hidden, categories, labels, timestamp, comment FROM items";

std::string_view LabelsOrNull(const std::string& labels) {
  return labels.empty() ? std::string_view("null") : std::string_view(labels);
}

Status CheckPageSize(int n) {
  if (n <= 0) return InvalidArgument("n must be positive, got " + std::to_string(n), "n");
  return Status::Ok();
}

User ReadUser(const Stmt& stmt) {
  return User{std::string(stmt.Text(0)), std::string(stmt.Text(1)), std::string(stmt.Text(2))};
}

Result<Item> ReadItem(const Stmt& stmt) {
  Item item;
  item.item_id = stmt.Text(0);
  item.is_hidden = stmt.Int(1) != 0;
  RECO_ASSIGN_OR_RETURN(item.categories, DecodeStringArray(stmt.Text(2)));
  item.labels_json = stmt.Text(3);
  item.timestamp = stmt.Int(4);
  item.comment = stmt.Text(5);
  return item;
}

Status UserNotFound(std::string_view id) {
  return NotFound("user \"" + std::string(id) + "\" not found");
}
Status ItemNotFound(std::string_view id) {
  return NotFound("item \"" + std::string(id) + "\" not found");
}

// Runs `sql` (a query with one id parameter) and returns the single row through `read`.
template <typename T, typename ReadFn>
Result<T> QueryOne(Connection& conn, const std::string& sql, std::string_view id, ReadFn read,
                   Status not_found) {
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
  stmt.BindText(1, id);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return not_found;
  if (rc != SQLITE_ROW) return stmt.Error(rc, "query");
  return read(stmt);
}

// Lists rows ordered by id after the cursor's id.
template <typename T, typename ReadFn>
Result<Page<T>> ListById(Connection& conn, const std::string& columns, const char* id_column,
                         char kind, std::string_view cursor, int n, ReadFn read) {
  std::string after;
  if (!cursor.empty()) {
    RECO_ASSIGN_OR_RETURN(after, DecodeIdCursor(kind, cursor));
  }
  std::string sql = columns + " WHERE " + id_column + " > ? ORDER BY " + id_column + " LIMIT ?";
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
  stmt.BindText(1, after);
  stmt.Bind(2, static_cast<int64_t>(n) + 1);
  Page<T> page;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    if (page.rows.size() == static_cast<size_t>(n)) {
      page.next_cursor = EncodeIdCursor(kind, after);
      break;
    }
    Result<T> row = read(stmt);
    if (!row.ok()) return row.status();
    after = stmt.Text(0);
    page.rows.push_back(std::move(row).value());
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return stmt.Error(rc, "list");
  return page;
}

}  // namespace

Status SqliteStore::WriteUsers(Connection& conn, std::span<const User> users) {
  std::vector<int64_t> idx(users.size());
  {
    std::unique_lock ids_lock(ids_mu_);
    for (size_t i = 0; i < users.size(); ++i) {
      idx[i] = users_.Find(users[i].user_id);
      if (idx[i] < 0) idx[i] = users_.Add(users[i].user_id);
    }
  }
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(kUpsertUser));
  for (size_t i = 0; i < users.size(); ++i) {
    stmt.Reset();
    stmt.Bind(1, idx[i]);
    stmt.BindText(2, users[i].user_id);
    stmt.BindText(3, LabelsOrNull(users[i].labels_json));
    stmt.BindText(4, users[i].comment);
    RECO_RETURN_IF_ERROR(stmt.Run("write user"));
  }
  return Status::Ok();
}

Status SqliteStore::WriteItems(Connection& conn, std::span<const Item> items) {
  std::vector<int64_t> idx(items.size());
  {
    std::unique_lock ids_lock(ids_mu_);
    for (size_t i = 0; i < items.size(); ++i) {
      idx[i] = items_.Find(items[i].item_id);
      if (idx[i] < 0) idx[i] = items_.Add(items[i].item_id);
    }
  }
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(kUpsertItem));
  std::string categories;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    categories = EncodeStringArray(item.categories);
    stmt.Reset();
    stmt.Bind(1, idx[i]);
    stmt.BindText(2, item.item_id);
    stmt.Bind(3, static_cast<int64_t>(item.is_hidden));
    stmt.BindText(4, categories);
    stmt.BindText(5, LabelsOrNull(item.labels_json));
    stmt.Bind(6, static_cast<int64_t>(item.timestamp));
    stmt.BindText(7, item.comment);
    RECO_RETURN_IF_ERROR(stmt.Run("write item"));
  }
  return Status::Ok();
}

Result<int64_t> SqliteStore::InsertUsers(std::span<const User> users) {
  RECO_RETURN_IF_ERROR(CheckUserIds(users));
  return Write(
      [&](Connection& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(WriteUsers(conn, users));
        return static_cast<int64_t>(users.size());
      },
      users.size());
}

Result<User> SqliteStore::GetUser(std::string_view user_id) {
  return Read<User>([&](Connection& conn) {
    return QueryOne<User>(conn, std::string(kUserColumns) + " WHERE user_id = ?", user_id, ReadUser,
                          UserNotFound(user_id));
  });
}

Result<int64_t> SqliteStore::ModifyUser(std::string_view user_id, const UserPatch& patch) {
  RECO_RETURN_IF_ERROR(CheckId(user_id, "UserId"));
  return Write([&](Connection& conn) -> Result<int64_t> {
    int64_t idx = users_.Find(user_id);
    if (idx < 0) return UserNotFound(user_id);
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare("UPDATE users SET labels = coalesce(?, labels),"
                                                  " comment = coalesce(?, comment) WHERE idx = ?"));
    if (patch.labels_json) stmt.BindText(1, LabelsOrNull(*patch.labels_json));
    if (patch.comment) stmt.BindText(2, *patch.comment);
    stmt.Bind(3, idx);
    RECO_RETURN_IF_ERROR(stmt.Run("modify user"));
    return int64_t{1};
  });
}

Result<int64_t> SqliteStore::DeleteUser(std::string_view user_id) {
  RECO_RETURN_IF_ERROR(CheckId(user_id, "UserId"));
  return Write([&](Connection& conn) -> Result<int64_t> {
    int64_t idx = users_.Find(user_id);
    if (idx < 0) return int64_t{0};
    for (const char* sql :
         {"DELETE FROM feedback WHERE user_idx = ?", "DELETE FROM users WHERE idx = ?"}) {
      RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
      stmt.Bind(1, idx);
      RECO_RETURN_IF_ERROR(stmt.Run("delete user"));
    }
    std::unique_lock ids_lock(ids_mu_);
    users_.Remove(user_id);
    return int64_t{1};
  });
}

Result<Page<User>> SqliteStore::ListUsers(std::string_view cursor, int n) {
  RECO_RETURN_IF_ERROR(CheckPageSize(n));
  return Read<Page<User>>([&](Connection& conn) {
    return ListById<User>(conn, kUserColumns, "user_id", 'u', cursor, n,
                          [](const Stmt& s) -> Result<User> { return ReadUser(s); });
  });
}

Status SqliteStore::ScanUsers(const std::function<void(const User&)>& fn) {
  ReaderPool::Lease conn = readers_.Acquire();
  if (!conn) return Unavailable("store is closed");
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn->Prepare(kUserColumns));
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) fn(ReadUser(stmt));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "scan users");
  return Status::Ok();
}

Result<int64_t> SqliteStore::InsertItems(std::span<const Item> items) {
  RECO_RETURN_IF_ERROR(CheckItemIds(items));
  return Write(
      [&](Connection& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(WriteItems(conn, items));
        return static_cast<int64_t>(items.size());
      },
      items.size());
}

Result<Item> SqliteStore::GetItem(std::string_view item_id) {
  return Read<Item>([&](Connection& conn) {
    return QueryOne<Item>(conn, std::string(kItemColumns) + " WHERE item_id = ?", item_id, ReadItem,
                          ItemNotFound(item_id));
  });
}

Result<int64_t> SqliteStore::ModifyItem(std::string_view item_id, const ItemPatch& patch) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  return Write([&](Connection& conn) -> Result<int64_t> {
    int64_t idx = items_.Find(item_id);
    if (idx < 0) return ItemNotFound(item_id);
    RECO_ASSIGN_OR_RETURN(Stmt stmt,
                          conn.Prepare("UPDATE items SET is_hidden = coalesce(?, is_hidden),"
                                       " categories = coalesce(?, categories),"
                                       " labels = coalesce(?, labels),"
                                       " timestamp = coalesce(?, timestamp),"
                                       " comment = coalesce(?, comment) WHERE idx = ?"));
    std::string categories;
    if (patch.is_hidden) stmt.Bind(1, static_cast<int64_t>(*patch.is_hidden));
    if (patch.categories) {
      categories = EncodeStringArray(*patch.categories);
      stmt.BindText(2, categories);
    }
    if (patch.labels_json) stmt.BindText(3, LabelsOrNull(*patch.labels_json));
    if (patch.timestamp) stmt.Bind(4, static_cast<int64_t>(*patch.timestamp));
    if (patch.comment) stmt.BindText(5, *patch.comment);
    stmt.Bind(6, idx);
    RECO_RETURN_IF_ERROR(stmt.Run("modify item"));
    return int64_t{1};
  });
}

Result<int64_t> SqliteStore::DeleteItem(std::string_view item_id) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  return Write([&](Connection& conn) -> Result<int64_t> {
    int64_t idx = items_.Find(item_id);
    if (idx < 0) return int64_t{0};
    for (const char* sql :
         {"DELETE FROM feedback WHERE item_idx = ?", "DELETE FROM items WHERE idx = ?"}) {
      RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
      stmt.Bind(1, idx);
      RECO_RETURN_IF_ERROR(stmt.Run("delete item"));
    }
    std::unique_lock ids_lock(ids_mu_);
    items_.Remove(item_id);
    return int64_t{1};
  });
}

Result<int64_t> SqliteStore::AddItemCategory(std::string_view item_id, std::string_view category) {
  return EditItemCategories(item_id, category, /*add=*/true);
}

Result<int64_t> SqliteStore::RemoveItemCategory(std::string_view item_id,
                                                std::string_view category) {
  return EditItemCategories(item_id, category, /*add=*/false);
}

Result<int64_t> SqliteStore::EditItemCategories(std::string_view item_id, std::string_view category,
                                                bool add) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  if (category.empty()) return InvalidArgument("Category: empty category", "Category");
  return Write([&](Connection& conn) -> Result<int64_t> {
    int64_t idx = items_.Find(item_id);
    if (idx < 0) return ItemNotFound(item_id);
    std::vector<std::string> categories;
    {
      RECO_ASSIGN_OR_RETURN(Stmt read, conn.Prepare("SELECT categories FROM items WHERE idx = ?"));
      read.Bind(1, idx);
      int rc = read.Step();
      if (rc != SQLITE_ROW) return read.Error(rc, "read categories");
      RECO_ASSIGN_OR_RETURN(categories, DecodeStringArray(read.Text(0)));
    }
    auto found = std::find(categories.begin(), categories.end(), category);
    if (add == (found != categories.end())) return int64_t{0};
    if (add) {
      categories.emplace_back(category);
    } else {
      categories.erase(std::remove(categories.begin(), categories.end(), category),
                       categories.end());
    }
    std::string encoded = EncodeStringArray(categories);
    RECO_ASSIGN_OR_RETURN(Stmt write,
                          conn.Prepare("UPDATE items SET categories = ? WHERE idx = ?"));
    write.BindText(1, encoded);
    write.Bind(2, idx);
    RECO_RETURN_IF_ERROR(write.Run("write categories"));
    return int64_t{1};
  });
}

Result<Page<Item>> SqliteStore::ListItems(std::string_view cursor, int n) {
  RECO_RETURN_IF_ERROR(CheckPageSize(n));
  return Read<Page<Item>>([&](Connection& conn) {
    return ListById<Item>(conn, kItemColumns, "item_id", 'i', cursor, n, ReadItem);
  });
}

Status SqliteStore::ScanItems(const std::function<void(const Item&)>& fn) {
  ReaderPool::Lease conn = readers_.Acquire();
  if (!conn) return Unavailable("store is closed");
  RECO_ASSIGN_OR_RETURN(Stmt stmt, conn->Prepare(kItemColumns));
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    RECO_ASSIGN_OR_RETURN(Item item, ReadItem(stmt));
    fn(item);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "scan items");
  return Status::Ok();
}

}  // namespace reco::sqlite
