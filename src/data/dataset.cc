#include "data/dataset.h"

#include <algorithm>
#include <numeric>

namespace reco {
namespace {

template <typename T>
std::span<const T> Slice(const std::vector<T>& values, const std::vector<uint64_t>& offsets,
                         uint32_t row) {
  if (row + 1 >= offsets.size()) return {};
  return std::span<const T>(values.data() + offsets[row], offsets[row + 1] - offsets[row]);
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

Result<Dataset> Dataset::FromStore(Store& store, const FeedbackTypes& types) {
  DatasetBuilder builder(types);
  RECO_RETURN_IF_ERROR(store.ScanUsers([&](const User& user) { builder.AddUser(user.user_id); })
                           .WithPrefix("scanning users"));
  RECO_RETURN_IF_ERROR(store.ScanItems([&](const Item& item) { builder.AddItem(item); })
                           .WithPrefix("scanning items"));
  RECO_RETURN_IF_ERROR(store
                           .ScanFeedback(0,
                                         [&](const FeedbackRecord& record) {
                                           builder.AddFeedback(record.feedback, record.seq);
                                         })
                           .WithPrefix("scanning feedback"));
  return std::move(builder).Build();
}

uint32_t Dataset::UserIndex(std::string_view user_id) const {
  auto it = user_index_.find(user_id);
  return it == user_index_.end() ? Dataset::kNoIndex : it->second;
}

uint32_t Dataset::ItemIndex(std::string_view item_id) const {
  auto it = item_index_.find(item_id);
  return it == item_index_.end() ? Dataset::kNoIndex : it->second;
}

std::span<const uint32_t> Dataset::ItemCategories(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const uint32_t>(item_categories_.data() + item_category_offsets_[item],
                                   item_category_offsets_[item + 1] - item_category_offsets_[item]);
}

std::span<const uint32_t> Dataset::UserItems(uint32_t user) const {
  return Slice(user_items_, user_offsets_, user);
}
std::span<const TimestampUs> Dataset::UserItemTimes(uint32_t user) const {
  return Slice(user_item_times_, user_offsets_, user);
}
std::span<const uint32_t> Dataset::ItemUsers(uint32_t item) const {
  return Slice(item_users_, item_offsets_, item);
}
std::span<const TimestampUs> Dataset::ItemUserTimes(uint32_t item) const {
  return Slice(item_user_times_, item_offsets_, item);
}

DatasetBuilder::DatasetBuilder(FeedbackTypes types) : types_(std::move(types)) {}

uint32_t DatasetBuilder::AddUser(std::string_view user_id) {
  auto [it, inserted] =
      d_.user_index_.try_emplace(std::string(user_id), static_cast<uint32_t>(d_.user_ids_.size()));
  if (inserted) d_.user_ids_.emplace_back(user_id);
  return it->second;
}

uint32_t DatasetBuilder::AddItem(const Item& item) {
  return AddItem(item.item_id, item.is_hidden, item.timestamp, item.categories);
}

uint32_t DatasetBuilder::AddItem(std::string_view item_id, bool is_hidden, TimestampUs timestamp,
                                 const std::vector<std::string>& categories) {
  auto [it, inserted] =
      d_.item_index_.try_emplace(std::string(item_id), static_cast<uint32_t>(d_.item_ids_.size()));
  uint32_t index = it->second;
  if (inserted) {
    d_.item_ids_.emplace_back(item_id);
    d_.item_hidden_.push_back(0);
    d_.item_timestamp_.push_back(0);
    item_category_lists_.emplace_back();
  }
  d_.item_hidden_[index] = is_hidden ? 1 : 0;
  d_.item_timestamp_[index] = timestamp;
  std::vector<uint32_t>& cats = item_category_lists_[index];
  cats.clear();
  for (const std::string& name : categories) {
    auto [cit, cinserted] =
        category_index_.try_emplace(name, static_cast<uint32_t>(d_.category_names_.size()));
    if (cinserted) d_.category_names_.push_back(name);
    cats.push_back(cit->second);
  }
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  return index;
}

DatasetBuilder::Kind DatasetBuilder::Classify(std::string_view type) {
  if (has_last_ && type == last_type_) return last_kind_;
  Kind kind = Kind::kIgnored;
  if (Contains(types_.positive, type)) {
    kind = Kind::kPositive;
  } else if (Contains(types_.read, type)) {
    kind = Kind::kRead;
  } else if (Contains(types_.negative, type)) {
    kind = Kind::kNegative;
  }
  last_type_ = type;
  last_kind_ = kind;
  has_last_ = true;
  return kind;
}

void DatasetBuilder::AddFeedback(const Feedback& feedback, int64_t seq) {
  d_.max_seq_ = std::max(d_.max_seq_, seq);
  Kind kind = Classify(feedback.feedback_type);
  if (kind == Kind::kIgnored) return;
  d_.max_feedback_ts_ = std::max(d_.max_feedback_ts_, feedback.timestamp);
  if (kind == Kind::kRead) {
    ++d_.num_read_;
    return;
  }
  if (kind == Kind::kNegative) {
    ++d_.num_negative_;
    return;
  }
  uint32_t user = AddUser(feedback.user_id);
  auto found = d_.item_index_.find(feedback.item_id);
  uint32_t item = found != d_.item_index_.end() ? found->second : AddItem(feedback.item_id);
  positives_.push_back({user, item, feedback.timestamp});
}

void DatasetBuilder::AddPositive(uint32_t user, uint32_t item, TimestampUs timestamp) {
  positives_.push_back({user, item, timestamp});
}

void DatasetBuilder::BuildCsr(Dataset& d) {
  const size_t num_users = d.user_ids_.size();
  const size_t num_items = d.item_ids_.size();
  // Counting sort by user, then sort each user's row by item and keep the latest time per pair.
  std::vector<uint64_t> counts(num_users + 1, 0);
  for (const Pair& p : positives_) ++counts[p.user + 1];
  std::partial_sum(counts.begin(), counts.end(), counts.begin());
  std::vector<std::pair<uint32_t, TimestampUs>> rows(positives_.size());
  {
    std::vector<uint64_t> cursor(counts.begin(), counts.end() - 1);
    for (const Pair& p : positives_) rows[cursor[p.user]++] = {p.item, p.timestamp};
  }
  positives_.clear();
  positives_.shrink_to_fit();
  d.user_offsets_.assign(num_users + 1, 0);
  d.user_items_.reserve(rows.size());
  d.user_item_times_.reserve(rows.size());
  std::vector<uint64_t> item_counts(num_items + 1, 0);
  for (size_t u = 0; u < num_users; ++u) {
    auto begin = rows.begin() + static_cast<ptrdiff_t>(counts[u]);
    auto end = rows.begin() + static_cast<ptrdiff_t>(counts[u + 1]);
    std::sort(begin, end);
    for (auto it = begin; it != end; ++it) {
      if (it + 1 != end && (it + 1)->first == it->first) continue;  // keep the latest (last)
      d.user_items_.push_back(it->first);
      d.user_item_times_.push_back(it->second);
      ++item_counts[it->first + 1];
    }
    d.user_offsets_[u + 1] = d.user_items_.size();
  }
  // Transpose: users are visited in order, so each item's user list comes out sorted.
  std::partial_sum(item_counts.begin(), item_counts.end(), item_counts.begin());
  d.item_offsets_ = item_counts;
  d.item_users_.resize(d.user_items_.size());
  d.item_user_times_.resize(d.user_items_.size());
  std::vector<uint64_t> cursor(item_counts.begin(), item_counts.end() - 1);
  for (size_t u = 0; u < num_users; ++u) {
    for (uint64_t k = d.user_offsets_[u]; k < d.user_offsets_[u + 1]; ++k) {
      uint64_t pos = cursor[d.user_items_[k]]++;
      d.item_users_[pos] = static_cast<uint32_t>(u);
      d.item_user_times_[pos] = d.user_item_times_[k];
    }
  }
}

Dataset DatasetBuilder::Build() && {
  Dataset d = std::move(d_);
  BuildCsr(d);
  d.item_category_offsets_.assign(d.item_ids_.size() + 1, 0);
  for (size_t i = 0; i < item_category_lists_.size(); ++i) {
    d.item_category_offsets_[i + 1] =
        d.item_category_offsets_[i] + static_cast<uint32_t>(item_category_lists_[i].size());
    d.item_categories_.insert(d.item_categories_.end(), item_category_lists_[i].begin(),
                              item_category_lists_[i].end());
  }
  d.snapshot_id_ = "seq" + std::to_string(d.max_seq_) + "-u" + std::to_string(d.num_users()) +
                   "-i" + std::to_string(d.num_items()) + "-p" + std::to_string(d.num_positives());
  return d;
}

}  // namespace reco
