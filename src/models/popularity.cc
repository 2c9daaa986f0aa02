#include "models/popularity.h"

#include <algorithm>
#include <cmath>

namespace reco {

Result<PopularityModel> PopularityModel::Fit(const Dataset& dataset,
                                             const PopularityOptions& options) {
  if (!(options.half_life_days > 0)) {
    return InvalidArgument(
        "popularity half-life must be > 0 days, got " + std::to_string(options.half_life_days),
        "popularity_half_life_days");
  }
  if (options.list_size == 0) {
    return InvalidArgument("popularity list size must be > 0", "popular_list_size");
  }
  PopularityModel model;
  const TimestampUs newest = dataset.max_feedback_timestamp();
  model.reference_time_ =
      options.reference_time.value_or(options.now ? std::min(*options.now, newest) : newest);
  model.half_life_days_ = options.half_life_days;
  const double half_life_us = options.half_life_days * 86400.0 * kMicrosPerSecond;
  const double rate = std::log(2.0) / half_life_us;
  std::vector<double> key(dataset.num_items(), 0.0);
  std::vector<float> score(dataset.num_items(), 0.0f);
  for (uint32_t i = 0; i < dataset.num_items(); ++i) {
    double sum = 0;
    for (TimestampUs t : dataset.ItemUserTimes(i)) {
      double age = static_cast<double>(std::max<TimestampUs>(model.reference_time_ - t, 0));
      sum += std::exp(-rate * age);
    }
    key[i] = sum;
    score[i] = static_cast<float>(sum);
  }
  model.lists_ = TopLists::Build(dataset, key, score, options.list_size, [&](uint32_t i) {
    return !dataset.item_hidden(i) && !dataset.ItemUsers(i).empty();
  });
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::string PopularityModel::Serialize() const {
  BinaryWriter w;
  w.I64(reference_time_);
  w.F64(half_life_days_);
  lists_.Serialize(w);
  return w.Take();
}

Result<PopularityModel> PopularityModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "popularity payload");
  PopularityModel model;
  RECO_RETURN_IF_ERROR(r.I64(model.reference_time_));
  RECO_RETURN_IF_ERROR(r.F64(model.half_life_days_));
  RECO_ASSIGN_OR_RETURN(model.lists_, TopLists::Deserialize(r));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return model;
}

}  // namespace reco
