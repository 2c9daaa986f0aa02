#include "service/catalogue_service.h"

#include <utility>

#include <algorithm>

#include "content/vectors.h"

namespace reco::service {

Result<DataSummary> CatalogueService::Summary(int recent) {
  if (recent < 0 || recent > 1000) return InvalidArgument("recent must be in 0..1000", "recent");
  DataSummary summary;
  RECO_ASSIGN_OR_RETURN(summary.counts, store_.Counts());
  if (recent == 0) return summary;
  RECO_ASSIGN_OR_RETURN(int64_t last, store_.MaxFeedbackSeq());
  // Sequence numbers of overwritten rows move on: the newest `recent` numbers may hold fewer
  // rows than that, never rows older than them.
  RECO_RETURN_IF_ERROR(store_.ScanFeedback(
      std::max<int64_t>(0, last - recent),
      [&summary](const FeedbackRecord& record) { summary.recent_feedback.push_back(record.feedback); }));
  std::reverse(summary.recent_feedback.begin(), summary.recent_feedback.end());
  return summary;
}

CatalogueService::CatalogueService(Store& store, OnlineState& state, CatalogueLimitsFn limits,
                                   ContentIndexes* content)
    : store_(store), state_(state), limits_(std::move(limits)), content_(content) {}

Status CatalogueService::CheckLimits(size_t users, size_t items) {
  if (!limits_) return Status::Ok();
  const CatalogueLimits limits = limits_();
  const bool users_capped = limits.max_users > 0 && users > 0;
  const bool items_capped = limits.max_items > 0 && items > 0;
  if (!users_capped && !items_capped) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(StoreCounts counts, store_.Counts());
  auto over = [](int64_t stored, size_t added, int64_t max) {
    return stored + static_cast<int64_t>(added) > max;
  };
  if (users_capped && over(counts.users, users, limits.max_users)) {
    return Status(StatusCode::kPermissionDenied,
                  "the tenant's quota max_users=" + std::to_string(limits.max_users) +
                      " does not allow " + std::to_string(users) + " more users (" +
                      std::to_string(counts.users) + " stored)",
                  "max_users");
  }
  if (items_capped && over(counts.items, items, limits.max_items)) {
    return Status(StatusCode::kPermissionDenied,
                  "the tenant's quota max_items=" + std::to_string(limits.max_items) +
                      " does not allow " + std::to_string(items) + " more items (" +
                      std::to_string(counts.items) + " stored)",
                  "max_items");
  }
  return Status::Ok();
}

Result<RowsAffected> CatalogueService::PutUsers(std::span<const User> users) {
  RECO_RETURN_IF_ERROR(CheckLimits(users.size(), 0));
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.InsertUsers(users));
  for (const User& u : users) state_.UpsertUser(u.user_id);
  return RowsAffected{n};
}

Result<User> CatalogueService::GetUser(std::string_view user_id) { return store_.GetUser(user_id); }

Result<RowsAffected> CatalogueService::PatchUser(std::string_view user_id, const UserPatch& patch) {
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.ModifyUser(user_id, patch));
  return RowsAffected{n};
}

Result<RowsAffected> CatalogueService::DeleteUser(std::string_view user_id) {
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.DeleteUser(user_id));
  state_.DeleteUser(user_id);
  return RowsAffected{n};
}

Result<Page<User>> CatalogueService::ListUsers(const ListPageRequest& request) {
  return store_.ListUsers(request.cursor, request.n);
}

Result<RowsAffected> CatalogueService::PutItems(std::span<const Item> items) {
  RECO_RETURN_IF_ERROR(CheckLimits(0, items.size()));
  if (content_ != nullptr) RECO_RETURN_IF_ERROR(content_->CheckItems(items));
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.InsertItems(items));
  for (const Item& item : items) state_.UpsertItem(item);
  if (content_ != nullptr) content_->ItemsWritten(items);
  return RowsAffected{n};
}

Result<RowsAffected> CatalogueService::PutItemVectors(std::span<const ItemVector> vectors) {
  if (content_ == nullptr) return FailedPrecondition("item vectors are not served here");
  const std::string& label = content_->options().supplied_label;
  std::vector<Item> items;
  items.reserve(vectors.size());
  size_t batch_dim = 0;
  for (size_t i = 0; i < vectors.size(); ++i) {
    const std::string field =
        vectors.size() > 1 ? "[" + std::to_string(i) + "].Vector" : std::string("Vector");
    RECO_RETURN_IF_ERROR(content_->CheckSuppliedVector(vectors[i].vector, field));
    if (batch_dim == 0) batch_dim = vectors[i].vector.size();
    if (vectors[i].vector.size() != batch_dim) {
      return InvalidArgument(field + ": the vector has " +
                                 std::to_string(vectors[i].vector.size()) +
                                 " values, the batch's first has " + std::to_string(batch_dim),
                             field);
    }
    Result<Item> item = store_.GetItem(vectors[i].item_id);
    if (!item.ok()) return item.status();
    RECO_ASSIGN_OR_RETURN(item->labels_json,
                          content::WithVectorLabel(item->labels_json, label, vectors[i].vector,
                                                   field));
    items.push_back(std::move(item).value());
  }
  // One atomic batch: every vector is written, or none.
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.InsertItems(items));
  for (const Item& item : items) state_.UpsertItem(item);
  content_->ItemsWritten(items);
  return RowsAffected{n};
}

Result<Item> CatalogueService::GetItem(std::string_view item_id) { return store_.GetItem(item_id); }

Result<RowsAffected> CatalogueService::PatchItem(std::string_view item_id, const ItemPatch& patch) {
  if (content_ != nullptr && patch.labels_json) {
    Item labels;
    labels.labels_json = *patch.labels_json;
    RECO_RETURN_IF_ERROR(content_->CheckItems(std::span<const Item>(&labels, 1)));
  }
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.ModifyItem(item_id, patch));
  state_.PatchItem(item_id, patch);
  if (content_ != nullptr) content_->ItemChanged(item_id);
  return RowsAffected{n};
}

Result<RowsAffected> CatalogueService::DeleteItem(std::string_view item_id) {
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.DeleteItem(item_id));
  state_.DeleteItem(item_id);
  if (content_ != nullptr) content_->ItemDeleted(item_id);
  return RowsAffected{n};
}

Result<Page<Item>> CatalogueService::ListItems(const ListPageRequest& request) {
  return store_.ListItems(request.cursor, request.n);
}

Result<RowsAffected> CatalogueService::AddItemCategory(const ItemCategoryRequest& request) {
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.AddItemCategory(request.item_id, request.category));
  MirrorCategories(request.item_id);
  return RowsAffected{n};
}

Result<RowsAffected> CatalogueService::RemoveItemCategory(const ItemCategoryRequest& request) {
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.RemoveItemCategory(request.item_id, request.category));
  MirrorCategories(request.item_id);
  return RowsAffected{n};
}

void CatalogueService::MirrorCategories(std::string_view item_id) {
  // The store holds the merged list; an item it cannot read back keeps its online categories.
  if (Result<Item> item = store_.GetItem(item_id); item.ok()) {
    state_.SetItemCategories(item_id, item->categories);
    if (content_ != nullptr) content_->ItemsWritten(std::span<const Item>(&*item, 1));
  }
}

}  // namespace reco::service
