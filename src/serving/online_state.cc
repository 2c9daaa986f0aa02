#include "serving/online_state.h"

#include <algorithm>
#include <mutex>

#include "serving/item_labels.h"

namespace reco {
namespace {

void InsertSorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

}  // namespace

OnlineState::OnlineState(OnlineStateOptions options)
    : options_(std::move(options)), shards_(new UserShard[kShards]) {
  for (const auto& t : options_.feedback_types.read) kinds_[t] = FeedbackKind::kRead;
  for (const auto& t : options_.feedback_types.negative) kinds_[t] = FeedbackKind::kNegative;
  for (const auto& t : options_.feedback_types.positive) kinds_[t] = FeedbackKind::kPositive;
}

FeedbackKind OnlineState::KindOf(std::string_view feedback_type) const {
  auto it = kinds_.find(feedback_type);
  return it == kinds_.end() ? FeedbackKind::kOther : it->second;
}

OnlineState::UserShard& OnlineState::ShardFor(std::string_view user_id) const {
  return shards_[std::hash<std::string_view>{}(user_id) % kShards];
}

Result<int64_t> OnlineState::LoadFromStore(Store& store) {
  int64_t rows = 0;
  Feedback last;
  return ReplayStore(store, rows, last);
}

Result<int64_t> OnlineState::ReplayStore(Store& store, int64_t& rows, Feedback& last) {
  rows = 0;
  Status st = store.ScanItems([this](const Item& item) { UpsertItem(item); });
  if (!st.ok()) return st.WithPrefix("loading items");
  // Start-up is single-threaded: take every lock once instead of once per row.
  std::unique_lock catalog_lock(catalog_mu_);
  std::unique_lock index_lock(index_mu_);
  std::vector<std::unique_lock<std::shared_mutex>> shard_locks;
  for (size_t i = 0; i < kShards; ++i) shard_locks.emplace_back(shards_[i].mu);
  if (auto counts = store.Counts(); counts.ok()) {
    item_index_.reserve(static_cast<size_t>(counts->items));
    user_index_.reserve(static_cast<size_t>(counts->users));
  }
  // Feedback arrives in write order, so "recent" history is by write time.
  int64_t max_seq = 0;
  st = store.ScanFeedback(0, [&](const FeedbackRecord& rec) {
    const Feedback& f = rec.feedback;
    FeedbackKind kind = KindOf(f.feedback_type);
    uint32_t item = FindOrAddItemLocked(f.item_id);
    UserState& user = ShardFor(f.user_id).users.try_emplace(f.user_id).first->second;
    bool new_positive = ApplyToUserLocked(user, item, kind);
    if (kind == FeedbackKind::kPositive) {
      IndexPositiveLocked(f.user_id, item, new_positive, /*count_live=*/false);
    }
    if (rec.seq >= max_seq) {
      max_seq = rec.seq;
      last = f;
    }
    ++rows;
  });
  if (!st.ok()) return st.WithPrefix("loading feedback");
  live_counts_.clear();
  return max_seq;
}

uint32_t OnlineState::CategoryIndexLocked(std::string_view category) {
  auto it = category_index_.find(category);
  if (it != category_index_.end()) return it->second;
  uint32_t idx = static_cast<uint32_t>(category_index_.size());
  category_index_.emplace(std::string(category), idx);
  category_names_.emplace_back(category);
  return idx;
}

void OnlineState::SetLabelsLocked(ItemState& item, std::string_view labels_json) {
  item.labels.clear();
  for (std::string& label : ItemLabels(labels_json)) {
    auto it = label_index_.find(label);
    if (it == label_index_.end()) {
      it = label_index_.emplace(std::move(label), static_cast<uint32_t>(label_index_.size())).first;
    }
    InsertSorted(item.labels, it->second);
  }
}

uint32_t OnlineState::FindOrAddItemLocked(std::string_view item_id) {
  auto it = item_index_.find(item_id);
  if (it != item_index_.end()) return it->second;
  uint32_t idx = static_cast<uint32_t>(item_ids_.size());
  item_index_.emplace(std::string(item_id), idx);
  item_ids_.emplace_back(item_id);
  items_.emplace_back();
  blocked_.push_back(0);
  return idx;
}

void OnlineState::SetItemLocked(uint32_t index, const Item& item) {
  ItemState& s = items_[index];
  s.hidden = item.is_hidden;
  s.deleted = false;
  s.timestamp_s = item.timestamp / kMicrosPerSecond;
  s.categories.clear();
  for (const auto& c : item.categories) s.categories.push_back(CategoryIndexLocked(c));
  SetLabelsLocked(s, item.labels_json);
  blocked_[index] = s.hidden ? 1 : 0;
}

void OnlineState::UpsertItem(const Item& item) {
  std::unique_lock lock(catalog_mu_);
  SetItemLocked(FindOrAddItemLocked(item.item_id), item);
}

void OnlineState::PatchItem(std::string_view item_id, const ItemPatch& patch) {
  std::unique_lock lock(catalog_mu_);
  uint32_t index = FindOrAddItemLocked(item_id);
  ItemState& s = items_[index];
  if (patch.is_hidden) s.hidden = *patch.is_hidden;
  blocked_[index] = s.hidden || s.deleted ? 1 : 0;
  if (patch.timestamp) s.timestamp_s = *patch.timestamp / kMicrosPerSecond;
  if (patch.labels_json) SetLabelsLocked(s, *patch.labels_json);
  if (patch.categories) {
    s.categories.clear();
    for (const auto& c : *patch.categories) s.categories.push_back(CategoryIndexLocked(c));
  }
}

void OnlineState::SetItemCategories(std::string_view item_id, std::vector<std::string> categories) {
  ItemPatch patch;
  patch.categories = std::move(categories);
  PatchItem(item_id, patch);
}

void OnlineState::DeleteItem(std::string_view item_id) {
  std::unique_lock lock(catalog_mu_);
  auto it = item_index_.find(item_id);
  if (it != item_index_.end()) {
    items_[it->second].deleted = true;
    blocked_[it->second] = 1;
  }
}

void OnlineState::UpsertUser(std::string_view user_id) {
  UserShard& shard = ShardFor(user_id);
  std::unique_lock lock(shard.mu);
  shard.users.try_emplace(std::string(user_id));
}

void OnlineState::DeleteUser(std::string_view user_id) {
  UserShard& shard = ShardFor(user_id);
  std::unique_lock lock(shard.mu);
  auto it = shard.users.find(user_id);
  if (it != shard.users.end()) shard.users.erase(it);
}

bool OnlineState::ApplyToUserLocked(UserState& user, uint32_t item, FeedbackKind kind) {
  InsertSorted(user.seen, item);
  if (kind != FeedbackKind::kPositive) return false;
  auto& recent = user.recent_positive;
  auto it = std::find(recent.begin(), recent.end(), item);
  if (it != recent.end()) recent.erase(it);
  recent.push_back(item);
  if (recent.size() > static_cast<size_t>(options_.history_size)) recent.erase(recent.begin());
  auto pos = std::lower_bound(user.positive_all.begin(), user.positive_all.end(), item);
  if (pos != user.positive_all.end() && *pos == item) return false;
  user.positive_all.insert(pos, item);
  return true;
}

void OnlineState::IndexPositiveLocked(std::string_view user_id, uint32_t item, bool new_positive,
                                      bool count_live) {
  if (count_live) live_counts_[item] += 1.0;
  if (!new_positive) return;
  auto [uit, inserted] =
      user_index_.try_emplace(std::string(user_id), static_cast<uint32_t>(user_ids_.size()));
  if (inserted) user_ids_.emplace_back(user_id);
  if (item_users_.size() <= item) item_users_.resize(item + 1);
  item_users_[item].push_back(uit->second);
}

void OnlineState::ApplyFeedback(const Feedback& feedback) {
  ApplyFeedback(std::span<const Feedback>(&feedback, 1));
}

void OnlineState::ApplyFeedback(std::span<const Feedback> rows, bool count_live) {
  // One lock of the catalogue and of the index per batch, not per row.
  thread_local std::vector<uint32_t> items;
  thread_local std::vector<uint8_t> new_positive;
  items.resize(rows.size());
  new_positive.assign(rows.size(), 0);
  {
    std::unique_lock lock(catalog_mu_);
    for (size_t i = 0; i < rows.size(); ++i) items[i] = FindOrAddItemLocked(rows[i].item_id);
  }
  bool any_positive = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Feedback& f = rows[i];
    FeedbackKind kind = KindOf(f.feedback_type);
    any_positive = any_positive || kind == FeedbackKind::kPositive;
    UserShard& shard = ShardFor(f.user_id);
    std::unique_lock lock(shard.mu);
    UserState& user = shard.users.try_emplace(f.user_id).first->second;
    new_positive[i] = ApplyToUserLocked(user, items[i], kind) ? 1 : 0;
  }
  if (!any_positive) return;
  std::unique_lock lock(index_mu_);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (KindOf(rows[i].feedback_type) != FeedbackKind::kPositive) continue;
    IndexPositiveLocked(rows[i].user_id, items[i], new_positive[i] != 0, count_live);
  }
}

void OnlineState::ResetUserFeedback(std::string_view user_id, std::vector<Feedback> rows) {
  // Recent history is by feedback time.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Feedback& a, const Feedback& b) { return a.timestamp < b.timestamp; });
  std::vector<uint32_t> items;
  {
    std::unique_lock lock(catalog_mu_);
    for (const auto& f : rows) items.push_back(FindOrAddItemLocked(f.item_id));
  }
  UserShard& shard = ShardFor(user_id);
  std::unique_lock lock(shard.mu);
  UserState fresh;
  for (size_t i = 0; i < rows.size(); ++i) {
    ApplyToUserLocked(fresh, items[i], KindOf(rows[i].feedback_type));
  }
  shard.users[std::string(user_id)] = std::move(fresh);
}

std::optional<uint32_t> OnlineState::FindItem(std::string_view item_id) const {
  std::shared_lock lock(catalog_mu_);
  auto it = item_index_.find(item_id);
  if (it == item_index_.end() || items_[it->second].deleted) return std::nullopt;
  return it->second;
}

uint32_t OnlineState::FindOrAddItem(std::string_view item_id) {
  {
    std::shared_lock lock(catalog_mu_);
    auto it = item_index_.find(item_id);
    if (it != item_index_.end()) return it->second;
  }
  std::unique_lock lock(catalog_mu_);
  uint32_t idx = FindOrAddItemLocked(item_id);
  // Known to a model but not (yet) to the store: not recommendable until the store has it.
  if (idx + 1 == items_.size()) {
    items_[idx].deleted = true;
    blocked_[idx] = 1;
  }
  return idx;
}

std::string OnlineState::ItemId(uint32_t index) const {
  std::shared_lock lock(catalog_mu_);
  return index < item_ids_.size() ? item_ids_[index] : std::string();
}

size_t OnlineState::ItemCount() const {
  std::shared_lock lock(catalog_mu_);
  return item_ids_.size();
}

OnlineState::CatalogView::CatalogView(const OnlineState* state, std::string_view category)
    : state_(state), lock_(state->catalog_mu_) {
  if (category.empty()) return;
  has_category_ = true;
  auto it = state_->category_index_.find(category);
  if (it == state_->category_index_.end()) {
    category_ok_ = false;
  } else {
    category_ = it->second;
  }
}

bool OnlineState::CatalogView::InCategory(uint32_t item) const {
  return category_ok_ && HasCategory(item, category_);
}

bool OnlineState::CatalogView::HasCategory(uint32_t item, uint32_t category) const {
  std::span<const uint32_t> cats = Categories(item);
  return std::find(cats.begin(), cats.end(), category) != cats.end();
}

std::optional<uint32_t> OnlineState::CatalogView::FindCategory(std::string_view name) const {
  auto it = state_->category_index_.find(name);
  if (it == state_->category_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> OnlineState::CatalogView::FindLabel(std::string_view name) const {
  auto it = state_->label_index_.find(name);
  if (it == state_->label_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> OnlineState::CatalogView::Find(std::string_view item_id) const {
  auto it = state_->item_index_.find(item_id);
  if (it == state_->item_index_.end() || state_->items_[it->second].deleted) return std::nullopt;
  return it->second;
}

int64_t OnlineState::ItemTimestampSeconds(uint32_t item) const {
  std::shared_lock lock(catalog_mu_);
  return item < items_.size() ? items_[item].timestamp_s : 0;
}

UserSnapshot OnlineState::GetUser(std::string_view user_id) const {
  UserSnapshot snap;
  GetUser(user_id, snap);
  return snap;
}

void OnlineState::GetUser(std::string_view user_id, UserSnapshot& out) const {
  out.known = false;
  out.recent_positive.clear();
  out.seen.clear();
  UserShard& shard = ShardFor(user_id);
  std::shared_lock lock(shard.mu);
  auto it = shard.users.find(user_id);
  if (it == shard.users.end()) return;
  out.known = true;
  out.recent_positive.assign(it->second.recent_positive.begin(), it->second.recent_positive.end());
  out.seen.assign(it->second.seen.begin(), it->second.seen.end());
}

std::vector<uint32_t> OnlineState::UserPositiveItems(std::string_view user_id) const {
  UserShard& shard = ShardFor(user_id);
  std::shared_lock lock(shard.mu);
  auto it = shard.users.find(user_id);
  return it == shard.users.end() ? std::vector<uint32_t>{} : it->second.positive_all;
}

size_t OnlineState::UserPositiveCount(std::string_view user_id) const {
  UserShard& shard = ShardFor(user_id);
  std::shared_lock lock(shard.mu);
  auto it = shard.users.find(user_id);
  return it == shard.users.end() ? 0 : it->second.positive_all.size();
}

std::vector<std::string> OnlineState::ItemUsers(uint32_t item, size_t limit) const {
  std::shared_lock lock(index_mu_);
  std::vector<std::string> out;
  if (item >= item_users_.size()) return out;
  const auto& users = item_users_[item];
  size_t start = users.size() > limit ? users.size() - limit : 0;
  for (size_t i = start; i < users.size(); ++i) out.push_back(user_ids_[users[i]]);
  return out;
}

double OnlineState::LiveCount(uint32_t item) const {
  std::shared_lock lock(index_mu_);
  auto it = live_counts_.find(item);
  return it == live_counts_.end() ? 0.0 : it->second;
}

void OnlineState::LiveCounts(std::vector<std::pair<uint32_t, float>>& out) const {
  out.clear();
  std::shared_lock lock(index_mu_);
  for (const auto& [item, count] : live_counts_) out.emplace_back(item, static_cast<float>(count));
}

void OnlineState::ResetLiveCounts() {
  std::unique_lock lock(index_mu_);
  live_counts_.clear();
}

}  // namespace reco
