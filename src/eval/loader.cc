// Reading datasets and fixed train/test splits from files; the Dataset copy helper.
#include <algorithm>
#include <unordered_map>

#include "eval/protocol.h"
#include "eval/split_util.h"

namespace reco::eval {
namespace {

constexpr size_t kIssuesKept = 5;

Status ReadBatch(const std::filesystem::path& path, ingest::ImportFormat format,
                 ingest::ImportBatch& batch, int64_t* bad_lines, std::vector<std::string>* issues) {
  ingest::SourceOptions source;
  source.default_timestamp = 0;
  std::vector<ingest::ImportIssue> found;
  RECO_RETURN_IF_ERROR(ingest::ReadSource(path, format, source, batch, found));
  if (bad_lines != nullptr) *bad_lines += static_cast<int64_t>(found.size());
  if (issues != nullptr) {
    for (size_t i = 0; i < found.size() && issues->size() < kIssuesKept; ++i) {
      issues->push_back(found[i].ToString());
    }
  }
  return Status::Ok();
}

Dataset BuildDataset(ingest::ImportBatch& batch) {
  DatasetBuilder builder;
  for (const User& user : batch.users) builder.AddUser(user.user_id);
  for (const Item& item : batch.items) builder.AddItem(item);
  for (const Feedback& f : batch.feedback) builder.AddFeedback(f);
  batch = ingest::ImportBatch();
  return std::move(builder).Build();
}

bool IsPositive(const FeedbackTypes& types, const std::string& type) {
  return std::find(types.positive.begin(), types.positive.end(), type) != types.positive.end();
}

// Maps the positive pairs of the test batch onto `train` indices. Items unknown to train get
// indices after train's items, in order of appearance (their ids go to `extra_items`).
void CollectTestPairs(const Dataset& train, const ingest::ImportBatch& test, EvalSplit& split,
                      std::vector<std::string>& extra_items) {
  const FeedbackTypes types;
  std::vector<std::vector<uint32_t>> per_user(train.num_users());
  std::vector<uint8_t> in_test(train.num_users(), 0);
  std::unordered_map<std::string, uint32_t> extra_index;
  std::unordered_map<std::string, int> cold_users;
  for (const Feedback& f : test.feedback) {
    if (!IsPositive(types, f.feedback_type)) continue;
    const uint32_t u = train.UserIndex(f.user_id);
    if (u == Dataset::kNoIndex || train.UserItems(u).empty()) {
      ++cold_users[f.user_id];
      ++split.stats.dropped_test_items;
      continue;
    }
    uint32_t item = train.ItemIndex(f.item_id);
    if (item == Dataset::kNoIndex) {
      auto [it, inserted] = extra_index.try_emplace(
          f.item_id, static_cast<uint32_t>(train.num_items() + extra_items.size()));
      if (inserted) extra_items.push_back(f.item_id);
      item = it->second;
    }
    per_user[u].push_back(item);
    in_test[u] = 1;
  }
  split.stats.dropped_test_users = static_cast<int64_t>(cold_users.size());
  split.stats.test_only_items = static_cast<int64_t>(extra_items.size());
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    if (!in_test[u]) continue;
    std::vector<uint32_t>& items = per_user[u];
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    std::span<const uint32_t> history = train.UserItems(u);
    HeldOutUser& held = split.users.emplace_back();
    held.user = u;
    for (uint32_t item : items) {
      if (std::binary_search(history.begin(), history.end(), item)) {
        ++split.stats.overlap_test_items;
      } else {
        held.test.push_back(item);
      }
    }
  }
}

}  // namespace

namespace internal {

Dataset CopyDataset(const Dataset& source, const std::vector<uint8_t>& keep,
                    const std::vector<std::string>& extra_items) {
  DatasetBuilder builder;
  for (const std::string& id : source.user_ids()) builder.AddUser(id);
  std::vector<std::string> categories;
  for (uint32_t i = 0; i < source.num_items(); ++i) {
    categories.clear();
    for (uint32_t c : source.ItemCategories(i)) categories.push_back(source.category_names()[c]);
    builder.AddItem(source.item_ids()[i], source.item_hidden(i), source.item_timestamp(i),
                    categories);
  }
  for (const std::string& id : extra_items) builder.AddItem(id);
  size_t pos = 0;
  for (uint32_t u = 0; u < source.num_users(); ++u) {
    std::span<const uint32_t> items = source.UserItems(u);
    std::span<const TimestampUs> times = source.UserItemTimes(u);
    for (size_t k = 0; k < items.size(); ++k, ++pos) {
      if (keep[pos]) builder.AddPositive(u, items[k], times[k]);
    }
  }
  return std::move(builder).Build();
}

}  // namespace internal

Result<Dataset> LoadDataset(const std::filesystem::path& path, ingest::ImportFormat format,
                            int64_t* bad_lines, std::vector<std::string>* issues) {
  ingest::ImportBatch batch;
  RECO_RETURN_IF_ERROR(ReadBatch(path, format, batch, bad_lines, issues));
  return BuildDataset(batch);
}

Result<EvalSplit> LoadFixedSplit(const std::filesystem::path& train_path,
                                 const std::filesystem::path& test_path,
                                 ingest::ImportFormat format) {
  EvalSplit split;
  RECO_ASSIGN_OR_RETURN(Dataset train,
                        LoadDataset(train_path, format, &split.stats.bad_lines, &split.issues));
  if (train.num_positives() == 0) {
    return InvalidArgument(train_path.string() + " holds no positive interactions", "--train");
  }
  ingest::ImportBatch test;
  RECO_RETURN_IF_ERROR(ReadBatch(test_path, format, test, &split.stats.bad_lines, &split.issues));
  std::vector<std::string> extra_items;
  CollectTestPairs(train, test, split, extra_items);
  if (!extra_items.empty()) {
    train =
        internal::CopyDataset(train, std::vector<uint8_t>(train.num_positives(), 1), extra_items);
  }
  split.train = std::move(train);
  split.stats.train_positives = static_cast<int64_t>(split.train.num_positives());
  for (const HeldOutUser& u : split.users) {
    split.stats.test_positives += static_cast<int64_t>(u.test.size());
  }
  return split;
}

}  // namespace reco::eval
