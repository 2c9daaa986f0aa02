#include "models/itemcf.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "core/progress.h"
#include "models/binary_io.h"

namespace reco {
namespace {

struct Candidate {
  float sim;
  uint32_t item;
};

bool Better(const Candidate& a, const Candidate& b) {
  return a.sim > b.sim || (a.sim == b.sim && a.item < b.item);
}

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
  void Find(uint32_t i, std::vector<Candidate>& out) {
    out.clear();
    touched_.clear();
    for (uint32_t u : dataset_.ItemUsers(i)) {
      for (uint32_t j : dataset_.UserItems(u)) {
        if (counts_[j]++ == 0) touched_.push_back(j);
      }
    }
    candidates_.clear();
    const float sqrt_i = sqrt_count_[i];
    for (uint32_t j : touched_) {
      uint32_t c = counts_[j];
      counts_[j] = 0;
      if (j == i || !allowed_[j]) continue;
      candidates_.push_back({static_cast<float>(c) / (sqrt_i * sqrt_count_[j] + shrinkage_), j});
    }
    if (candidates_.size() > k_) {
      std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(k_),
                       candidates_.end(), Better);
      candidates_.resize(k_);
    }
    std::sort(candidates_.begin(), candidates_.end(), Better);
    out.assign(candidates_.begin(), candidates_.end());
  }

 private:
  const Dataset& dataset_;
  const std::vector<float>& sqrt_count_;
  const std::vector<uint8_t>& allowed_;
  size_t k_;
  float shrinkage_;
  std::vector<uint32_t> counts_;
  std::vector<uint32_t> touched_;
  std::vector<Candidate> candidates_;
};

int ThreadCount(const ItemCfOptions& options, size_t num_items) {
  int n = options.num_threads > 0 ? options.num_threads
                                  : static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(n, 1);
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(n), std::max<size_t>(num_items, 1)));
}

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
  std::vector<std::vector<Candidate>> results(n);
  constexpr uint32_t kBlock = 64;
  std::atomic<uint32_t> next{0};
  Progress progress("itemcf", n, "items", options.show_progress);
  auto work = [&] {
    NeighborFinder finder(dataset, sqrt_count, allowed, options);
    for (;;) {
      uint32_t begin = next.fetch_add(kBlock);
      if (begin >= n) break;
      uint32_t end = static_cast<uint32_t>(std::min<size_t>(n, begin + size_t{kBlock}));
      for (uint32_t i = begin; i < end; ++i) finder.Find(i, results[i]);
      progress.Add(end - begin);
    }
  };
  int threads = ThreadCount(options, n);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (options.show_progress) progress.Finish();

  ItemCfModel model;
  model.item_ids_ = dataset.item_ids();
  model.neighbors_ = options.neighbors;
  model.shrinkage_ = options.shrinkage;
  model.offsets_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) model.offsets_[i + 1] = model.offsets_[i] + results[i].size();
  model.neighbor_ids_.resize(model.offsets_[n]);
  model.neighbor_sims_.resize(model.offsets_[n]);
  for (size_t i = 0; i < n; ++i) {
    uint64_t pos = model.offsets_[i];
    for (const Candidate& c : results[i]) {
      model.neighbor_ids_[pos] = c.item;
      model.neighbor_sims_[pos++] = c.sim;
    }
    std::vector<Candidate>().swap(results[i]);
  }
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const uint32_t> ItemCfModel::NeighborIds(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const uint32_t>(neighbor_ids_.data() + offsets_[item],
                                   offsets_[item + 1] - offsets_[item]);
}

std::span<const float> ItemCfModel::NeighborSims(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const float>(neighbor_sims_.data() + offsets_[item],
                                offsets_[item + 1] - offsets_[item]);
}

std::string ItemCfModel::Serialize() const {
  BinaryWriter w;
  w.U32(static_cast<uint32_t>(neighbors_));
  w.F64(shrinkage_);
  w.StringArray(item_ids_);
  w.U64Array(offsets_);
  w.U32Array(neighbor_ids_);
  w.F32Array(neighbor_sims_);
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
  RECO_RETURN_IF_ERROR(r.U64Array(m.offsets_));
  RECO_RETURN_IF_ERROR(r.U32Array(m.neighbor_ids_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.neighbor_sims_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  const size_t n = m.item_ids_.size();
  if (m.offsets_.size() != n + 1 || m.offsets_[0] != 0 || m.offsets_[n] != m.neighbor_ids_.size() ||
      m.neighbor_sims_.size() != m.neighbor_ids_.size()) {
    return r.Corrupt("neighbour table sizes are inconsistent");
  }
  for (size_t i = 0; i < n; ++i) {
    if (m.offsets_[i] > m.offsets_[i + 1]) return r.Corrupt("neighbour offsets decrease");
  }
  for (uint32_t j : m.neighbor_ids_) {
    if (j >= n) return r.Corrupt("neighbour index out of range");
  }
  return m;
}

}  // namespace reco
