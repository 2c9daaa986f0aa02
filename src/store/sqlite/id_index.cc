#include "store/sqlite/id_index.h"

namespace reco::sqlite {

void IdIndex::Load(int64_t idx, std::string_view id) {
  if (static_cast<size_t>(idx) >= names_.size()) names_.resize(idx + 1);
  names_[idx] = std::string(id);
  by_id_.emplace(std::string(id), idx);
  if (idx >= next_idx_) next_idx_ = idx + 1;
  txn_start_idx_ = next_idx_;
}

int64_t IdIndex::Add(std::string_view id) {
  int64_t idx = next_idx_++;
  if (static_cast<size_t>(idx) >= names_.size()) names_.resize(idx + 1);
  names_[idx] = std::string(id);
  by_id_.emplace(std::string(id), idx);
  return idx;
}

void IdIndex::Remove(std::string_view id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  removed_.emplace_back(it->first, it->second);
  by_id_.erase(it);
}

void IdIndex::ReplaceWith(IdIndex&& fresh) {
  if (fresh.names_.size() < names_.size()) fresh.names_.resize(names_.size());
  for (size_t idx = 0; idx < names_.size(); ++idx) {
    if (fresh.names_[idx].empty()) fresh.names_[idx] = std::move(names_[idx]);
  }
  *this = std::move(fresh);
  txn_start_idx_ = next_idx_;
  removed_.clear();
}

void IdIndex::Commit() {
  txn_start_idx_ = next_idx_;
  removed_.clear();
}

void IdIndex::RollbackTo(const Mark& mark) {
  for (int64_t idx = mark.next_idx; idx < next_idx_; ++idx) {
    by_id_.erase(names_[idx]);
    names_[idx].clear();
  }
  next_idx_ = mark.next_idx;
  // Ids removed since the mark come back, unless they were themselves added since the mark.
  for (size_t i = mark.removed; i < removed_.size(); ++i) {
    auto& [id, idx] = removed_[i];
    if (idx < mark.next_idx) by_id_.emplace(std::move(id), idx);
  }
  removed_.resize(mark.removed);
}

}  // namespace reco::sqlite
