// PopularityModel (kind "popularity"): time-decayed count of positive feedback per item,
// score(i) = sum over users u who liked i of exp(-ln2 * age / half_life), where age is the
// reference time minus the time of u's latest positive feedback on i (a time after the reference
// counts as age 0). The reference is the training time, or the dataset's newest feedback when
// that is older (a dataset whose newest event is years old keeps its scores instead of decaying
// to 0). A row dated in the future therefore weighs as much as one at training time, never more,
// and cannot age every other row away. Hidden items and items without positive feedback are left
// out. Lists: overall and per category, top list_size.
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "models/model_io.h"
#include "models/top_lists.h"

namespace reco {

struct PopularityOptions {
  double half_life_days = 7.0;  // must be > 0
  size_t list_size = 1000;      // items kept per list (> 0)
  // The training time (injected by the caller, never read from the wall clock here). The
  // reference is min(now, the dataset's max_feedback_timestamp()); unset = the latter alone.
  std::optional<TimestampUs> now;
  // A fixed reference, overriding the rule above.
  std::optional<TimestampUs> reference_time;
};

class PopularityModel {
 public:
  static constexpr std::string_view kKind = "popularity";

  static Result<PopularityModel> Fit(const Dataset& dataset, const PopularityOptions& options);

  // Best first (score desc, ties by item id); empty for an unknown category; "" = overall.
  std::span<const ScoredItem> Top(std::string_view category = "") const {
    return lists_.Top(category);
  }
  // Model item index -> item id.
  const std::vector<std::string>& item_ids() const { return lists_.item_ids(); }
  const std::vector<std::string>& categories() const { return lists_.categories(); }
  TimestampUs reference_time() const { return reference_time_; }

  std::string Serialize() const;
  static Result<PopularityModel> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<PopularityModel> Load(const std::filesystem::path& path) {
    return LoadModelFile<PopularityModel>(path);
  }

  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  TopLists lists_;
  TimestampUs reference_time_ = 0;
  double half_life_days_ = 0;
  ModelInfo info_;
};

}  // namespace reco
