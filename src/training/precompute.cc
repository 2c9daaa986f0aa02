#include "training/precompute.h"

#include <atomic>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"
#include "eval/evaluator.h"

namespace reco::training {
namespace {

using List = std::vector<std::pair<uint32_t, float>>;

// Ranks users [begin, end) of `dataset` with one batch and fills their lists.
void RankRange(const Dataset& dataset, uint32_t begin, uint32_t end, size_t list_size,
               eval::BatchRanker& ranker, std::vector<List>& lists) {
  std::vector<uint32_t> users;
  std::vector<std::span<const uint32_t>> histories;
  for (uint32_t u = begin; u < end; ++u) {
    if (dataset.UserItems(u).empty()) continue;
    users.push_back(u);
    histories.push_back(dataset.UserItems(u));
  }
  ranker.Rank(users, histories, list_size,
              [&](size_t r, const std::vector<uint32_t>& top, std::span<const float> scores) {
                List& list = lists[users[r]];
                list.reserve(top.size());
                for (uint32_t item : top) list.emplace_back(item, scores[item]);
              });
}

}  // namespace

Result<UserRecsModel> PrecomputeUserRecs(const eval::Scorer& scorer, const Dataset& dataset,
                                         std::string algorithm, std::vector<eval::Setting> settings,
                                         const PrecomputeOptions& options) {
  if (options.list_size == 0) return InvalidArgument("precompute: list_size must be > 0");
  const uint32_t num_users = static_cast<uint32_t>(dataset.num_users());
  constexpr size_t kBatch = eval::BatchRanker::kBatchUsers;
  const size_t num_batches = (num_users + kBatch - 1) / kBatch;
  std::vector<List> lists(num_users);
  std::vector<uint32_t> hidden;
  for (uint32_t i = 0; i < dataset.num_items(); ++i) {
    if (dataset.item_hidden(i)) hidden.push_back(i);
  }
  const int threads = ThreadCount(options.num_threads, num_batches);
  std::atomic<size_t> next{0};
  Progress progress("precompute", num_users, "users", options.show_progress);
  auto work = [&] {
    eval::BatchRanker ranker(scorer, dataset.num_items(), hidden);
    for (;;) {
      const size_t batch = next.fetch_add(1);
      if (batch >= num_batches) break;
      const uint32_t begin = static_cast<uint32_t>(batch * kBatch);
      const uint32_t end = std::min<uint32_t>(num_users, begin + static_cast<uint32_t>(kBatch));
      RankRange(dataset, begin, end, options.list_size, ranker, lists);
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

}  // namespace reco::training
