// TopLists: ranked item lists — one overall and one per category — shared by the popularity
// and latest models. Items are referred to by index into the lists' own item_ids() table.
//
// Thread-safety: immutable after Build/Deserialize; concurrent const calls are safe.
// Lifetime: spans returned by Top() stay valid while the TopLists lives.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "models/binary_io.h"

namespace reco {

struct ScoredItem {
  uint32_t item;  // index into the model's item_ids()
  float score;
};

class TopLists {
 public:
  // Ranks the dataset items for which `eligible(i)` holds by `key` descending, ties by item id
  // ascending; `score` gives the published score. Keeps the first `list_size` overall and per
  // category. `key` and `score` are indexed by dataset item index.
  template <typename Eligible>
  static TopLists Build(const Dataset& dataset, std::span<const double> key,
                        std::span<const float> score, size_t list_size, Eligible eligible) {
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < dataset.num_items(); ++i) {
      if (eligible(i)) order.push_back(i);
    }
    return FromOrder(dataset, key, score, list_size, std::move(order));
  }

  // Empty span for an unknown category; "" is the overall list.
  std::span<const ScoredItem> Top(std::string_view category = "") const;
  const std::vector<std::string>& item_ids() const { return item_ids_; }
  const std::vector<std::string>& categories() const { return category_names_; }

  void Serialize(BinaryWriter& w) const;
  static Result<TopLists> Deserialize(BinaryReader& r);

 private:
  static TopLists FromOrder(const Dataset& dataset, std::span<const double> key,
                            std::span<const float> score, size_t list_size,
                            std::vector<uint32_t> order);

  std::vector<std::string> item_ids_;
  std::vector<ScoredItem> overall_;
  std::vector<std::string> category_names_;           // sorted, for binary search
  std::vector<std::vector<ScoredItem>> by_category_;  // parallel to category_names_
};

}  // namespace reco
