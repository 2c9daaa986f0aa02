#include "models/latest.h"

namespace reco {

Result<LatestModel> LatestModel::Fit(const Dataset& dataset, const LatestOptions& options) {
  if (options.list_size == 0) {
    return InvalidArgument("latest list size must be > 0", "popular_list_size");
  }
  std::vector<double> key(dataset.num_items());
  std::vector<float> score(dataset.num_items());
  for (uint32_t i = 0; i < dataset.num_items(); ++i) {
    key[i] = static_cast<double>(dataset.item_timestamp(i));
    score[i] =
        static_cast<float>(static_cast<double>(dataset.item_timestamp(i)) / kMicrosPerSecond);
  }
  LatestModel model;
  model.lists_ = TopLists::Build(dataset, key, score, options.list_size,
                                 [&](uint32_t i) { return !dataset.item_hidden(i); });
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::string LatestModel::Serialize() const {
  BinaryWriter w;
  lists_.Serialize(w);
  return w.Take();
}

Result<LatestModel> LatestModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "latest payload");
  LatestModel model;
  RECO_ASSIGN_OR_RETURN(model.lists_, TopLists::Deserialize(r));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  return model;
}

}  // namespace reco
