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

// The weighted matrix in factored form: entry (u, i) is g_u * f_i (ItemCfWeighting), so
// x_i·x_j = f_i f_j Σ_{u ∈ U_i ∩ U_j} g_u² and |x_i|² = f_i² Σ_{u ∈ U_i} g_u².
struct SimilarityTables {
  std::vector<float> user_weight2;  // g_u²
  std::vector<float> item_factor;   // f_i
  std::vector<float> norm_a;        // (|x_i|²)^a, for the item that owns the list
  std::vector<float> norm_b;        // (|x_j|²)^(1-a), for the neighbour
  std::vector<uint8_t> allowed;     // not hidden
};

double EffectiveAlpha(const ItemCfOptions& o) {
  return o.similarity == ItemCfSimilarity::kAsymmetric ? o.asymmetric_alpha : 0.5;
}

SimilarityTables MakeTables(const Dataset& d, const ItemCfOptions& o) {
  const size_t n = d.num_items();
  SimilarityTables t;
  t.user_weight2.assign(d.num_users(), 1.0f);
  if (o.weighting != ItemCfWeighting::kNone) {
    for (uint32_t u = 0; u < d.num_users(); ++u) {
      const double idf = std::max(0.0, std::log(double(n) / (1.0 + double(d.UserItems(u).size()))));
      t.user_weight2[u] = static_cast<float>(idf * idf);
    }
  }
  t.item_factor.assign(n, 1.0f);
  if (o.weighting == ItemCfWeighting::kBm25 && n > 0) {
    const double avgdl = double(d.num_positives()) / double(n);
    for (uint32_t i = 0; i < n; ++i) {
      const double len = avgdl > 0 ? double(d.ItemUsers(i).size()) / avgdl : 0.0;
      const double norm = 1.0 - o.bm25_b + o.bm25_b * len;
      t.item_factor[i] = static_cast<float>((o.bm25_k1 + 1.0) / (1.0 + o.bm25_k1 * norm));
    }
  }
  const double a = EffectiveAlpha(o);
  t.norm_a.resize(n);
  t.norm_b.resize(n);
  t.allowed.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    double sum = 0;
    for (uint32_t u : d.ItemUsers(i)) sum += t.user_weight2[u];
    const double sq_norm = double(t.item_factor[i]) * t.item_factor[i] * sum;
    t.norm_a[i] = static_cast<float>(a == 0.5 ? std::sqrt(sq_norm) : std::pow(sq_norm, a));
    t.norm_b[i] = static_cast<float>(a == 0.5 ? std::sqrt(sq_norm) : std::pow(sq_norm, 1 - a));
    t.allowed[i] = d.item_hidden(i) ? 0 : 1;
  }
  return t;
}

// Per-thread scratch space: weighted co-occurrences over all items plus the touched list.
class NeighborFinder {
 public:
  NeighborFinder(const Dataset& dataset, const SimilarityTables& tables,
                 const ItemCfOptions& options)
      : dataset_(dataset),
        tables_(tables),
        k_(static_cast<size_t>(options.neighbors)),
        shrinkage_(static_cast<float>(options.shrinkage)),
        acc_(dataset.num_items(), 0.0f) {}

  // Fills `out` with the top-K neighbours of item `i`, best first.
  void Find(uint32_t i, std::vector<ScoredNeighbor>& out) {
    touched_.clear();
    for (uint32_t u : dataset_.ItemUsers(i)) {
      const float w = tables_.user_weight2[u];
      if (w <= 0.0f) continue;  // keeps every touched accumulator > 0
      for (uint32_t j : dataset_.UserItems(u)) {
        if (acc_[j] == 0.0f) touched_.push_back(j);
        acc_[j] += w;
      }
    }
    out.clear();
    const float f_i = tables_.item_factor[i];
    const float norm_i = tables_.norm_a[i];
    for (uint32_t j : touched_) {
      const float dot = acc_[j];
      acc_[j] = 0.0f;
      if (j == i || !tables_.allowed[j]) continue;
      const float den = norm_i * tables_.norm_b[j] + shrinkage_;
      if (den > 0.0f) out.push_back({f_i * tables_.item_factor[j] * dot / den, j});
    }
    KeepTopK(out, k_);
  }

 private:
  const Dataset& dataset_;
  const SimilarityTables& tables_;
  size_t k_;
  float shrinkage_;
  std::vector<float> acc_;
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
  const double a = options.asymmetric_alpha;
  if (!(a >= 0 && a <= 1)) {
    return InvalidArgument("item-CF asymmetric_alpha must be in [0, 1]", "itemcf.asymmetric_alpha");
  }
  if (options.similarity == ItemCfSimilarity::kCosine && a != 0.5) {
    return InvalidArgument(
        "item-CF asymmetric_alpha applies only to the asymmetric similarity "
        "(similarity=asymmetric)",
        "itemcf.asymmetric_alpha");
  }
  if (!(options.bm25_k1 >= 0) || !std::isfinite(options.bm25_k1)) {
    return InvalidArgument("item-CF bm25_k1 must be a finite number >= 0", "itemcf.bm25_k1");
  }
  if (!(options.bm25_b >= 0 && options.bm25_b <= 1)) {
    return InvalidArgument("item-CF bm25_b must be in [0, 1]", "itemcf.bm25_b");
  }
  const ItemCfOptions defaults;
  if (options.weighting != ItemCfWeighting::kBm25 &&
      (options.bm25_k1 != defaults.bm25_k1 || options.bm25_b != defaults.bm25_b)) {
    return InvalidArgument("item-CF bm25_k1 and bm25_b apply only to weighting=bm25",
                           "itemcf.weighting");
  }
  return Status::Ok();
}

constexpr uint32_t kPayloadVersion = 2;

struct Variant {
  ItemCfSimilarity similarity = ItemCfSimilarity::kCosine;
  double alpha = 0.5;
  ItemCfWeighting weighting = ItemCfWeighting::kNone;
  double k1 = 1.2;
  double b = 0.75;
};

// Reads the version-2 fields that follow the leading 0.
Status ReadVariant(BinaryReader& r, Variant& v) {
  uint32_t version;
  RECO_RETURN_IF_ERROR(r.U32(version));
  if (version != kPayloadVersion) {
    return r.Corrupt("unsupported itemcf payload version " + std::to_string(version));
  }
  uint8_t similarity, weighting;
  RECO_RETURN_IF_ERROR(r.U8(similarity));
  RECO_RETURN_IF_ERROR(r.F64(v.alpha));
  RECO_RETURN_IF_ERROR(r.U8(weighting));
  RECO_RETURN_IF_ERROR(r.F64(v.k1));
  RECO_RETURN_IF_ERROR(r.F64(v.b));
  if (similarity > uint8_t(ItemCfSimilarity::kAsymmetric)) return r.Corrupt("unknown similarity");
  if (weighting > uint8_t(ItemCfWeighting::kBm25)) return r.Corrupt("unknown weighting");
  if (!(v.alpha >= 0 && v.alpha <= 1)) return r.Corrupt("asymmetric alpha out of [0, 1]");
  v.similarity = ItemCfSimilarity(similarity);
  v.weighting = ItemCfWeighting(weighting);
  return Status::Ok();
}

}  // namespace

std::string_view ItemCfSimilarityName(ItemCfSimilarity s) {
  return s == ItemCfSimilarity::kAsymmetric ? "asymmetric" : "cosine";
}

std::string_view ItemCfWeightingName(ItemCfWeighting w) {
  switch (w) {
    case ItemCfWeighting::kIdf:
      return "idf";
    case ItemCfWeighting::kBm25:
      return "bm25";
    case ItemCfWeighting::kNone:
      break;
  }
  return "none";
}

Result<ItemCfSimilarity> ParseItemCfSimilarity(std::string_view text, std::string_view field) {
  for (ItemCfSimilarity s : {ItemCfSimilarity::kCosine, ItemCfSimilarity::kAsymmetric}) {
    if (text == ItemCfSimilarityName(s)) return s;
  }
  return InvalidArgument(std::string(field) + ": \"" + std::string(text) +
                             "\" is not a similarity (accepted: cosine, asymmetric)",
                         std::string(field));
}

Result<ItemCfWeighting> ParseItemCfWeighting(std::string_view text, std::string_view field) {
  for (ItemCfWeighting w :
       {ItemCfWeighting::kNone, ItemCfWeighting::kIdf, ItemCfWeighting::kBm25}) {
    if (text == ItemCfWeightingName(w)) return w;
  }
  return InvalidArgument(std::string(field) + ": \"" + std::string(text) +
                             "\" is not a weighting (accepted: none, idf, bm25)",
                         std::string(field));
}

Result<ItemCfModel> ItemCfModel::Fit(const Dataset& dataset, const ItemCfOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  const size_t n = dataset.num_items();
  const SimilarityTables tables = MakeTables(dataset, options);
  Progress progress("itemcf", n, "items", options.show_progress);
  ItemCfModel model;
  model.lists_ = NeighborLists::Build(n, options.num_threads, progress,
                                      [&] { return NeighborFinder(dataset, tables, options); });
  if (options.show_progress) progress.Finish();
  model.item_ids_ = dataset.item_ids();
  model.neighbors_ = options.neighbors;
  model.shrinkage_ = options.shrinkage;
  model.similarity_ = options.similarity;
  model.asymmetric_alpha_ = EffectiveAlpha(options);
  model.weighting_ = options.weighting;
  model.bm25_k1_ = options.bm25_k1;
  model.bm25_b_ = options.bm25_b;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const uint32_t> ItemCfModel::NeighborIds(uint32_t item) const { return lists_.Ids(item); }

std::span<const float> ItemCfModel::NeighborSims(uint32_t item) const {
  return lists_.Weights(item);
}

void ItemCfModel::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t h : history) {
    std::span<const uint32_t> ids = NeighborIds(h);
    std::span<const float> sims = NeighborSims(h);
    for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += sims[n];
  }
}

std::string ItemCfModel::Serialize() const {
  BinaryWriter w;
  w.U32(0);  // version-1 payloads start with neighbours > 0
  w.U32(kPayloadVersion);
  w.U8(static_cast<uint8_t>(similarity_));
  w.F64(asymmetric_alpha_);
  w.U8(static_cast<uint8_t>(weighting_));
  w.F64(bm25_k1_);
  w.F64(bm25_b_);
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
  if (neighbors == 0) {
    Variant v;
    RECO_RETURN_IF_ERROR(ReadVariant(r, v));
    m.similarity_ = v.similarity;
    m.asymmetric_alpha_ = v.alpha;
    m.weighting_ = v.weighting;
    m.bm25_k1_ = v.k1;
    m.bm25_b_ = v.b;
    RECO_RETURN_IF_ERROR(r.U32(neighbors));
    if (neighbors == 0) return r.Corrupt("neighbours must be > 0");
  }
  m.neighbors_ = static_cast<int>(std::min<uint32_t>(neighbors, INT32_MAX));
  RECO_RETURN_IF_ERROR(r.F64(m.shrinkage_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(m.lists_.Read(r, m.item_ids_.size()));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

}  // namespace reco
