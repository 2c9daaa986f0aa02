// Fixed train/test splits read from files (e.g. LightGCN train.txt/test.txt).
#include <algorithm>
#include <unordered_map>

#include "data/loader.h"
#include "eval/protocol.h"
#include "eval/split_util.h"

namespace reco::eval {
namespace {

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
  RECO_RETURN_IF_ERROR(
      ReadImportFile(test_path, format, test, &split.stats.bad_lines, &split.issues));
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
