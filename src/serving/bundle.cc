#include "serving/bundle.h"

namespace reco {
namespace {

// Model index -> catalogue index for a model's item id table.
std::vector<uint32_t> Remap(const std::vector<std::string>& item_ids, OnlineState& state) {
  std::vector<uint32_t> out;
  out.reserve(item_ids.size());
  for (const auto& id : item_ids) out.push_back(state.FindOrAddItem(id));
  return out;
}

template <typename M>
void CopyLists(
    const M& model, OnlineState& state,
    std::unordered_map<std::string, std::vector<ScoredIndex>, StringHash, std::equal_to<>>& lists) {
  std::vector<uint32_t> remap = Remap(model.item_ids(), state);
  auto copy = [&](std::string_view category) {
    std::vector<ScoredIndex> out;
    for (const ScoredItem& s : model.Top(category)) {
      if (s.item < remap.size()) out.push_back({remap[s.item], s.score});
    }
    lists[std::string(category)] = std::move(out);
  };
  copy("");
  for (const auto& category : model.categories()) copy(category);
}

}  // namespace

std::shared_ptr<const ModelBundle> ModelBundle::Build(const ModelSet& models, OnlineState& state,
                                                      TimestampUs loaded_at) {
  auto bundle = std::make_shared<ModelBundle>();
  bundle->snapshot_id_ = models.snapshot_id;
  bundle->run_id_ = models.run_id;
  bundle->created_ = models.created;
  bundle->created_text_ = FormatTimestamp(models.created);
  bundle->version_label_ = models.run_id.empty() ? bundle->created_text_ : models.run_id;
  bundle->loaded_at_ = loaded_at;
  bundle->files_ = models.files;
  if (models.popularity) {
    bundle->has_popularity_ = true;
    CopyLists(*models.popularity, state, bundle->popular_);
  }
  if (models.latest) {
    bundle->has_latest_ = true;
    CopyLists(*models.latest, state, bundle->latest_);
    auto overall = bundle->Latest("");
    if (!overall.empty()) bundle->latest_horizon_s_ = static_cast<int64_t>(overall[0].score);
  }
  if (models.itemcf) {
    const ItemCfModel& cf = *models.itemcf;
    std::vector<uint32_t> remap = Remap(cf.item_ids(), state);
    size_t catalog_size = state.ItemCount();
    // Neighbour lists in catalogue order so that a lookup is two array reads.
    std::vector<uint32_t> model_of(catalog_size, UINT32_MAX);
    for (uint32_t m = 0; m < remap.size(); ++m) model_of[remap[m]] = m;
    bundle->neighbor_offsets_.assign(catalog_size + 1, 0);
    bundle->neighbors_.reserve(cf.num_neighbor_entries());
    for (size_t c = 0; c < catalog_size; ++c) {
      bundle->neighbor_offsets_[c] = static_cast<uint32_t>(bundle->neighbors_.size());
      if (model_of[c] == UINT32_MAX) continue;
      auto ids = cf.NeighborIds(model_of[c]);
      auto sims = cf.NeighborSims(model_of[c]);
      for (size_t k = 0; k < ids.size(); ++k) {
        bundle->neighbors_.push_back({remap[ids[k]], sims[k]});
      }
    }
    bundle->neighbor_offsets_[catalog_size] = static_cast<uint32_t>(bundle->neighbors_.size());
    bundle->has_itemcf_ = true;
  }
  if (models.recs) bundle->CopyUserRecs(*models.recs, state);
  return bundle;
}

void ModelBundle::CopyUserRecs(const UserRecsModel& recs, OnlineState& state) {
  std::vector<uint32_t> remap = Remap(recs.item_ids(), state);
  user_recs_.reserve(recs.num_entries());
  user_recs_index_.reserve(recs.num_users());
  for (uint32_t u = 0; u < recs.num_users(); ++u) {
    auto items = recs.Items(u);
    if (items.empty()) continue;
    auto scores = recs.Scores(u);
    const auto begin = static_cast<uint32_t>(user_recs_.size());
    for (size_t k = 0; k < items.size(); ++k) user_recs_.push_back({remap[items[k]], scores[k]});
    user_recs_index_.emplace(recs.user_ids()[u],
                             std::make_pair(begin, static_cast<uint32_t>(user_recs_.size())));
  }
  user_recs_algorithm_ = recs.algorithm();
}

std::span<const ScoredIndex> ModelBundle::UserRecs(std::string_view user_id) const {
  auto it = user_recs_index_.find(user_id);
  if (it == user_recs_index_.end()) return {};
  return std::span<const ScoredIndex>(user_recs_.data() + it->second.first,
                                      it->second.second - it->second.first);
}

std::span<const ScoredIndex> ModelBundle::Find(const Lists& lists, std::string_view category) {
  auto it = lists.find(category);
  if (it == lists.end()) return {};
  return it->second;
}

std::span<const ScoredIndex> ModelBundle::Popular(std::string_view category) const {
  return Find(popular_, category);
}

std::span<const ScoredIndex> ModelBundle::Latest(std::string_view category) const {
  return Find(latest_, category);
}

}  // namespace reco
