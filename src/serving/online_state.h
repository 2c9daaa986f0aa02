// OnlineState: what the server knows right now, updated by every write without retraining —
// the item catalogue (hidden flag, categories, timestamp), each user's recent positive history
// and seen set, the item → users index and live popularity counters.
//
// Thread-safety: every method is safe to call concurrently. Users are sharded behind
// shared_mutexes; the catalogue has its own shared_mutex. Item indices ("catalog index") are
// dense, assigned on first sight and never reused, so remaps built from them stay valid.
// Lifetime: loaded once at start-up from the Store, then owned by the server.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/feedback_types.h"
#include "core/status.h"
#include "store/store.h"
#include "store/types.h"

namespace reco {

struct OnlineStateOptions {
  FeedbackTypes feedback_types;
  int history_size = 50;  // recent positive items kept per user
};

// The state snapshot's file name in a tenant's data directory.
inline constexpr std::string_view kStateSnapshotFile = "online_state.snapshot";

// Where the start-up state comes from (LoadWithSnapshot, serving/online_state_snapshot.cc).
struct StateSnapshotOptions {
  std::filesystem::path path;  // empty = no snapshot: always replay the store
  // What the snapshot must have been written for; a snapshot of another tenant or store is
  // not used.
  std::string tenant;
  std::string store;
  // After a start from the snapshot, a new one is written when at least this many rows (and
  // this share of the snapshot's rows) had to be replayed after it.
  int64_t rewrite_after_rows = 100'000;
  double rewrite_after_share = 0.1;
};

struct StateLoadReport {
  bool from_snapshot = false;
  int64_t max_seq = 0;         // the highest feedback seq in the state
  int64_t snapshot_rows = 0;   // feedback rows the snapshot covered
  int64_t replayed_rows = 0;   // feedback rows read from the store
  std::string fallback;        // why the snapshot was not used ("" when it was, or none asked)
  bool snapshot_written = false;
  double seconds = 0;
};

// How a feedback type counts.
enum class FeedbackKind : uint8_t { kOther = 0, kPositive, kRead, kNegative };

struct UserSnapshot {
  bool known = false;
  std::vector<uint32_t> recent_positive;  // catalog indices, oldest first
  std::vector<uint32_t> seen;             // sorted catalog indices with any feedback
};

// Transparent hashing so that lookups by string_view allocate nothing.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

class OnlineState {
 public:
  explicit OnlineState(OnlineStateOptions options);

  // Replaces everything with the store's contents (start-up). Returns the max feedback seq read.
  Result<int64_t> LoadFromStore(Store& store);
  // Start-up through a snapshot of this state (serving/online_state_snapshot.cc): restores the
  // snapshot at `options.path` when it is intact and still matches the store, then applies the
  // feedback written after it; otherwise (missing, corrupt, other version, tenant, store or
  // feedback types, or rows deleted or rewritten since) replays the whole store like
  // LoadFromStore, logs why at warn, and writes a new snapshot.
  Result<StateLoadReport> LoadWithSnapshot(Store& store, const StateSnapshotOptions& options);
  // Writes the state as a snapshot that covers the store's feedback up to `max_seq` (`rows`
  // rows; the row at `max_seq` is `last`), atomically. Only meaningful when the state holds
  // exactly those rows, i.e. right after loading.
  Status WriteSnapshot(const StateSnapshotOptions& options, int64_t max_seq, int64_t rows,
                       const Feedback& last) const;

  FeedbackKind KindOf(std::string_view feedback_type) const;

  // ---- writes (call after the store accepted the write)
  void UpsertItem(const Item& item);
  void PatchItem(std::string_view item_id, const ItemPatch& patch);
  void SetItemCategories(std::string_view item_id, std::vector<std::string> categories);
  void DeleteItem(std::string_view item_id);
  void UpsertUser(std::string_view user_id);
  void DeleteUser(std::string_view user_id);
  void ApplyFeedback(const Feedback& feedback);
  // `count_live` = false when re-applying rows from the store (UserProfiles::Refresh): the live
  // popularity counters then stay as they are. Re-applying a row already applied is harmless.
  void ApplyFeedback(std::span<const Feedback> rows, bool count_live = true);
  // After feedback rows were deleted from the store: rebuilds the user's state from `rows`
  // (all of its remaining feedback).
  void ResetUserFeedback(std::string_view user_id, std::vector<Feedback> rows);

  // ---- reads
  std::optional<uint32_t> FindItem(std::string_view item_id) const;
  uint32_t FindOrAddItem(std::string_view item_id);
  std::string ItemId(uint32_t index) const;
  size_t ItemCount() const;
  // A read lock on the catalogue for filtering many candidates at once (one lock per request,
  // not per item). Writers wait while a view is alive: keep it short-lived.
  class CatalogView {
   public:
    // False for hidden, deleted or unknown items, and for items outside the view's category.
    bool IsRecommendable(uint32_t item) const {
      if (item >= state_->blocked_.size() || state_->blocked_[item] != 0) return false;
      return !has_category_ || InCategory(item);
    }
    // False when the view names a category that no item has.
    bool CategoryExists() const { return category_ok_; }
    size_t ItemCount() const { return state_->items_.size(); }
    const std::string& ItemId(uint32_t item) const { return state_->item_ids_[item]; }
    int64_t TimestampSeconds(uint32_t item) const { return state_->items_[item].timestamp_s; }
    // The catalogue index of a known, not deleted item (FindItem without another lock).
    std::optional<uint32_t> Find(std::string_view item_id) const;
    // Category indices of `item` (empty for an unknown item).
    std::span<const uint32_t> Categories(uint32_t item) const {
      if (item >= state_->items_.size()) return {};
      return state_->items_[item].categories;
    }
    bool HasCategory(uint32_t item, uint32_t category) const;
    const std::string& CategoryName(uint32_t category) const {
      return state_->category_names_[category];
    }
    // The index of a category / label some item has had (nullopt when none ever had it).
    std::optional<uint32_t> FindCategory(std::string_view name) const;
    std::optional<uint32_t> FindLabel(std::string_view name) const;
    // Label indices of `item` (serving/item_labels.h; empty for an unknown item), sorted.
    std::span<const uint32_t> Labels(uint32_t item) const {
      if (item >= state_->items_.size()) return {};
      return state_->items_[item].labels;
    }

   private:
    friend class OnlineState;
    CatalogView(const OnlineState* state, std::string_view category);
    bool InCategory(uint32_t item) const;
    const OnlineState* state_;
    std::shared_lock<std::shared_mutex> lock_;
    bool has_category_ = false;
    bool category_ok_ = true;
    uint32_t category_ = 0;
  };
  // `category` "" = no category filter.
  CatalogView View(std::string_view category) const { return CatalogView(this, category); }
  int64_t ItemTimestampSeconds(uint32_t item) const;
  UserSnapshot GetUser(std::string_view user_id) const;
  // Same, into `out` (its vectors' capacity is reused: no allocation on a warm thread).
  void GetUser(std::string_view user_id, UserSnapshot& out) const;
  // Users (by id) who gave positive feedback to `item`, newest last; at most `limit`.
  std::vector<std::string> ItemUsers(uint32_t item, size_t limit) const;
  std::vector<uint32_t> UserPositiveItems(std::string_view user_id) const;
  // How many distinct items the user gave positive feedback to (0 for an unknown user); no copy.
  size_t UserPositiveCount(std::string_view user_id) const;
  // Positive feedback counted since start-up / the last ResetLiveCounts (hot counters).
  double LiveCount(uint32_t item) const;
  // (item, live count) of every item with one, for merging into popularity lists; into `out`
  // (capacity reused), under one lock.
  void LiveCounts(std::vector<std::pair<uint32_t, float>>& out) const;
  void ResetLiveCounts();

 private:
  struct ItemState {
    bool hidden = false;
    bool deleted = false;
    int64_t timestamp_s = 0;
    std::vector<uint32_t> categories;  // category indices
    std::vector<uint32_t> labels;      // label indices (serving/item_labels.h), sorted
  };
  struct UserState {
    std::vector<uint32_t> recent_positive;
    std::vector<uint32_t> seen;  // sorted
    std::vector<uint32_t> positive_all;
  };
  struct UserShard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, UserState, StringHash, std::equal_to<>> users;
  };
  static constexpr size_t kShards = 64;

  UserShard& ShardFor(std::string_view user_id) const;
  // Snapshot internals (online_state_snapshot.cc).
  struct SnapshotHeader;
  Status RestoreSnapshot(std::string_view data, const StateSnapshotOptions& options,
                         SnapshotHeader& header);
  void ClearLocked();
  uint64_t OptionsFingerprint() const;
  // LoadFromStore, also returning the rows read and the last of them.
  Result<int64_t> ReplayStore(Store& store, int64_t& rows, Feedback& last);
  uint32_t FindOrAddItemLocked(std::string_view item_id);
  uint32_t CategoryIndexLocked(std::string_view category);
  void SetLabelsLocked(ItemState& item, std::string_view labels_json);
  void SetItemLocked(uint32_t index, const Item& item);
  // Returns true when `item` became a positive of the user for the first time.
  bool ApplyToUserLocked(UserState& user, uint32_t item, FeedbackKind kind);
  // Needs index_mu_: the item -> users index, and the live counter when `count_live`.
  void IndexPositiveLocked(std::string_view user_id, uint32_t item, bool new_positive,
                           bool count_live);

  OnlineStateOptions options_;
  std::unordered_map<std::string, FeedbackKind, StringHash, std::equal_to<>> kinds_;

  mutable std::shared_mutex catalog_mu_;  // guards the catalogue below
  IdIndex item_index_;
  std::vector<std::string> item_ids_;
  std::vector<ItemState> items_;
  std::vector<uint8_t> blocked_;  // 1 = hidden or deleted; dense for the filtering hot path
  IdIndex category_index_;
  std::vector<std::string> category_names_;  // category index -> name
  IdIndex label_index_;                      // label -> label index

  mutable std::shared_mutex index_mu_;             // guards the item -> users index and live counts
  std::vector<std::vector<uint32_t>> item_users_;  // catalog index -> user indices
  IdIndex user_index_;                             // for item_users_
  std::vector<std::string> user_ids_;
  std::unordered_map<uint32_t, double> live_counts_;

  mutable std::unique_ptr<UserShard[]> shards_;
};

}  // namespace reco
