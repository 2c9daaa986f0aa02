// Test helper: the item-CF (no shrinkage, one thread), popularity and latest models of a small
// hand-written world, as a ModelSet created at 42 s.
#pragma once

#include <utility>
#include <vector>

#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/model_files.h"
#include "models/popularity.h"

namespace reco::testing {

inline ModelSet FitWorldModels(const std::vector<Item>& items,
                               const std::vector<Feedback>& feedback) {
  DatasetBuilder builder;
  for (const Item& it : items) builder.AddItem(it);
  for (const Feedback& f : feedback) builder.AddFeedback(f);
  Dataset dataset = std::move(builder).Build();
  ModelSet set;
  ItemCfOptions cf;
  cf.shrinkage = 0;
  cf.num_threads = 1;
  set.itemcf = std::move(ItemCfModel::Fit(dataset, cf)).value();
  set.popularity = std::move(PopularityModel::Fit(dataset, PopularityOptions{})).value();
  set.latest = std::move(LatestModel::Fit(dataset, LatestOptions{})).value();
  set.snapshot_id = dataset.snapshot_id();
  set.created = 42 * kMicrosPerSecond;
  return set;
}

}  // namespace reco::testing
