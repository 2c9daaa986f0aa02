#include "eval/precompute.h"

#include <atomic>
#include <limits>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"
#include "eval/evaluator.h"

namespace reco::eval {
namespace {

constexpr size_t kBatchUsers = 32;
constexpr float kExcluded = -std::numeric_limits<float>::infinity();

using List = std::vector<std::pair<uint32_t, float>>;

// Scores users [begin, end) of `dataset` in one ScoreBatch call and fills their lists.
void ScoreRange(const Scorer& scorer, const Dataset& dataset, uint32_t begin, uint32_t end,
                size_t list_size, std::vector<float>& scores, std::vector<List>& lists) {
  const size_t n = dataset.num_items();
  std::vector<uint32_t> users;
  std::vector<std::span<const uint32_t>> histories;
  for (uint32_t u = begin; u < end; ++u) {
    if (dataset.UserItems(u).empty()) continue;
    users.push_back(u);
    histories.push_back(dataset.UserItems(u));
  }
  if (users.empty()) return;
  std::span<float> all(scores.data(), users.size() * n);
  scorer.ScoreBatch(users, histories, all);
  std::vector<std::pair<float, uint32_t>> buffer;
  std::vector<uint32_t> top;
  for (size_t r = 0; r < users.size(); ++r) {
    std::span<float> row = all.subspan(r * n, n);
    for (uint32_t h : histories[r]) row[h] = kExcluded;
    for (uint32_t i = 0; i < n; ++i) {
      if (dataset.item_hidden(i)) row[i] = kExcluded;
    }
    SelectTopK(row, list_size, buffer, top);
    List& list = lists[users[r]];
    list.reserve(top.size());
    for (uint32_t item : top) list.emplace_back(item, row[item]);
  }
}

}  // namespace

Result<UserRecsModel> PrecomputeUserRecs(const Scorer& scorer, const Dataset& dataset,
                                         std::string algorithm, std::vector<Setting> settings,
                                         const PrecomputeOptions& options) {
  if (options.list_size == 0) return InvalidArgument("precompute: list_size must be > 0");
  const uint32_t num_users = static_cast<uint32_t>(dataset.num_users());
  const size_t num_batches = (num_users + kBatchUsers - 1) / kBatchUsers;
  std::vector<List> lists(num_users);
  const int threads = ThreadCount(options.num_threads, num_batches);
  std::atomic<size_t> next{0};
  Progress progress("precompute", num_users, "users", options.show_progress);
  auto work = [&] {
    std::vector<float> scores(kBatchUsers * dataset.num_items());
    for (;;) {
      const size_t batch = next.fetch_add(1);
      if (batch >= num_batches) break;
      const uint32_t begin = static_cast<uint32_t>(batch * kBatchUsers);
      const uint32_t end = std::min<uint32_t>(num_users, begin + kBatchUsers);
      ScoreRange(scorer, dataset, begin, end, options.list_size, scores, lists);
      progress.Add(end - begin);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (options.show_progress) progress.Finish();
  RECO_ASSIGN_OR_RETURN(UserRecsModel model,
                        UserRecsModel::Build(dataset.user_ids(), dataset.item_ids(), lists,
                                             std::move(algorithm), std::move(settings)));
  ModelInfo info;
  info.snapshot_id = dataset.snapshot_id();
  model.set_info(std::move(info));
  return model;
}

}  // namespace reco::eval
