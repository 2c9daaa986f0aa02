// Users and items of the PostgreSQL Store backend.
#include <algorithm>

#include "store/id_check.h"
#include "store/postgres/postgres_store_impl.h"
#include "store/sqlite/encoding.h"

namespace reco::pg {
namespace {

using sqlite::DecodeIdCursor;
using sqlite::DecodeStringArray;
using sqlite::EncodeIdCursor;
using sqlite::EncodeStringArray;

constexpr const char* kUserColumns = "SELECT user_id, labels, comment FROM users";
constexpr const char* kItemColumns =
    "SELECT item_id, is_hidden, categories, labels, ts, comment FROM items";

std::string_view LabelsOrNull(const std::string& labels) {
  return labels.empty() ? std::string_view("null") : std::string_view(labels);
}

Status CheckPageSize(int n) {
  if (n <= 0) return InvalidArgument("n must be positive, got " + std::to_string(n), "n");
  return Status::Ok();
}

User ReadUser(const PgResult& res, int row) {
  return User{std::string(res.Text(row, 0)), std::string(res.Text(row, 1)),
              std::string(res.Text(row, 2))};
}

Result<Item> ReadItem(const PgResult& res, int row) {
  Item item;
  item.item_id = res.Text(row, 0);
  item.is_hidden = res.Bool(row, 1);
  RECO_ASSIGN_OR_RETURN(item.categories, DecodeStringArray(res.Text(row, 2)));
  item.labels_json = res.Text(row, 3);
  item.timestamp = res.Int(row, 4);
  item.comment = res.Text(row, 5);
  return item;
}

Status UserNotFound(std::string_view id) {
  return NotFound("user \"" + std::string(id) + "\" not found");
}
Status ItemNotFound(std::string_view id) {
  return NotFound("item \"" + std::string(id) + "\" not found");
}

// Lists rows ordered by id after the cursor's id.
template <typename T, typename ReadFn>
Result<Page<T>> ListById(PgConn& conn, const std::string& columns, const char* id_column, char kind,
                         std::string_view cursor, int n, ReadFn read) {
  std::string after;
  if (!cursor.empty()) {
    RECO_ASSIGN_OR_RETURN(after, DecodeIdCursor(kind, cursor));
  }
  const std::string sql =
      columns + " WHERE " + id_column + " > $1 ORDER BY " + id_column + " LIMIT $2";
  RECO_ASSIGN_OR_RETURN(PgResult res, conn.Query(sql, Params().Add(after).Add(n + 1)));
  Page<T> page;
  const int rows = std::min(res.Rows(), n);
  for (int r = 0; r < rows; ++r) {
    Result<T> row = read(res, r);
    if (!row.ok()) return row.status();
    page.rows.push_back(std::move(row).value());
  }
  if (res.Rows() > n) page.next_cursor = EncodeIdCursor(kind, res.Text(n - 1, 0));
  return page;
}

}  // namespace

Status ClearStage(PgConn& conn, std::string_view table, size_t rows) {
  constexpr size_t kTruncateRows = 10'000;
  return conn.Exec((rows >= kTruncateRows ? "TRUNCATE " : "DELETE FROM ") + std::string(table));
}

Status PostgresStore::WriteUsers(PgConn& conn, std::span<const User> users) {
  if (users.empty()) return Status::Ok();
  std::string data;
  for (size_t i = 0; i < users.size(); ++i) {
    data += std::to_string(i);
    data.push_back('\t');
    AppendCopyText(data, users[i].user_id);
    data.push_back('\t');
    AppendCopyText(data, LabelsOrNull(users[i].labels_json));
    data.push_back('\t');
    AppendCopyText(data, users[i].comment);
    data.push_back('\n');
  }
  RECO_RETURN_IF_ERROR(ClearStage(conn, "users_stage", users.size()));
  RECO_RETURN_IF_ERROR(conn.CopyIn("COPY users_stage FROM STDIN", data));
  return conn
      .Command(
          "INSERT INTO users(user_id, labels, comment)"
          " SELECT DISTINCT ON (user_id) user_id, labels, comment FROM users_stage"
          " ORDER BY user_id, ord DESC"
          " ON CONFLICT (user_id) DO UPDATE SET labels = excluded.labels,"
          " comment = excluded.comment")
      .status();
}

Status PostgresStore::WriteItems(PgConn& conn, std::span<const Item> items) {
  if (items.empty()) return Status::Ok();
  std::string data;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    data += std::to_string(i);
    data.push_back('\t');
    AppendCopyText(data, item.item_id);
    data += item.is_hidden ? "\tt\t" : "\tf\t";
    AppendCopyText(data, EncodeStringArray(item.categories));
    data.push_back('\t');
    AppendCopyText(data, LabelsOrNull(item.labels_json));
    data.push_back('\t');
    data += std::to_string(item.timestamp);
    data.push_back('\t');
    AppendCopyText(data, item.comment);
    data.push_back('\n');
  }
  RECO_RETURN_IF_ERROR(ClearStage(conn, "items_stage", items.size()));
  RECO_RETURN_IF_ERROR(conn.CopyIn("COPY items_stage FROM STDIN", data));
  return conn
      .Command(
          "INSERT INTO items(item_id, is_hidden, categories, labels, ts, comment)"
          " SELECT DISTINCT ON (item_id) item_id, is_hidden, categories, labels, ts, comment"
          " FROM items_stage ORDER BY item_id, ord DESC"
          " ON CONFLICT (item_id) DO UPDATE SET is_hidden = excluded.is_hidden,"
          " categories = excluded.categories, labels = excluded.labels, ts = excluded.ts,"
          " comment = excluded.comment")
      .status();
}

Result<int64_t> PostgresStore::InsertUsers(std::span<const User> users) {
  RECO_RETURN_IF_ERROR(CheckUserIds(users));
  return Write(
      [&](PgConn& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(WriteUsers(conn, users));
        return static_cast<int64_t>(users.size());
      },
      users.size());
}

Result<User> PostgresStore::GetUser(std::string_view user_id) {
  return Read<User>([&](PgConn& conn) -> Result<User> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query(std::string(kUserColumns) + " WHERE user_id = $1", Params().Add(user_id)));
    if (res.Rows() == 0) return UserNotFound(user_id);
    return ReadUser(res, 0);
  });
}

Result<int64_t> PostgresStore::ModifyUser(std::string_view user_id, const UserPatch& patch) {
  RECO_RETURN_IF_ERROR(CheckId(user_id, "UserId"));
  std::optional<std::string> labels;
  if (patch.labels_json) labels = std::string(LabelsOrNull(*patch.labels_json));
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        int64_t changed,
        conn.Command("UPDATE users SET labels = coalesce($2::text, labels),"
                     " comment = coalesce($3::text, comment) WHERE user_id = $1",
                     Params().Add(user_id).AddOptional(labels).AddOptional(patch.comment)));
    if (changed == 0) return UserNotFound(user_id);
    return int64_t{1};
  });
}

Result<int64_t> PostgresStore::DeleteUser(std::string_view user_id) {
  RECO_RETURN_IF_ERROR(CheckId(user_id, "UserId"));
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_RETURN_IF_ERROR(
        conn.Command("DELETE FROM feedback WHERE user_id = $1", Params().Add(user_id)).status());
    return conn.Command("DELETE FROM users WHERE user_id = $1", Params().Add(user_id));
  });
}

Result<Page<User>> PostgresStore::ListUsers(std::string_view cursor, int n) {
  RECO_RETURN_IF_ERROR(CheckPageSize(n));
  return Read<Page<User>>([&](PgConn& conn) {
    return ListById<User>(
        conn, kUserColumns, "user_id", 'u', cursor, n,
        [](const PgResult& r, int row) -> Result<User> { return ReadUser(r, row); });
  });
}

Status PostgresStore::ScanUsers(const std::function<void(const User&)>& fn) {
  return ScanCursor(kUserColumns, [&](const PgResult& res) {
    for (int r = 0; r < res.Rows(); ++r) fn(ReadUser(res, r));
    return Status::Ok();
  });
}

Result<int64_t> PostgresStore::InsertItems(std::span<const Item> items) {
  RECO_RETURN_IF_ERROR(CheckItemIds(items));
  return Write(
      [&](PgConn& conn) -> Result<int64_t> {
        RECO_RETURN_IF_ERROR(WriteItems(conn, items));
        return static_cast<int64_t>(items.size());
      },
      items.size());
}

Result<Item> PostgresStore::GetItem(std::string_view item_id) {
  return Read<Item>([&](PgConn& conn) -> Result<Item> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query(std::string(kItemColumns) + " WHERE item_id = $1", Params().Add(item_id)));
    if (res.Rows() == 0) return ItemNotFound(item_id);
    return ReadItem(res, 0);
  });
}

Result<int64_t> PostgresStore::ModifyItem(std::string_view item_id, const ItemPatch& patch) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  std::optional<std::string> categories;
  if (patch.categories) categories = EncodeStringArray(*patch.categories);
  std::optional<std::string> labels;
  if (patch.labels_json) labels = std::string(LabelsOrNull(*patch.labels_json));
  std::optional<int64_t> ts;
  if (patch.timestamp) ts = static_cast<int64_t>(*patch.timestamp);
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(
        int64_t changed,
        conn.Command("UPDATE items SET is_hidden = coalesce($2::boolean, is_hidden),"
                     " categories = coalesce($3::text, categories),"
                     " labels = coalesce($4::text, labels), ts = coalesce($5::bigint, ts),"
                     " comment = coalesce($6::text, comment) WHERE item_id = $1",
                     Params()
                         .Add(item_id)
                         .AddOptional(patch.is_hidden)
                         .AddOptional(categories)
                         .AddOptional(labels)
                         .AddOptional(ts)
                         .AddOptional(patch.comment)));
    if (changed == 0) return ItemNotFound(item_id);
    return int64_t{1};
  });
}

Result<int64_t> PostgresStore::DeleteItem(std::string_view item_id) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_RETURN_IF_ERROR(
        conn.Command("DELETE FROM feedback WHERE item_id = $1", Params().Add(item_id)).status());
    return conn.Command("DELETE FROM items WHERE item_id = $1", Params().Add(item_id));
  });
}

Result<int64_t> PostgresStore::AddItemCategory(std::string_view item_id,
                                               std::string_view category) {
  return EditItemCategories(item_id, category, /*add=*/true);
}

Result<int64_t> PostgresStore::RemoveItemCategory(std::string_view item_id,
                                                  std::string_view category) {
  return EditItemCategories(item_id, category, /*add=*/false);
}

Result<int64_t> PostgresStore::EditItemCategories(std::string_view item_id,
                                                  std::string_view category, bool add) {
  RECO_RETURN_IF_ERROR(CheckId(item_id, "ItemId"));
  if (category.empty()) return InvalidArgument("Category: empty category", "Category");
  return Write([&](PgConn& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(PgResult res,
                          conn.Query("SELECT categories FROM items WHERE item_id = $1 FOR UPDATE",
                                     Params().Add(item_id)));
    if (res.Rows() == 0) return ItemNotFound(item_id);
    RECO_ASSIGN_OR_RETURN(std::vector<std::string> categories, DecodeStringArray(res.Text(0, 0)));
    auto found = std::find(categories.begin(), categories.end(), category);
    if (add == (found != categories.end())) return int64_t{0};
    if (add) {
      categories.emplace_back(category);
    } else {
      categories.erase(std::remove(categories.begin(), categories.end(), category),
                       categories.end());
    }
    RECO_RETURN_IF_ERROR(conn.Command("UPDATE items SET categories = $2 WHERE item_id = $1",
                                      Params().Add(item_id).Add(EncodeStringArray(categories)))
                             .status());
    return int64_t{1};
  });
}

Result<Page<Item>> PostgresStore::ListItems(std::string_view cursor, int n) {
  RECO_RETURN_IF_ERROR(CheckPageSize(n));
  return Read<Page<Item>>([&](PgConn& conn) {
    return ListById<Item>(conn, kItemColumns, "item_id", 'i', cursor, n, ReadItem);
  });
}

Status PostgresStore::ScanItems(const std::function<void(const Item&)>& fn) {
  return ScanCursor(kItemColumns, [&](const PgResult& res) -> Status {
    for (int r = 0; r < res.Rows(); ++r) {
      RECO_ASSIGN_OR_RETURN(Item item, ReadItem(res, r));
      fn(item);
    }
    return Status::Ok();
  });
}

}  // namespace reco::pg
