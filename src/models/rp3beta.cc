#include "models/rp3beta.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "core/progress.h"
#include "models/binary_io.h"

namespace reco {
namespace {

struct Candidate {
  float weight;
  uint32_t item;
};

bool Better(const Candidate& a, const Candidate& b) {
  return a.weight > b.weight || (a.weight == b.weight && a.item < b.item);
}

// Per-item factors of the walk: step[x] = (1/d(x))^alpha, penalty[j] = d(j)^-beta.
struct WalkTables {
  std::vector<float> user_step;
  std::vector<float> item_step;
  std::vector<float> penalty;
  std::vector<uint8_t> allowed;
};

WalkTables MakeTables(const Dataset& d, const Rp3betaOptions& options) {
  WalkTables t;
  t.user_step.resize(d.num_users());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    size_t deg = d.UserItems(u).size();
    t.user_step[u] = deg == 0 ? 0.0f : static_cast<float>(std::pow(1.0 / deg, options.alpha));
  }
  t.item_step.resize(d.num_items());
  t.penalty.resize(d.num_items());
  t.allowed.resize(d.num_items());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    size_t deg = d.ItemUsers(i).size();
    t.item_step[i] = deg == 0 ? 0.0f : static_cast<float>(std::pow(1.0 / deg, options.alpha));
    t.penalty[i] = deg == 0 ? 0.0f : static_cast<float>(std::pow(double(deg), -options.beta));
    t.allowed[i] = d.item_hidden(i) ? 0 : 1;
  }
  return t;
}

// Per-thread scratch space: walk probabilities over all items plus the touched list.
class WalkFinder {
 public:
  WalkFinder(const Dataset& dataset, const WalkTables& tables, size_t k)
      : dataset_(dataset), tables_(tables), k_(k), acc_(dataset.num_items(), 0.0f) {}

  // Fills `out` with the top-K targets of item `i`, best first.
  void Find(uint32_t i, std::vector<Candidate>& out) {
    touched_.clear();
    const float step_i = tables_.item_step[i];
    for (uint32_t u : dataset_.ItemUsers(i)) {
      const float w = step_i * tables_.user_step[u];
      for (uint32_t j : dataset_.UserItems(u)) {
        if (acc_[j] == 0.0f) touched_.push_back(j);
        acc_[j] += w;
      }
    }
    candidates_.clear();
    for (uint32_t j : touched_) {
      const float p = acc_[j];
      acc_[j] = 0.0f;
      if (j == i || !tables_.allowed[j]) continue;
      candidates_.push_back({p * tables_.penalty[j], j});
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
  const WalkTables& tables_;
  size_t k_;
  std::vector<float> acc_;
  std::vector<uint32_t> touched_;
  std::vector<Candidate> candidates_;
};

int ThreadCount(int requested, size_t work) {
  int n = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(n, 1);
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(n), std::max<size_t>(work, 1)));
}

Status ValidateOptions(const Rp3betaOptions& options) {
  if (!(options.alpha > 0) || !std::isfinite(options.alpha)) {
    return InvalidArgument("RP3beta alpha must be a finite number > 0", "rp3beta.alpha");
  }
  if (!(options.beta >= 0) || !std::isfinite(options.beta)) {
    return InvalidArgument("RP3beta beta must be a finite number >= 0", "rp3beta.beta");
  }
  if (options.neighbors <= 0) {
    return InvalidArgument(
        "RP3beta neighbours must be > 0, got " + std::to_string(options.neighbors),
        "rp3beta.neighbors");
  }
  return Status::Ok();
}

}  // namespace

Result<Rp3betaModel> Rp3betaModel::Fit(const Dataset& dataset, const Rp3betaOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  const size_t n = dataset.num_items();
  const WalkTables tables = MakeTables(dataset, options);
  std::vector<std::vector<Candidate>> results(n);
  constexpr uint32_t kBlock = 64;
  std::atomic<uint32_t> next{0};
  Progress progress("rp3beta", n, "items", options.show_progress);
  auto work = [&] {
    WalkFinder finder(dataset, tables, static_cast<size_t>(options.neighbors));
    for (;;) {
      uint32_t begin = next.fetch_add(kBlock);
      if (begin >= n) break;
      uint32_t end = static_cast<uint32_t>(std::min<size_t>(n, begin + size_t{kBlock}));
      for (uint32_t i = begin; i < end; ++i) finder.Find(i, results[i]);
      progress.Add(end - begin);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < ThreadCount(options.num_threads, n); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (options.show_progress) progress.Finish();

  Rp3betaModel model;
  model.item_ids_ = dataset.item_ids();
  model.alpha_ = options.alpha;
  model.beta_ = options.beta;
  model.neighbors_ = options.neighbors;
  model.offsets_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) model.offsets_[i + 1] = model.offsets_[i] + results[i].size();
  model.neighbor_ids_.resize(model.offsets_[n]);
  model.neighbor_weights_.resize(model.offsets_[n]);
  for (size_t i = 0; i < n; ++i) {
    uint64_t pos = model.offsets_[i];
    for (const Candidate& c : results[i]) {
      model.neighbor_ids_[pos] = c.item;
      model.neighbor_weights_[pos++] = c.weight;
    }
    std::vector<Candidate>().swap(results[i]);
  }
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const uint32_t> Rp3betaModel::NeighborIds(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const uint32_t>(neighbor_ids_.data() + offsets_[item],
                                   offsets_[item + 1] - offsets_[item]);
}

std::span<const float> Rp3betaModel::NeighborWeights(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const float>(neighbor_weights_.data() + offsets_[item],
                                offsets_[item + 1] - offsets_[item]);
}

void Rp3betaModel::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t h : history) {
    std::span<const uint32_t> ids = NeighborIds(h);
    std::span<const float> weights = NeighborWeights(h);
    for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += weights[n];
  }
}

std::string Rp3betaModel::Serialize() const {
  BinaryWriter w;
  w.F64(alpha_);
  w.F64(beta_);
  w.U32(static_cast<uint32_t>(neighbors_));
  w.StringArray(item_ids_);
  w.U64Array(offsets_);
  w.U32Array(neighbor_ids_);
  w.F32Array(neighbor_weights_);
  return w.Take();
}

Result<Rp3betaModel> Rp3betaModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "rp3beta payload");
  Rp3betaModel m;
  uint32_t neighbors;
  RECO_RETURN_IF_ERROR(r.F64(m.alpha_));
  RECO_RETURN_IF_ERROR(r.F64(m.beta_));
  RECO_RETURN_IF_ERROR(r.U32(neighbors));
  m.neighbors_ = static_cast<int>(std::min<uint32_t>(neighbors, INT32_MAX));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(r.U64Array(m.offsets_));
  RECO_RETURN_IF_ERROR(r.U32Array(m.neighbor_ids_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.neighbor_weights_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  const size_t n = m.item_ids_.size();
  if (m.offsets_.size() != n + 1 || m.offsets_[0] != 0 || m.offsets_[n] != m.neighbor_ids_.size() ||
      m.neighbor_weights_.size() != m.neighbor_ids_.size()) {
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
