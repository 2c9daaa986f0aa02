// CatalogueService: users, items and item categories for every transport. Each write goes to
// the store first and, once it succeeded, into the OnlineState, so the next recommendation sees
// a new, patched, hidden or deleted item without retraining.
//
// Thread-safety: safe from any number of request threads (the store and online state are).
// Lifetime: borrows the Store and OnlineState, which must outlive it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "service/feedback_service.h"
#include "serving/content_index.h"
#include "serving/online_state.h"
#include "store/store.h"

namespace reco::service {

struct ListPageRequest {
  std::string cursor;  // "" for the first page
  int n = 10;
};

// PUT /api/item/{id}/vector and PUT /api/items/vectors: an item's supplied vector.
struct ItemVector {
  std::string item_id;
  std::vector<float> vector;
};

struct ItemCategoryRequest {
  std::string item_id;
  std::string category;
};

// What the store holds, and the feedback written last (newest first).
struct DataSummary {
  StoreCounts counts;
  std::vector<Feedback> recent_feedback;
};

class CatalogueService {
 public:
  // `limits`: the tenant's max_users / max_items (a batch that could go past one is refused with
  // PermissionDenied naming the quota; every row of a batch counts as new).
  // `content`, when given, sees every item write at once (new and changed items get their
  // vectors, deleted ones leave the indexes) and checks supplied vectors before the store does.
  CatalogueService(Store& store, OnlineState& state, CatalogueLimitsFn limits = {},
                   ContentIndexes* content = nullptr);

  // Counts of users, items and feedback, and the `recent` feedback rows written last (by write
  // order, newest first; 0..1000).
  Result<DataSummary> Summary(int recent);

  // Inserts or replaces the users (one atomic batch).
  Result<RowsAffected> PutUsers(std::span<const User> users);
  Result<User> GetUser(std::string_view user_id);  // NotFound
  Result<RowsAffected> PatchUser(std::string_view user_id, const UserPatch& patch);
  // Deletes the user and its feedback.
  Result<RowsAffected> DeleteUser(std::string_view user_id);
  Result<Page<User>> ListUsers(const ListPageRequest& request);

  // Inserts or replaces the items (one atomic batch).
  Result<RowsAffected> PutItems(std::span<const Item> items);
  Result<Item> GetItem(std::string_view item_id);  // NotFound
  Result<RowsAffected> PatchItem(std::string_view item_id, const ItemPatch& patch);
  // Deletes the item and its feedback.
  Result<RowsAffected> DeleteItem(std::string_view item_id);
  Result<Page<Item>> ListItems(const ListPageRequest& request);
  // Sets the supplied vector of existing items (the label content.supplied_label of their
  // Labels, Gorse's `embedding`), all or none: InvalidArgument naming the field ("Vector",
  // "[i].Vector") for a vector of the wrong dimension or with a value that is not finite,
  // NotFound naming an unknown item; nothing is written then. FailedPrecondition without
  // content indexes.
  Result<RowsAffected> PutItemVectors(std::span<const ItemVector> vectors);
  Result<RowsAffected> AddItemCategory(const ItemCategoryRequest& request);
  Result<RowsAffected> RemoveItemCategory(const ItemCategoryRequest& request);

 private:
  // Copies the item's categories from the store into the online state.
  void MirrorCategories(std::string_view item_id);

  // PermissionDenied naming the quota when adding `users` / `items` rows could pass it.
  Status CheckLimits(size_t users, size_t items);

  Store& store_;
  OnlineState& state_;
  CatalogueLimitsFn limits_;
  ContentIndexes* content_;
};

}  // namespace reco::service
