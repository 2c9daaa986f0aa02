#include "models/rp3beta.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "core/progress.h"
#include "models/binary_io.h"
#include "models/neighbor_lists.h"

namespace reco {
namespace {

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
  void Find(uint32_t i, std::vector<ScoredNeighbor>& out) {
    touched_.clear();
    const float step_i = tables_.item_step[i];
    for (uint32_t u : dataset_.ItemUsers(i)) {
      const float w = step_i * tables_.user_step[u];
      for (uint32_t j : dataset_.UserItems(u)) {
        if (acc_[j] == 0.0f) touched_.push_back(j);
        acc_[j] += w;
      }
    }
    out.clear();
    for (uint32_t j : touched_) {
      const float p = acc_[j];
      acc_[j] = 0.0f;
      if (j == i || !tables_.allowed[j]) continue;
      out.push_back({p * tables_.penalty[j], j});
    }
    KeepTopK(out, k_);
  }

 private:
  const Dataset& dataset_;
  const WalkTables& tables_;
  size_t k_;
  std::vector<float> acc_;
  std::vector<uint32_t> touched_;
};

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
  Progress progress("rp3beta", n, "items", options.show_progress);
  Rp3betaModel model;
  model.lists_ = NeighborLists::Build(n, options.num_threads, progress, [&] {
    return WalkFinder(dataset, tables, static_cast<size_t>(options.neighbors));
  });
  if (options.show_progress) progress.Finish();
  model.item_ids_ = dataset.item_ids();
  model.alpha_ = options.alpha;
  model.beta_ = options.beta;
  model.neighbors_ = options.neighbors;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const uint32_t> Rp3betaModel::NeighborIds(uint32_t item) const {
  return lists_.Ids(item);
}

std::span<const float> Rp3betaModel::NeighborWeights(uint32_t item) const {
  return lists_.Weights(item);
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
  lists_.Write(w);
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
  RECO_RETURN_IF_ERROR(m.lists_.Read(r, m.item_ids_.size()));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

}  // namespace reco
