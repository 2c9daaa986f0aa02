#include "models/itemcf.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "core/progress.h"
#include "models/binary_io.h"
#include "models/neighbor_lists.h"

namespace reco {
namespace {

// Per-thread scratch space: co-occurrence counters over all items plus the touched list.
class NeighborFinder {
 public:
  NeighborFinder(const Dataset& dataset, const std::vector<float>& sqrt_count,
                 const std::vector<uint8_t>& allowed, const ItemCfOptions& options)
      : dataset_(dataset),
        sqrt_count_(sqrt_count),
        allowed_(allowed),
        k_(static_cast<size_t>(options.neighbors)),
        shrinkage_(static_cast<float>(options.shrinkage)),
        counts_(dataset.num_items(), 0) {}

  // Fills `out` with the top-K neighbours of item `i`, best first.
  void Find(uint32_t i, std::vector<ScoredNeighbor>& out) {
    touched_.clear();
    for (uint32_t u : dataset_.ItemUsers(i)) {
      for (uint32_t j : dataset_.UserItems(u)) {
        if (counts_[j]++ == 0) touched_.push_back(j);
      }
    }
    out.clear();
    const float sqrt_i = sqrt_count_[i];
    for (uint32_t j : touched_) {
      uint32_t c = counts_[j];
      counts_[j] = 0;
      if (j == i || !allowed_[j]) continue;
      out.push_back({static_cast<float>(c) / (sqrt_i * sqrt_count_[j] + shrinkage_), j});
    }
    KeepTopK(out, k_);
  }

 private:
  const Dataset& dataset_;
  const std::vector<float>& sqrt_count_;
  const std::vector<uint8_t>& allowed_;
  size_t k_;
  float shrinkage_;
  std::vector<uint32_t> counts_;
  std::vector<uint32_t> touched_;
};

Status ValidateOptions(const ItemCfOptions& options) {
  if (options.neighbors <= 0) {
    return InvalidArgument(
        "item-CF neighbours must be > 0, got " + std::to_string(options.neighbors),
        "itemcf_neighbors");
  }
  if (!(options.shrinkage >= 0) || !std::isfinite(options.shrinkage)) {
    return InvalidArgument("item-CF shrinkage must be a finite number >= 0", "itemcf_shrinkage");
  }
  return Status::Ok();
}

}  // namespace

Result<ItemCfModel> ItemCfModel::Fit(const Dataset& dataset, const ItemCfOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  const size_t n = dataset.num_items();
  std::vector<float> sqrt_count(n);
  std::vector<uint8_t> allowed(n);
  for (uint32_t i = 0; i < n; ++i) {
    sqrt_count[i] = std::sqrt(static_cast<float>(dataset.ItemUsers(i).size()));
    allowed[i] = dataset.item_hidden(i) ? 0 : 1;
  }
  Progress progress("itemcf", n, "items", options.show_progress);
  ItemCfModel model;
  model.lists_ = NeighborLists::Build(n, options.num_threads, progress, [&] {
    return NeighborFinder(dataset, sqrt_count, allowed, options);
  });
  if (options.show_progress) progress.Finish();
  model.item_ids_ = dataset.item_ids();
  model.neighbors_ = options.neighbors;
  model.shrinkage_ = options.shrinkage;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const uint32_t> ItemCfModel::NeighborIds(uint32_t item) const { return lists_.Ids(item); }

std::span<const float> ItemCfModel::NeighborSims(uint32_t item) const {
  return lists_.Weights(item);
}

std::string ItemCfModel::Serialize() const {
  BinaryWriter w;
  w.U32(static_cast<uint32_t>(neighbors_));
  w.F64(shrinkage_);
  w.StringArray(item_ids_);
  lists_.Write(w);
  return w.Take();
}

Result<ItemCfModel> ItemCfModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "itemcf payload");
  ItemCfModel m;
  uint32_t neighbors;
  RECO_RETURN_IF_ERROR(r.U32(neighbors));
  m.neighbors_ = static_cast<int>(std::min<uint32_t>(neighbors, INT32_MAX));
  RECO_RETURN_IF_ERROR(r.F64(m.shrinkage_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(m.lists_.Read(r, m.item_ids_.size()));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

}  // namespace reco
