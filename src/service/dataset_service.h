// DatasetService: the whole dataset of a store (users, items, feedback) out and in, for every
// transport: REST's /api/v1/dataset/export (pages of JSON lines) and /api/v1/dataset/import,
// gRPC's DatasetService (a server stream out, a client stream in), like Gorse's dump and restore.
//
// Export walks the store in a fixed order — users, then items, then feedback — by cursor pages;
// the cursor names the kind and the store's cursor within it, so an export can be resumed and
// a row written during the export is seen at most once. Import writes users, then items, then
// feedback (so that the feedback's users and items exist), each in batches of kImportBatch rows;
// feedback replaces an existing (type, user, item) row, so importing an export again changes
// nothing. The rows were parsed by the transport; Import checks every id before it writes
// anything (InvalidArgument naming the row), so bad input writes nothing. A store failure in
// the middle (disk full) leaves the batches before it written: importing again completes it.
//
// Thread-safety: safe from any number of request threads (the services and store are).
// Lifetime: borrows the Store, CatalogueService and FeedbackService.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "service/catalogue_service.h"
#include "service/feedback_service.h"
#include "store/store.h"

namespace reco::service {

struct DatasetRows {
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;

  size_t size() const { return users.size() + items.size() + feedback.size(); }
};

struct ExportPageRequest {
  std::string cursor;  // "" for the first page
  int n = 1000;        // rows at most (1..kMaxExportPage)
};

struct ExportPage {
  DatasetRows rows;         // of one kind per page
  std::string next_cursor;  // "" after the last page
};

struct ImportReport {
  int64_t users = 0;
  int64_t items = 0;
  int64_t feedback = 0;
};

class DatasetService {
 public:
  static constexpr int kMaxExportPage = 10000;
  static constexpr size_t kImportBatch = 10000;

  DatasetService(Store& store, CatalogueService& catalogue, FeedbackService& feedback);

  // InvalidArgument naming "cursor" or "n".
  Result<ExportPage> Export(const ExportPageRequest& request);
  // Every page until the end, each given to `emit` (false from `emit` stops early: Ok).
  Status ExportAll(int page_size, const std::function<bool(const ExportPage&)>& emit);
  // `progress` (may be empty) is told the rows written so far after each batch.
  Result<ImportReport> Import(const DatasetRows& rows,
                              const std::function<void(const ImportReport&)>& progress = {});

 private:
  Store& store_;
  CatalogueService& catalogue_;
  FeedbackService& feedback_;
};

}  // namespace reco::service
