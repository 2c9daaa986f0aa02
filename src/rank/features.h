// The ranker's feature schema and feature computation for (user, candidate item) pairs.
// Columns, in order: per source "<kind>_score" and "<kind>_rank"; then num_sources,
// item_popularity, item_age_days, item_last_seen_days, user_activity, category_match,
// sim_recent_max, sim_recent_mean, and the content features content_sim_recent_max,
// content_sim_recent_mean, text_match (docs/ranker.md). Every value that cannot be computed — a
// source that did not return the item, absent item statistics, items without categories, no
// similarity model, no recent items, a candidate or recent items without a vector or text — is
// NaN (XGBoost's missing value), never 0 and never an error. The content columns are always in
// the schema, with or without item content, so a model trained without vectors scores items
// that have them and the reverse (the feature names never change with the data).
//
// Thread-safety: ItemStats and FeatureSchema are immutable once built; ComputeFeatures is a pure
// function and safe from several threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "data/dataset.h"
#include "models/binary_io.h"
#include "models/itemcf.h"
#include "rank/candidates.h"

namespace reco::rank {

// Per-item statistics of a training Dataset, taken at its cut time (its latest positive).
struct ItemStats {
  TimestampUs cut_time = 0;                // 0 = the data has no times
  std::vector<float> popularity;           // positives per item
  std::vector<TimestampUs> first_time;     // item timestamp, else first positive; 0 = unknown
  std::vector<TimestampUs> last_time;      // latest positive; 0 = unknown
  std::vector<uint64_t> category_offsets;  // size num_items + 1
  std::vector<uint32_t> categories;        // category indices, ascending per item
  uint32_t num_categories = 0;

  static ItemStats FromDataset(const Dataset& dataset);
  size_t num_items() const { return popularity.size(); }
  std::span<const uint32_t> Categories(uint32_t item) const;

  void Write(BinaryWriter& w) const;
  static Result<ItemStats> Read(BinaryReader& r);
};

// Item content for the content features, by item index of the training data: one unit vector
// per item that has one (the text embedder's, or supplied vectors of one dimension), and the
// word features of each item's text with their idf (content/text_features.h, "w:" features).
struct ItemContent {
  size_t dimension = 0;
  std::vector<float> vectors;             // num_items × dimension; rows of absent items unused
  std::vector<uint8_t> has_vector;        // size num_items
  std::vector<uint64_t> word_offsets;     // size num_items + 1 (all 0: no text)
  std::vector<uint32_t> words;            // word ids per item, ascending, distinct
  std::vector<float> word_idf;            // per word id

  size_t num_items() const { return has_vector.size(); }
  std::span<const float> Vector(uint32_t item) const;  // empty when the item has none
  std::span<const uint32_t> Words(uint32_t item) const;

  void Write(BinaryWriter& w) const;
  static Result<ItemContent> Read(BinaryReader& r);
};

// What is known about the user being scored.
struct UserContext {
  std::span<const uint32_t> history;  // the user's items, ascending
  std::span<const uint32_t> recent;   // the user's latest items, most recent first (may be empty)
};

class FeatureSchema {
 public:
  // `content_features` false: the columns of ranker payloads of version 1, which had no
  // content features (kept so that such a model still loads and scores).
  explicit FeatureSchema(std::vector<std::string> source_kinds, bool content_features = true);
  bool content_features() const { return content_features_; }

  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }
  size_t num_sources() const { return num_sources_; }
  // Column of the first feature after the per-source ones (num_sources).
  size_t first_common() const { return 2 * num_sources_; }

 private:
  size_t num_sources_ = 0;
  bool content_features_ = true;
  std::vector<std::string> names_;
};

// The optional inputs of ComputeFeatures; a null pointer makes its feature group NaN.
struct FeatureInputs {
  const ItemStats* items = nullptr;         // item_* and category_match
  const ItemCfModel* similarity = nullptr;  // sim_recent_*
  const ItemContent* content = nullptr;     // content_sim_recent_*, text_match
};

// Features of every candidate for one user: size candidates.size() * schema.size(), row-major.
// `candidates.num_sources` must equal schema.num_sources().
std::vector<float> ComputeFeatures(const FeatureSchema& schema, const CandidateSet& candidates,
                                   const UserContext& user, const FeatureInputs& inputs);

}  // namespace reco::rank
