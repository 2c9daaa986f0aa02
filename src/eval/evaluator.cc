#include "eval/evaluator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"

namespace reco::eval {
namespace {

using Candidate = std::pair<float, uint32_t>;

bool Better(const Candidate& a, const Candidate& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

constexpr size_t kChunkUsers = 256;
constexpr float kMasked = -std::numeric_limits<float>::infinity();

Result<std::vector<size_t>> NormalizeKs(std::vector<size_t> ks) {
  if (ks.empty()) return InvalidArgument("at least one cut-off K is needed", "--k");
  for (size_t k : ks) {
    if (k == 0) return InvalidArgument("cut-offs K must be > 0", "--k");
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

MetricContext MakeContext(const Dataset& train, std::vector<size_t> ks) {
  std::vector<uint32_t> counts(train.num_items());
  for (uint32_t i = 0; i < train.num_items(); ++i) {
    counts[i] = static_cast<uint32_t>(train.ItemUsers(i).size());
  }
  size_t users = 0;
  for (uint32_t u = 0; u < train.num_users(); ++u) users += train.UserItems(u).empty() ? 0 : 1;
  MetricContext context;
  context.ks = std::move(ks);
  context.item_novelty = ItemNovelty(counts, users);
  return context;
}

// Per-thread scratch space.
struct Worker {
  Worker(const Scorer& scorer, size_t num_items) : ranker(scorer, num_items), coverage(num_items) {}
  BatchRanker ranker;
  std::vector<uint32_t> batch_users;
  std::vector<std::span<const uint32_t>> batch_histories;
  Coverage coverage;
};

// Scores `batch` (indices into split.users) with one ScoreBatch call; `on_ranked(i, top)` is
// called for each with its top-k list, history items masked.
template <typename F>
void RankBatch(const EvalSplit& split, std::span<const size_t> batch, size_t k, Worker& w,
               F&& on_ranked) {
  w.batch_users.clear();
  w.batch_histories.clear();
  for (size_t i : batch) {
    w.batch_users.push_back(split.users[i].user);
    w.batch_histories.push_back(UserHistory(split, split.users[i]));
  }
  w.ranker.Rank(w.batch_users, w.batch_histories, k,
                [&](size_t r, const std::vector<uint32_t>& top, std::span<const float>) {
                  on_ranked(batch[r], top);
                });
}

}  // namespace

double EvalResult::Get(std::string_view name) const {
  for (const NamedMetric& m : metrics) {
    if (m.name == name) return m.value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void BatchRanker::Mask(std::span<float> row, std::span<const uint32_t> history) const {
  for (uint32_t h : history) row[h] = kMasked;
  for (uint32_t i : excluded_) row[i] = kMasked;
}

void SelectTopK(std::span<const float> scores, size_t k, std::vector<Candidate>& buffer,
                std::vector<uint32_t>& out) {
  buffer.clear();
  out.clear();
  if (k == 0) return;
  const size_t cap = std::max<size_t>(4 * k, 1024);
  float threshold = kMasked;
  const auto kth = static_cast<ptrdiff_t>(k - 1);
  for (size_t i = 0; i < scores.size(); ++i) {
    const float s = scores[i];
    // Later items lose ties (higher index), so only a strictly better score can enter.
    if (!(s > threshold)) continue;
    buffer.emplace_back(s, static_cast<uint32_t>(i));
    if (buffer.size() >= cap) {
      std::nth_element(buffer.begin(), buffer.begin() + kth, buffer.end(), Better);
      buffer.resize(k);
      threshold = buffer[k - 1].first;
    }
  }
  const size_t n = std::min(k, buffer.size());
  std::partial_sort(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(n), buffer.end(),
                    Better);
  out.resize(n);
  for (size_t r = 0; r < n; ++r) out[r] = buffer[r].second;
}

std::vector<uint32_t> RankForUser(const EvalSplit& split, const Scorer& scorer,
                                  const HeldOutUser& user, size_t k) {
  std::vector<float> scores(split.train.num_items());
  std::span<const uint32_t> history = UserHistory(split, user);
  scorer.Score(user.user, history, scores);
  for (uint32_t h : history) scores[h] = kMasked;
  std::vector<Candidate> buffer;
  std::vector<uint32_t> top;
  SelectTopK(scores, k, buffer, top);
  return top;
}

Result<EvalResult> Evaluate(const EvalSplit& split, const Scorer& scorer,
                            const EvalOptions& options) {
  RECO_ASSIGN_OR_RETURN(std::vector<size_t> ks, NormalizeKs(options.ks));
  auto start = std::chrono::steady_clock::now();
  const MetricContext context = MakeContext(split.train, std::move(ks));
  const size_t num_items = split.train.num_items();
  const size_t max_k = context.max_k();
  const size_t num_users = split.users.size();
  const size_t num_chunks = (num_users + kChunkUsers - 1) / kChunkUsers;
  std::vector<MetricSums> chunk_sums(num_chunks, MetricSums(context.ks.size()));
  const int threads = ThreadCount(options.num_threads, num_chunks);
  std::vector<Worker> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) workers.emplace_back(scorer, num_items);
  std::atomic<size_t> next{0};
  Progress progress("eval", num_users, "users", options.show_progress);
  auto work = [&](Worker& w) {
    for (;;) {
      const size_t chunk = next.fetch_add(1);
      if (chunk >= num_chunks) break;
      const size_t end = std::min(num_users, (chunk + 1) * kChunkUsers);
      std::vector<size_t> batch;
      auto flush = [&] {
        RankBatch(split, batch, max_k, w, [&](size_t i, const std::vector<uint32_t>& top) {
          chunk_sums[chunk].AddUser(context, top, split.users[i].test);
          w.coverage.Add(top);
        });
        batch.clear();
      };
      for (size_t i = chunk * kChunkUsers; i < end; ++i) {
        const HeldOutUser& user = split.users[i];
        if (user.test.empty()) {
          chunk_sums[chunk].AddUser(context, {}, user.test);
          continue;
        }
        batch.push_back(i);
        if (batch.size() == BatchRanker::kBatchUsers) flush();
      }
      if (!batch.empty()) flush();
      progress.Add(end - chunk * kChunkUsers);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(work, std::ref(workers[static_cast<size_t>(t)]));
  work(workers[0]);
  for (std::thread& t : pool) t.join();
  if (options.show_progress) progress.Finish();

  MetricSums total(context.ks.size());
  for (const MetricSums& s : chunk_sums) total.Merge(s);
  for (size_t t = 1; t < workers.size(); ++t) workers[0].coverage.Merge(workers[t].coverage);
  EvalResult result;
  result.ks = context.ks;
  result.metrics = SummarizeMetrics(context, total, workers[0].coverage);
  result.users_evaluated = total.users_evaluated();
  result.users_skipped = total.users_skipped();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace reco::eval
