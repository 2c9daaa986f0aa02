#include "models/top_lists.h"

#include <algorithm>

namespace reco {
namespace {

void WriteList(BinaryWriter& w, const std::vector<ScoredItem>& list) {
  std::vector<uint32_t> items;
  std::vector<float> scores;
  items.reserve(list.size());
  scores.reserve(list.size());
  for (const ScoredItem& s : list) {
    items.push_back(s.item);
    scores.push_back(s.score);
  }
  w.U32Array(items);
  w.F32Array(scores);
}

Status ReadList(BinaryReader& r, size_t num_items, std::vector<ScoredItem>& list) {
  std::vector<uint32_t> items;
  std::vector<float> scores;
  RECO_RETURN_IF_ERROR(r.U32Array(items));
  RECO_RETURN_IF_ERROR(r.F32Array(scores));
  if (items.size() != scores.size()) return r.Corrupt("list items and scores differ in length");
  list.resize(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k] >= num_items) return r.Corrupt("list refers to an item out of range");
    list[k] = {items[k], scores[k]};
  }
  return Status::Ok();
}

}  // namespace

TopLists TopLists::FromOrder(const Dataset& dataset, std::span<const double> key,
                             std::span<const float> score, size_t list_size,
                             std::vector<uint32_t> order) {
  const std::vector<std::string>& ids = dataset.item_ids();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (key[a] != key[b]) return key[a] > key[b];
    return ids[a] < ids[b];
  });
  TopLists lists;
  const std::vector<std::string>& names = dataset.category_names();
  std::vector<uint32_t> sorted_cats(names.size());
  for (uint32_t c = 0; c < names.size(); ++c) sorted_cats[c] = c;
  std::sort(sorted_cats.begin(), sorted_cats.end(),
            [&](uint32_t a, uint32_t b) { return names[a] < names[b]; });
  std::vector<uint32_t> slot_of_category(names.size());
  for (uint32_t s = 0; s < sorted_cats.size(); ++s) {
    slot_of_category[sorted_cats[s]] = s;
    lists.category_names_.push_back(names[sorted_cats[s]]);
  }
  lists.by_category_.resize(names.size());
  std::vector<uint32_t> compact(dataset.num_items(), Dataset::kNoIndex);
  auto compact_index = [&](uint32_t i) {
    if (compact[i] == Dataset::kNoIndex) {
      compact[i] = static_cast<uint32_t>(lists.item_ids_.size());
      lists.item_ids_.push_back(ids[i]);
    }
    return compact[i];
  };
  for (uint32_t i : order) {
    if (lists.overall_.size() < list_size) lists.overall_.push_back({compact_index(i), score[i]});
    for (uint32_t c : dataset.ItemCategories(i)) {
      std::vector<ScoredItem>& list = lists.by_category_[slot_of_category[c]];
      if (list.size() < list_size) list.push_back({compact_index(i), score[i]});
    }
  }
  return lists;
}

std::span<const ScoredItem> TopLists::Top(std::string_view category) const {
  if (category.empty()) return overall_;
  auto it = std::lower_bound(category_names_.begin(), category_names_.end(), category);
  if (it == category_names_.end() || *it != category) return {};
  return by_category_[static_cast<size_t>(it - category_names_.begin())];
}

void TopLists::Serialize(BinaryWriter& w) const {
  w.StringArray(item_ids_);
  WriteList(w, overall_);
  w.StringArray(category_names_);
  for (const std::vector<ScoredItem>& list : by_category_) WriteList(w, list);
}

Result<TopLists> TopLists::Deserialize(BinaryReader& r) {
  TopLists lists;
  RECO_RETURN_IF_ERROR(r.StringArray(lists.item_ids_));
  RECO_RETURN_IF_ERROR(ReadList(r, lists.item_ids_.size(), lists.overall_));
  RECO_RETURN_IF_ERROR(r.StringArray(lists.category_names_));
  for (size_t c = 1; c < lists.category_names_.size(); ++c) {
    if (!(lists.category_names_[c - 1] < lists.category_names_[c])) {
      return r.Corrupt("category names are not sorted and unique");
    }
  }
  lists.by_category_.resize(lists.category_names_.size());
  for (std::vector<ScoredItem>& list : lists.by_category_) {
    RECO_RETURN_IF_ERROR(ReadList(r, lists.item_ids_.size(), list));
  }
  return lists;
}

}  // namespace reco
