// Dataset: an immutable training snapshot of the store — dense user and item indices, item
// attributes (hidden flag, timestamp, categories) and the positive interactions as CSR in both
// directions (user -> items, item -> users), deduplicated per (user, item) with the latest time.
//
// Thread-safety: a built Dataset is immutable; share it by const reference across threads.
// Lifetime: spans returned by accessors stay valid while the Dataset lives (it owns all arrays).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/feedback_types.h"
#include "core/status.h"
#include "core/time.h"
#include "store/store.h"
#include "store/types.h"

namespace reco {

namespace data_internal {
// Hashes std::string and std::string_view alike so that maps can be probed without a copy.
struct IdHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdIndexMap = std::unordered_map<std::string, uint32_t, IdHash, std::equal_to<>>;
}  // namespace data_internal

class DatasetBuilder;

class Dataset {
 public:
  // Returned by UserIndex/ItemIndex for an unknown id.
  static constexpr uint32_t kNoIndex = UINT32_MAX;

  // Scans users, items and feedback of `store`. Feedback types are classified by `types`;
  // feedback that names an unknown user or item adds it (as a bare user / visible item).
  static Result<Dataset> FromStore(Store& store, const FeedbackTypes& types);

  size_t num_users() const { return user_ids_.size(); }
  size_t num_items() const { return item_ids_.size(); }
  // Distinct (user, item) pairs with positive feedback.
  size_t num_positives() const { return user_items_.size(); }
  int64_t num_read_feedback() const { return num_read_; }
  int64_t num_negative_feedback() const { return num_negative_; }
  int64_t max_feedback_seq() const { return max_seq_; }
  // Latest timestamp over positive, read and negative feedback (0 when there is none).
  TimestampUs max_feedback_timestamp() const { return max_feedback_ts_; }
  // "seq<maxseq>-u<users>-i<items>-p<positives>".
  const std::string& snapshot_id() const { return snapshot_id_; }

  // Dense index <-> id; indices are 0..n-1. Lookups return kNoIndex for unknown ids.
  const std::vector<std::string>& user_ids() const { return user_ids_; }
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  uint32_t UserIndex(std::string_view user_id) const;
  uint32_t ItemIndex(std::string_view item_id) const;

  bool item_hidden(uint32_t item) const { return item_hidden_[item] != 0; }
  TimestampUs item_timestamp(uint32_t item) const { return item_timestamp_[item]; }
  // Indices into category_names(), sorted ascending.
  std::span<const uint32_t> ItemCategories(uint32_t item) const;
  const std::vector<std::string>& category_names() const { return category_names_; }

  // Items with positive feedback of `user`, ascending item index; times are parallel.
  std::span<const uint32_t> UserItems(uint32_t user) const;
  std::span<const TimestampUs> UserItemTimes(uint32_t user) const;
  // Users with positive feedback on `item`, ascending user index; times are parallel.
  std::span<const uint32_t> ItemUsers(uint32_t item) const;
  std::span<const TimestampUs> ItemUserTimes(uint32_t item) const;

 private:
  friend class DatasetBuilder;

  std::vector<std::string> user_ids_;
  std::vector<std::string> item_ids_;
  data_internal::IdIndexMap user_index_;
  data_internal::IdIndexMap item_index_;
  std::vector<uint8_t> item_hidden_;
  std::vector<TimestampUs> item_timestamp_;
  std::vector<uint32_t> item_category_offsets_;  // size num_items + 1
  std::vector<uint32_t> item_categories_;
  std::vector<std::string> category_names_;
  std::vector<uint64_t> user_offsets_;  // size num_users + 1
  std::vector<uint32_t> user_items_;
  std::vector<TimestampUs> user_item_times_;
  std::vector<uint64_t> item_offsets_;  // size num_items + 1
  std::vector<uint32_t> item_users_;
  std::vector<TimestampUs> item_user_times_;
  int64_t num_read_ = 0;
  int64_t num_negative_ = 0;
  int64_t max_seq_ = 0;
  TimestampUs max_feedback_ts_ = 0;
  std::string snapshot_id_;
};

// Accumulates users, items and feedback, then builds a Dataset. Used by Dataset::FromStore and
// directly by tests and benchmarks. Not thread-safe.
class DatasetBuilder {
 public:
  explicit DatasetBuilder(FeedbackTypes types = {});

  // Returns the user's index (existing or new).
  uint32_t AddUser(std::string_view user_id);
  // Adds or updates an item's attributes; returns its index.
  uint32_t AddItem(const Item& item);
  uint32_t AddItem(std::string_view item_id, bool is_hidden = false, TimestampUs timestamp = 0,
                   const std::vector<std::string>& categories = {});
  // Classifies the feedback by type; types listed nowhere are ignored. `seq` is the store's
  // write sequence number (the snapshot records the maximum).
  void AddFeedback(const Feedback& feedback, int64_t seq = 0);
  // Adds one positive interaction by index (both must already exist).
  void AddPositive(uint32_t user, uint32_t item, TimestampUs timestamp);

  Dataset Build() &&;

 private:
  struct Pair {
    uint32_t user;
    uint32_t item;
    TimestampUs timestamp;
  };
  enum class Kind { kIgnored, kPositive, kRead, kNegative };
  Kind Classify(std::string_view type);
  void BuildCsr(Dataset& d);

  FeedbackTypes types_;
  std::string last_type_;  // feedback arrives in runs of one type: remember the last answer
  Kind last_kind_ = Kind::kIgnored;
  bool has_last_ = false;
  Dataset d_;
  data_internal::IdIndexMap category_index_;
  std::vector<std::vector<uint32_t>> item_category_lists_;
  std::vector<Pair> positives_;
};

}  // namespace reco
