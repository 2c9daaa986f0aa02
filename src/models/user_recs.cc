#include "models/user_recs.h"

#include "models/binary_io.h"

namespace reco {

Result<UserRecsModel> UserRecsModel::Build(
    std::vector<std::string> user_ids, std::vector<std::string> item_ids,
    const std::vector<std::vector<std::pair<uint32_t, float>>>& lists, std::string algorithm,
    std::vector<std::pair<std::string, std::string>> settings) {
  if (lists.size() != user_ids.size()) {
    return InvalidArgument("recs: " + std::to_string(lists.size()) + " lists for " +
                           std::to_string(user_ids.size()) + " users");
  }
  UserRecsModel model;
  model.offsets_.reserve(user_ids.size() + 1);
  model.offsets_.push_back(0);
  for (const auto& list : lists) {
    for (const auto& [item, score] : list) {
      if (item >= item_ids.size()) {
        return InvalidArgument("recs: item index " + std::to_string(item) + " out of range");
      }
      model.items_.push_back(item);
      model.scores_.push_back(score);
    }
    model.offsets_.push_back(model.items_.size());
  }
  model.user_ids_ = std::move(user_ids);
  model.item_ids_ = std::move(item_ids);
  model.algorithm_ = std::move(algorithm);
  model.settings_ = std::move(settings);
  return model;
}

std::span<const uint32_t> UserRecsModel::Items(uint32_t u) const {
  if (u >= user_ids_.size()) return {};
  return std::span<const uint32_t>(items_).subspan(offsets_[u], offsets_[u + 1] - offsets_[u]);
}

std::span<const float> UserRecsModel::Scores(uint32_t u) const {
  if (u >= user_ids_.size()) return {};
  return std::span<const float>(scores_).subspan(offsets_[u], offsets_[u + 1] - offsets_[u]);
}

std::string UserRecsModel::Serialize() const {
  BinaryWriter w;
  w.String(algorithm_);
  w.U64(settings_.size());
  for (const auto& [key, value] : settings_) {
    w.String(key);
    w.String(value);
  }
  w.StringArray(user_ids_);
  w.StringArray(item_ids_);
  w.U64Array(offsets_);
  w.U32Array(items_);
  w.F32Array(scores_);
  return w.Take();
}

Result<UserRecsModel> UserRecsModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "recs payload");
  UserRecsModel m;
  RECO_RETURN_IF_ERROR(r.String(m.algorithm_));
  uint64_t num_settings = 0;
  RECO_RETURN_IF_ERROR(r.U64(num_settings));
  if (num_settings > 4096)
    return DataLoss("recs payload: " + std::to_string(num_settings) + " settings is not plausible");
  for (uint64_t i = 0; i < num_settings; ++i) {
    std::string key, value;
    RECO_RETURN_IF_ERROR(r.String(key));
    RECO_RETURN_IF_ERROR(r.String(value));
    m.settings_.emplace_back(std::move(key), std::move(value));
  }
  RECO_RETURN_IF_ERROR(r.StringArray(m.user_ids_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(r.U64Array(m.offsets_));
  RECO_RETURN_IF_ERROR(r.U32Array(m.items_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.scores_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  if (m.offsets_.size() != m.user_ids_.size() + 1 || m.offsets_.front() != 0 ||
      m.offsets_.back() != m.items_.size() || m.scores_.size() != m.items_.size()) {
    return DataLoss("recs payload: list offsets do not match the entries");
  }
  for (size_t u = 0; u + 1 < m.offsets_.size(); ++u) {
    if (m.offsets_[u] > m.offsets_[u + 1]) return DataLoss("recs payload: offsets decrease");
  }
  for (uint32_t item : m.items_) {
    if (item >= m.item_ids_.size()) return DataLoss("recs payload: item index out of range");
  }
  return m;
}

}  // namespace reco
