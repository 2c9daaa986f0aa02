#include "service/dataset_service.h"

#include <span>

#include "store/id_check.h"

namespace reco::service {
namespace {

// The export's kinds in order, and the cursor prefix of each.
enum class Kind { kUsers, kItems, kFeedback };
constexpr std::string_view kPrefix[] = {"users:", "items:", "feedback:"};

struct Position {
  Kind kind = Kind::kUsers;
  std::string store_cursor;
};

Result<Position> ParseCursor(std::string_view cursor) {
  if (cursor.empty()) return Position{};
  for (int k = 0; k < 3; ++k) {
    if (cursor.starts_with(kPrefix[k])) {
      return Position{static_cast<Kind>(k), std::string(cursor.substr(kPrefix[k].size()))};
    }
  }
  return InvalidArgument("cursor: not a cursor of a dataset export", "cursor");
}

// The cursor after a page of `kind` whose store cursor is `next` ("" = that kind is done).
std::string NextCursor(Kind kind, const std::string& next) {
  if (!next.empty()) return std::string(kPrefix[static_cast<int>(kind)]) + next;
  if (kind == Kind::kFeedback) return "";
  return std::string(kPrefix[static_cast<int>(kind) + 1]);
}

template <typename Row, typename Write>
Status WriteInBatches(const std::vector<Row>& rows, Write&& write, int64_t& written,
                      const ImportReport& report,
                      const std::function<void(const ImportReport&)>& progress) {
  for (size_t start = 0; start < rows.size(); start += DatasetService::kImportBatch) {
    const size_t count = std::min(DatasetService::kImportBatch, rows.size() - start);
    RECO_ASSIGN_OR_RETURN(RowsAffected r, write(std::span<const Row>(rows).subspan(start, count)));
    written += static_cast<int64_t>(count);
    (void)r;
    if (progress) progress(report);
  }
  return Status::Ok();
}

// The ids of every row, before anything is written: a bad id found by the store after the
// users were written would leave a half-imported dataset.
Status CheckIds(const DatasetRows& rows) {
  for (size_t i = 0; i < rows.users.size(); ++i) {
    RECO_RETURN_IF_ERROR(CheckBatchId(rows.users[i].user_id, "users", i, "UserId"));
  }
  for (size_t i = 0; i < rows.items.size(); ++i) {
    RECO_RETURN_IF_ERROR(CheckBatchId(rows.items[i].item_id, "items", i, "ItemId"));
  }
  for (size_t i = 0; i < rows.feedback.size(); ++i) {
    const Feedback& f = rows.feedback[i];
    RECO_RETURN_IF_ERROR(CheckBatchId(f.feedback_type, "feedback", i, "FeedbackType"));
    RECO_RETURN_IF_ERROR(CheckBatchId(f.user_id, "feedback", i, "UserId"));
    RECO_RETURN_IF_ERROR(CheckBatchId(f.item_id, "feedback", i, "ItemId"));
  }
  return Status::Ok();
}

}  // namespace

DatasetService::DatasetService(Store& store, CatalogueService& catalogue, FeedbackService& feedback)
    : store_(store), catalogue_(catalogue), feedback_(feedback) {}

Result<ExportPage> DatasetService::Export(const ExportPageRequest& request) {
  if (request.n < 1 || request.n > kMaxExportPage) {
    return InvalidArgument("n must be between 1 and " + std::to_string(kMaxExportPage), "n");
  }
  RECO_ASSIGN_OR_RETURN(Position at, ParseCursor(request.cursor));
  ExportPage page;
  switch (at.kind) {
    case Kind::kUsers: {
      RECO_ASSIGN_OR_RETURN(Page<User> users, store_.ListUsers(at.store_cursor, request.n));
      page.rows.users = std::move(users.rows);
      page.next_cursor = NextCursor(at.kind, users.next_cursor);
      break;
    }
    case Kind::kItems: {
      RECO_ASSIGN_OR_RETURN(Page<Item> items, store_.ListItems(at.store_cursor, request.n));
      page.rows.items = std::move(items.rows);
      page.next_cursor = NextCursor(at.kind, items.next_cursor);
      break;
    }
    case Kind::kFeedback: {
      RECO_ASSIGN_OR_RETURN(Page<Feedback> rows,
                            store_.ListFeedback(FeedbackFilter{}, at.store_cursor, request.n));
      page.rows.feedback = std::move(rows.rows);
      page.next_cursor = NextCursor(at.kind, rows.next_cursor);
      break;
    }
  }
  return page;
}

Status DatasetService::ExportAll(int page_size,
                                 const std::function<bool(const ExportPage&)>& emit) {
  ExportPageRequest request{.n = page_size};
  do {
    RECO_ASSIGN_OR_RETURN(ExportPage page, Export(request));
    if (!emit(page)) return Status::Ok();
    request.cursor = std::move(page.next_cursor);
  } while (!request.cursor.empty());
  return Status::Ok();
}

Result<ImportReport> DatasetService::Import(
    const DatasetRows& rows, const std::function<void(const ImportReport&)>& progress) {
  RECO_RETURN_IF_ERROR(CheckIds(rows));
  ImportReport report;
  RECO_RETURN_IF_ERROR(WriteInBatches(
      rows.users, [&](std::span<const User> b) { return catalogue_.PutUsers(b); }, report.users,
      report, progress));
  RECO_RETURN_IF_ERROR(WriteInBatches(
      rows.items, [&](std::span<const Item> b) { return catalogue_.PutItems(b); }, report.items,
      report, progress));
  RECO_RETURN_IF_ERROR(WriteInBatches(
      rows.feedback,
      [&](std::span<const Feedback> b) { return feedback_.Write({.rows = b, .overwrite = true}); },
      report.feedback, report, progress));
  return report;
}

}  // namespace reco::service
