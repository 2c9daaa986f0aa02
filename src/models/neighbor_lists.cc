#include "models/neighbor_lists.h"

namespace reco {
namespace {

bool Better(const ScoredNeighbor& a, const ScoredNeighbor& b) {
  return a.weight > b.weight || (a.weight == b.weight && a.item < b.item);
}

}  // namespace

void KeepTopK(std::vector<ScoredNeighbor>& candidates, size_t k) {
  if (candidates.size() > k) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<ptrdiff_t>(k),
                     candidates.end(), Better);
    candidates.resize(k);
  }
  std::sort(candidates.begin(), candidates.end(), Better);
}

void NeighborLists::Pack(std::vector<std::vector<ScoredNeighbor>>& lists) {
  const size_t n = lists.size();
  offsets_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) offsets_[i + 1] = offsets_[i] + lists[i].size();
  ids_.resize(offsets_[n]);
  weights_.resize(offsets_[n]);
  for (size_t i = 0; i < n; ++i) {
    uint64_t pos = offsets_[i];
    for (const ScoredNeighbor& c : lists[i]) {
      ids_[pos] = c.item;
      weights_[pos++] = c.weight;
    }
    std::vector<ScoredNeighbor>().swap(lists[i]);
  }
}

std::span<const uint32_t> NeighborLists::Ids(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const uint32_t>(ids_.data() + offsets_[item],
                                   offsets_[item + 1] - offsets_[item]);
}

std::span<const float> NeighborLists::Weights(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const float>(weights_.data() + offsets_[item],
                                offsets_[item + 1] - offsets_[item]);
}

void NeighborLists::Write(BinaryWriter& w) const {
  w.U64Array(offsets_);
  w.U32Array(ids_);
  w.F32Array(weights_);
}

Status NeighborLists::Read(BinaryReader& r, size_t num_items) {
  RECO_RETURN_IF_ERROR(r.U64Array(offsets_));
  RECO_RETURN_IF_ERROR(r.U32Array(ids_));
  RECO_RETURN_IF_ERROR(r.F32Array(weights_));
  if (offsets_.size() != num_items + 1 || offsets_[0] != 0 || offsets_[num_items] != ids_.size() ||
      weights_.size() != ids_.size()) {
    return r.Corrupt("neighbour table sizes are inconsistent");
  }
  for (size_t i = 0; i < num_items; ++i) {
    if (offsets_[i] > offsets_[i + 1]) return r.Corrupt("neighbour offsets decrease");
  }
  for (uint32_t j : ids_) {
    if (j >= num_items) return r.Corrupt("neighbour index out of range");
  }
  return Status::Ok();
}

}  // namespace reco
