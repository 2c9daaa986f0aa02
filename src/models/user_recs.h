// UserRecsModel (kind "recs"): per-user recommendation lists computed at training time by any
// algorithm (the one `reco tune` chose, e.g. a blend or a graph filter) — the offline
// recommendation cache that `reco serve` answers from, filtering items the user has seen since.
// Lists are CSR over users: offsets (size num_users + 1), item indices into item_ids() and
// scores (parallel arrays), best first. Also records which algorithm and settings made them.
//
// Thread-safety: immutable after Build/Deserialize; concurrent const calls are safe. Movable.
// Lifetime: spans returned by Items/Scores stay valid while the model lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "models/model_io.h"

namespace reco {

class UserRecsModel {
 public:
  static constexpr std::string_view kKind = "recs";
  static constexpr uint32_t kNoUser = UINT32_MAX;

  // `lists[u]` are (item index, score) pairs for user_ids[u], best first; item indices refer to
  // `item_ids`. InvalidArgument on out-of-range indices or mismatched sizes.
  static Result<UserRecsModel> Build(
      std::vector<std::string> user_ids, std::vector<std::string> item_ids,
      const std::vector<std::vector<std::pair<uint32_t, float>>>& lists, std::string algorithm,
      std::vector<std::pair<std::string, std::string>> settings);

  size_t num_users() const { return user_ids_.size(); }
  size_t num_entries() const { return items_.size(); }
  const std::vector<std::string>& user_ids() const { return user_ids_; }
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  // The list of user index `u` (empty when out of range).
  std::span<const uint32_t> Items(uint32_t u) const;
  std::span<const float> Scores(uint32_t u) const;
  const std::string& algorithm() const { return algorithm_; }
  const std::vector<std::pair<std::string, std::string>>& settings() const { return settings_; }

  std::string Serialize() const;
  static Result<UserRecsModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<UserRecsModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<UserRecsModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  std::vector<std::string> user_ids_;
  std::vector<std::string> item_ids_;
  std::vector<uint64_t> offsets_;  // size num_users + 1
  std::vector<uint32_t> items_;
  std::vector<float> scores_;
  std::string algorithm_;
  std::vector<std::pair<std::string, std::string>> settings_;
  ModelInfo info_;
};

}  // namespace reco
