// ModelBundle: every trained model the server answers with, translated into the live
// catalogue's item indices. Immutable once built; readers hold a
// std::shared_ptr<const ModelBundle> for the length of a request, and BundleHolder swaps in a
// new bundle atomically (reload), so a request never sees half of a reload.
//
// Thread-safety: a built ModelBundle is read-only and safe to share. BundleHolder is safe for
// concurrent Get()/Set().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "models/model_files.h"
#include "serving/online_state.h"

namespace reco {

struct ScoredIndex {
  uint32_t item;  // catalog index
  float score;
};

class ModelBundle {
 public:
  // Translates `models` into `state`'s catalogue indices (adding ids the catalogue has not seen,
  // as not recommendable until the store has them).
  static std::shared_ptr<const ModelBundle> Build(const ModelSet& models, OnlineState& state,
                                                  TimestampUs loaded_at);

  bool has_itemcf() const { return has_itemcf_; }
  bool has_popularity() const { return has_popularity_; }
  bool has_latest() const { return has_latest_; }
  bool has_user_recs() const { return !user_recs_index_.empty(); }
  bool empty() const { return !has_itemcf_ && !has_popularity_ && !has_latest_; }

  // Neighbours of a catalogue item by similarity, best first (empty when unknown).
  std::span<const ScoredIndex> Neighbors(uint32_t item) const {
    if (item + 1 >= neighbor_offsets_.size()) return {};
    return std::span<const ScoredIndex>(neighbors_.data() + neighbor_offsets_[item],
                                        neighbor_offsets_[item + 1] - neighbor_offsets_[item]);
  }
  // Every neighbour's catalogue index is below this (0 without item-CF).
  size_t neighbor_index_limit() const {
    return neighbor_offsets_.empty() ? 0 : neighbor_offsets_.size() - 1;
  }
  // Ranked lists; category "" = overall. Empty for an unknown category.
  std::span<const ScoredIndex> Popular(std::string_view category) const;
  std::span<const ScoredIndex> Latest(std::string_view category) const;
  // The user's precomputed list (model "recs"), best first; empty for a user it does not know.
  std::span<const ScoredIndex> UserRecs(std::string_view user_id) const;
  // Algorithm of the precomputed lists ("" when there are none).
  const std::string& user_recs_algorithm() const { return user_recs_algorithm_; }

  const std::string& snapshot_id() const { return snapshot_id_; }
  // Registry run id of the loaded version ("" when the newest files were loaded).
  const std::string& run_id() const { return run_id_; }
  // run_id(), or the creation time of the newest file when there is no run id: what the
  // exposure log and metrics call the model version.
  const std::string& version_label() const { return version_label_; }
  TimestampUs created() const { return created_; }
  // created() as RFC 3339 text.
  const std::string& created_text() const { return created_text_; }
  TimestampUs loaded_at() const { return loaded_at_; }
  const std::vector<std::string>& files() const { return files_; }
  // Newest item timestamp (seconds) the "latest" model knows; newer live items are merged in.
  int64_t latest_horizon_seconds() const { return latest_horizon_s_; }

 private:
  using Lists =
      std::unordered_map<std::string, std::vector<ScoredIndex>, StringHash, std::equal_to<>>;
  static std::span<const ScoredIndex> Find(const Lists& lists, std::string_view category);
  void CopyUserRecs(const UserRecsModel& recs, OnlineState& state);

  bool has_itemcf_ = false;
  bool has_popularity_ = false;
  bool has_latest_ = false;
  std::vector<uint32_t> neighbor_offsets_;  // catalog index -> range in neighbors_
  std::vector<ScoredIndex> neighbors_;
  Lists popular_;
  Lists latest_;
  // user id -> [begin, end) in user_recs_
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, StringHash, std::equal_to<>>
      user_recs_index_;
  std::vector<ScoredIndex> user_recs_;
  std::string user_recs_algorithm_;
  std::string snapshot_id_;
  std::string run_id_;
  TimestampUs created_ = 0;
  std::string created_text_;
  std::string version_label_;
  TimestampUs loaded_at_ = 0;
  std::vector<std::string> files_;
  int64_t latest_horizon_s_ = 0;
};

class BundleHolder {
 public:
  std::shared_ptr<const ModelBundle> Get() const { return bundle_.load(); }
  void Set(std::shared_ptr<const ModelBundle> bundle) { bundle_.store(std::move(bundle)); }

 private:
  std::atomic<std::shared_ptr<const ModelBundle>> bundle_;
};

}  // namespace reco
