// RankerModel (kind "ranker"): a LambdaMART ranker (XGBoost "rank:ndcg") over the candidates of
// several recall sources. Fit splits the training data by time inside itself (each user's latest
// positives are the labels), fits the sources on the earlier part, learns to rank their merged
// candidates with the features of rank/features.h, then refits the sources on all the data for
// serving. Score ranks a user's candidates by the booster; other items get kNotCandidate.
//
// Thread-safety: immutable after Fit/Deserialize; ScoreItems is const and safe from several
// threads (booster predictions are serialised). Lifetime: owns its sources and booster; movable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/text_embedder.h"
#include "core/status.h"
#include "data/dataset.h"
#include "models/model_io.h"
#include "rank/features.h"
#include "rank/label_split.h"
#include "rank/recall_source.h"
#include "rank/xgb_booster.h"

namespace reco::rank {

// Fits one recall source of `kind` on a dataset (lets callers choose each model's options).
using SourceFitter = std::function<Result<RecallSource>(std::string_view kind, const Dataset&)>;

struct RankerOptions {
  std::vector<std::string> sources = {"itemcf", "rp3beta", "ials", "popular"};
  std::vector<int> quotas;       // per source (same size as sources), or empty: `quota` for all
  int quota = 100;               // candidates taken from each source (> 0)
  int rounds = 100;              // boosting rounds (> 0)
  int depth = 6;                 // max tree depth (1..16)
  double eta = 0.1;              // learning rate, (0, 1]
  double label_fraction = 0.2;   // share of each user's latest positives used as labels, (0, 1)
  int recent_items = 10;         // recent items of the sim_recent_* features (>= 0)
  uint64_t seed = 1;             // XGBoost seed
  int num_threads = 0;           // 0 = std::thread::hardware_concurrency()
  bool show_progress = false;    // progress lines on stderr
  SourceOptions source_options;  // used when fit_source is empty
  SourceFitter fit_source;       // empty = RecallSource::Fit(kind, data, source_options)
  // Item vectors and words of the content features, by item index of the data given to Fit
  // (BuildItemContent); null: those columns are missing values (NaN), the schema is the same.
  std::shared_ptr<const ItemContent> content;
};

// The content of the dataset's items from their texts (by item id; items without one have no
// vector and no words) with a fitted text embedder: its unit vector and its "w:" features.
ItemContent BuildItemContent(const Dataset& dataset,
                             std::span<const content::TextDocument> texts,
                             const content::TextEmbedder& embedder);

// InvalidArgument naming the first option out of range.
Status CheckRankerOptions(const RankerOptions& options);

// What Fit learned from (for reports and tests).
struct RankerFitStats {
  size_t groups = 0;         // users with at least one labelled candidate
  size_t rows = 0;           // training candidates
  size_t positive_rows = 0;  // candidates in their user's label window
};

class RankerModel {
 public:
  static constexpr std::string_view kKind = "ranker";
  static constexpr float kNotCandidate = -1e30f;

  static Result<RankerModel> Fit(const Dataset& dataset, const RankerOptions& options);

  // Writes a score for every item (size num_items()) for `user` (index of the training data,
  // or any value for an unknown user) whose items are `history` (ascending).
  Status ScoreItems(uint32_t user, std::span<const uint32_t> history,
                    std::span<float> scores) const;
  // The candidates of a user and their features (row-major, schema().size() columns).
  CandidateSet Candidates(std::span<const uint32_t> history) const;
  std::vector<float> Features(uint32_t user, std::span<const uint32_t> history,
                              const CandidateSet& candidates) const;

  size_t num_items() const { return items_.num_items(); }
  const FeatureSchema& schema() const { return schema_; }
  const std::vector<RecallSource>& sources() const { return sources_; }
  const std::vector<int>& quotas() const { return quotas_; }
  const RankerFitStats& fit_stats() const { return fit_stats_; }
  // The item content the content features read (null: none; they are NaN). Serving may attach
  // newer content than the training's, or none: the columns stay the same.
  const std::shared_ptr<const ItemContent>& content() const { return content_; }
  // InvalidArgument unless `content` covers num_items() items (null is accepted).
  Status SetContent(std::shared_ptr<const ItemContent> content);

  std::string Serialize() const;
  static Result<RankerModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<RankerModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<RankerModel>(path);
  }
  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  RankerModel(std::vector<RecallSource> sources, XgbBooster booster, std::string booster_bytes,
              bool content_features = true);
  FeatureInputs Inputs() const;

  std::vector<RecallSource> sources_;
  std::vector<int> quotas_;
  FeatureSchema schema_;
  ItemStats items_;
  RecentItems recent_;
  int recent_items_ = 0;
  std::shared_ptr<const ItemContent> content_;
  std::unique_ptr<XgbBooster> booster_;
  std::string booster_bytes_;  // the booster as saved (UBJSON)
  RankerFitStats fit_stats_;
  ModelInfo info_;
};

}  // namespace reco::rank
