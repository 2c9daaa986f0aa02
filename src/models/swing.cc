#include "models/swing.h"

#include <algorithm>
#include <cmath>

#include "core/progress.h"
#include "models/binary_io.h"

namespace reco {
namespace {

struct SwingTables {
  std::vector<float> user_weight;  // w_u
  std::vector<uint8_t> eligible;   // u takes part in pairs
  std::vector<uint8_t> allowed;    // item not hidden
};

SwingTables MakeTables(const Dataset& d, const SwingOptions& o) {
  SwingTables t;
  t.user_weight.resize(d.num_users());
  t.eligible.resize(d.num_users());
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    const size_t count = d.UserItems(u).size();
    t.user_weight[u] =
        static_cast<float>(std::pow(double(count) + o.user_offset, -o.user_exponent));
    t.eligible[u] = o.max_user_items == 0 || count <= size_t(o.max_user_items) ? 1 : 0;
  }
  t.allowed.resize(d.num_items());
  for (uint32_t i = 0; i < d.num_items(); ++i) t.allowed[i] = d.item_hidden(i) ? 0 : 1;
  return t;
}

// Per-thread scratch space: a stamp per item marking the items of the current first user, the
// items both users of a pair share, and similarity accumulators with their touched list.
class SwingFinder {
 public:
  SwingFinder(const Dataset& dataset, const SwingTables& tables, const SwingOptions& options)
      : dataset_(dataset),
        tables_(tables),
        alpha_(static_cast<float>(options.alpha)),
        k_(static_cast<size_t>(options.neighbors)),
        max_users_(static_cast<size_t>(options.max_users_per_item)),
        normalize_(options.normalize),
        stamp_(dataset.num_items(), 0),
        acc_(dataset.num_items(), 0.0f) {}

  // Fills `out` with the top-K neighbours of item `i`, best first.
  void Find(uint32_t i, std::vector<ScoredNeighbor>& out) {
    SelectUsers(i);
    touched_.clear();
    for (size_t a = 0; a + 1 < users_.size(); ++a) {
      const uint32_t u = users_[a];
      NextStamp();
      for (uint32_t j : dataset_.UserItems(u)) stamp_[j] = epoch_;
      for (size_t b = a + 1; b < users_.size(); ++b) {
        const uint32_t v = users_[b];
        common_.clear();
        for (uint32_t j : dataset_.UserItems(v)) {
          if (stamp_[j] == epoch_) common_.push_back(j);
        }
        // common_ holds i itself, so the denominator is >= 1 and w > 0.
        const float w = tables_.user_weight[u] * tables_.user_weight[v] /
                        (alpha_ + static_cast<float>(common_.size()));
        for (uint32_t j : common_) {
          if (j == i) continue;
          if (acc_[j] == 0.0f) touched_.push_back(j);
          acc_[j] += w;
        }
      }
    }
    out.clear();
    for (uint32_t j : touched_) {
      const float s = acc_[j];
      acc_[j] = 0.0f;
      if (tables_.allowed[j]) out.push_back({s, j});
    }
    KeepTopK(out, k_);
    if (normalize_ && !out.empty()) {
      const float best = out.front().weight;
      for (ScoredNeighbor& c : out) c.weight /= best;
    }
  }

 private:
  // users_ = the eligible users of i; an evenly spaced subset when there are too many.
  void SelectUsers(uint32_t i) {
    users_.clear();
    for (uint32_t u : dataset_.ItemUsers(i)) {
      if (tables_.eligible[u]) users_.push_back(u);
    }
    const size_t m = users_.size();
    if (m <= max_users_) return;
    for (size_t k = 0; k < max_users_; ++k) users_[k] = users_[k * m / max_users_];
    users_.resize(max_users_);
  }

  void NextStamp() {
    if (++epoch_ == 0) {  // wrapped: old stamps could collide
      std::fill(stamp_.begin(), stamp_.end(), 0u);
      epoch_ = 1;
    }
  }

  const Dataset& dataset_;
  const SwingTables& tables_;
  float alpha_;
  size_t k_;
  size_t max_users_;
  bool normalize_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 0;
  std::vector<float> acc_;
  std::vector<uint32_t> users_;
  std::vector<uint32_t> common_;
  std::vector<uint32_t> touched_;
};

bool NonNegative(double v) { return v >= 0 && std::isfinite(v); }

Status ValidateOptions(const SwingOptions& o) {
  if (!NonNegative(o.alpha)) {
    return InvalidArgument("swing alpha must be a finite number >= 0", "swing.alpha");
  }
  if (!NonNegative(o.user_offset)) {
    return InvalidArgument("swing user_offset must be a finite number >= 0", "swing.user_offset");
  }
  if (!NonNegative(o.user_exponent)) {
    return InvalidArgument("swing user_exponent must be a finite number >= 0",
                           "swing.user_exponent");
  }
  if (o.neighbors <= 0) {
    return InvalidArgument("swing neighbours must be > 0, got " + std::to_string(o.neighbors),
                           "swing.neighbors");
  }
  if (o.max_users_per_item < 2) {
    return InvalidArgument(
        "swing max_users_per_item must be >= 2, got " + std::to_string(o.max_users_per_item),
        "swing.max_users_per_item");
  }
  if (o.max_user_items < 0) {
    return InvalidArgument(
        "swing max_user_items must be >= 0 (0 = no limit), got " + std::to_string(o.max_user_items),
        "swing.max_user_items");
  }
  return Status::Ok();
}

int ToInt(uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, INT32_MAX)); }

}  // namespace

Result<SwingModel> SwingModel::Fit(const Dataset& dataset, const SwingOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  const size_t n = dataset.num_items();
  const SwingTables tables = MakeTables(dataset, options);
  Progress progress("swing", n, "items", options.show_progress);
  SwingModel model;
  model.lists_ = NeighborLists::Build(n, options.num_threads, progress,
                                      [&] { return SwingFinder(dataset, tables, options); });
  if (options.show_progress) progress.Finish();
  model.item_ids_ = dataset.item_ids();
  model.options_ = options;
  model.options_.num_threads = 0;
  model.options_.show_progress = false;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

void SwingModel::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t h : history) {
    std::span<const uint32_t> ids = NeighborIds(h);
    std::span<const float> sims = NeighborSims(h);
    for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += sims[n];
  }
}

std::string SwingModel::Serialize() const {
  BinaryWriter w;
  w.F64(options_.alpha);
  w.F64(options_.user_offset);
  w.F64(options_.user_exponent);
  w.U32(static_cast<uint32_t>(options_.neighbors));
  w.U32(static_cast<uint32_t>(options_.max_users_per_item));
  w.U32(static_cast<uint32_t>(options_.max_user_items));
  w.U8(options_.normalize ? 1 : 0);
  w.StringArray(item_ids_);
  lists_.Write(w);
  return w.Take();
}

Result<SwingModel> SwingModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "swing payload");
  SwingModel m;
  SwingOptions& o = m.options_;
  uint32_t neighbors, max_users, max_items;
  RECO_RETURN_IF_ERROR(r.F64(o.alpha));
  RECO_RETURN_IF_ERROR(r.F64(o.user_offset));
  RECO_RETURN_IF_ERROR(r.F64(o.user_exponent));
  RECO_RETURN_IF_ERROR(r.U32(neighbors));
  RECO_RETURN_IF_ERROR(r.U32(max_users));
  RECO_RETURN_IF_ERROR(r.U32(max_items));
  uint8_t normalize;
  RECO_RETURN_IF_ERROR(r.U8(normalize));
  if (normalize > 1) return r.Corrupt("normalize flag is not 0 or 1");
  o.normalize = normalize == 1;
  o.neighbors = ToInt(neighbors);
  o.max_users_per_item = ToInt(max_users);
  o.max_user_items = ToInt(max_items);
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(m.lists_.Read(r, m.item_ids_.size()));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

}  // namespace reco
