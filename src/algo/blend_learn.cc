// LearnBlendWeights: candidate sets per validation user, then coordinate search on the simplex.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "algo/algorithm_options.h"
#include "algo/blend.h"
#include "core/threads.h"
#include "eval/evaluator.h"
#include "eval/split_util.h"

namespace reco::algo {

using eval::ComputeUserMetrics;
using eval::EvalSplit;
using eval::HeldOutUser;
using eval::kNumUserMetrics;
using eval::Metric;
using eval::MetricName;
using eval::SelectTopK;
using eval::UserHistory;

namespace {

constexpr size_t kBatch = 32;

// One validation user: the union of the components' top items and every component's normalised
// score for each of them (row-major, items x components).
struct UserCandidates {
  std::vector<uint32_t> items;
  std::vector<float> scores;
  std::span<const uint32_t> test;
};

void CollectBatch(const EvalSplit& split, std::span<const Scorer* const> components,
                  const BlendLearnOptions& options, std::span<const size_t> batch,
                  std::vector<std::vector<float>>& rows, std::vector<UserCandidates>& out) {
  const size_t n = split.train.num_items();
  const size_t num_c = components.size();
  std::vector<uint32_t> users;
  std::vector<std::span<const uint32_t>> histories;
  for (size_t i : batch) {
    users.push_back(split.users[i].user);
    histories.push_back(UserHistory(split, split.users[i]));
  }
  for (size_t c = 0; c < num_c; ++c) {
    rows[c].resize(batch.size() * n);
    components[c]->ScoreBatch(users, histories, rows[c]);
  }
  std::vector<std::pair<float, uint32_t>> buffer;
  std::vector<uint32_t> top;
  for (size_t r = 0; r < batch.size(); ++r) {
    UserCandidates& u = out[batch[r]];
    u.test = split.users[batch[r]].test;
    for (size_t c = 0; c < num_c; ++c) {
      std::span<float> row(rows[c].data() + r * n, n);
      NormalizeRow(options.normalize, histories[r], row);
      for (uint32_t h : histories[r]) row[h] = -std::numeric_limits<float>::infinity();
      SelectTopK(row, options.candidates, buffer, top);
      u.items.insert(u.items.end(), top.begin(), top.end());
    }
    std::sort(u.items.begin(), u.items.end());
    u.items.erase(std::unique(u.items.begin(), u.items.end()), u.items.end());
    u.scores.resize(u.items.size() * num_c);
    for (size_t j = 0; j < u.items.size(); ++j) {
      for (size_t c = 0; c < num_c; ++c) {
        const float v = rows[c][r * n + u.items[j]];
        u.scores[j * num_c + c] = std::isfinite(v) ? v : 0.0f;
      }
    }
  }
}

std::vector<UserCandidates> CollectCandidates(const EvalSplit& split,
                                              std::span<const Scorer* const> components,
                                              const BlendLearnOptions& options) {
  std::vector<size_t> evaluated;
  for (size_t i = 0; i < split.users.size(); ++i) {
    if (!split.users[i].test.empty()) evaluated.push_back(i);
  }
  std::vector<UserCandidates> all(split.users.size());
  const size_t num_batches = (evaluated.size() + kBatch - 1) / kBatch;
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::vector<std::vector<float>> rows(components.size());
    for (size_t b = next.fetch_add(1); b < num_batches; b = next.fetch_add(1)) {
      const size_t end = std::min(evaluated.size(), (b + 1) * kBatch);
      CollectBatch(split, components, options,
                   std::span<const size_t>(evaluated).subspan(b * kBatch, end - b * kBatch), rows,
                   all);
    }
  };
  const int threads = ThreadCount(options.num_threads, num_batches);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  std::vector<UserCandidates> kept;
  for (size_t i : evaluated) kept.push_back(std::move(all[i]));
  return kept;
}

// Sum of the metric of the blend with `weights` over users [begin, end).
double BlendSum(const std::vector<UserCandidates>& users, size_t begin, size_t end,
                const std::vector<double>& weights, const BlendLearnOptions& options) {
  const size_t num_c = weights.size();
  std::vector<std::pair<float, uint32_t>> scored;
  std::vector<uint32_t> ranked;
  double sum = 0;
  for (size_t i = begin; i < end; ++i) {
    const UserCandidates& u = users[i];
    scored.resize(u.items.size());
    for (size_t j = 0; j < u.items.size(); ++j) {
      double s = 0;
      for (size_t c = 0; c < num_c; ++c) s += weights[c] * u.scores[j * num_c + c];
      scored[j] = {static_cast<float>(s), u.items[j]};
    }
    const size_t k = std::min(options.k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<ptrdiff_t>(k), scored.end(),
                      [](const auto& a, const auto& b) {
                        return a.first > b.first || (a.first == b.first && a.second < b.second);
                      });
    ranked.clear();
    for (size_t r = 0; r < k; ++r) ranked.push_back(scored[r].second);
    sum += ComputeUserMetrics(ranked, u.test, options.k)[static_cast<size_t>(options.metric)];
  }
  return sum;
}

// Mean metric of the blend with `weights` over the candidate sets. Users are summed in a fixed
// number of chunks, added in order, so the value does not depend on the thread count.
double BlendValue(const std::vector<UserCandidates>& users, const std::vector<double>& weights,
                  const BlendLearnOptions& options) {
  if (users.empty()) return 0;
  constexpr size_t kChunks = 64;
  std::vector<double> sums(kChunks, 0.0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t c = next.fetch_add(1); c < kChunks; c = next.fetch_add(1)) {
      sums[c] = BlendSum(users, c * users.size() / kChunks, (c + 1) * users.size() / kChunks,
                         weights, options);
    }
  };
  const int threads = ThreadCount(options.num_threads, users.size() >= 2048 ? kChunks : 1);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  double total = 0;
  for (double s : sums) total += s;
  return total / static_cast<double>(users.size());
}

std::vector<double> Normalized(std::vector<double> w) {
  double total = 0;
  for (double v : w) total += v;
  if (total > 0) {
    for (double& v : w) v /= total;
  }
  return w;
}

}  // namespace

Result<LearnedWeights> LearnBlendWeights(const EvalSplit& validation,
                                         std::span<const Scorer* const> components,
                                         const BlendLearnOptions& options) {
  if (components.empty()) return InvalidArgument("a blend needs at least one component");
  if (options.k == 0 || options.candidates < options.k) {
    return InvalidArgument("blend learning needs k > 0 and candidates >= k");
  }
  const std::vector<UserCandidates> users = CollectCandidates(validation, components, options);
  if (users.empty()) return InvalidArgument("no validation user has held-out items");
  const size_t num_c = components.size();
  LearnedWeights best;
  best.value = -1;
  auto consider = [&](const std::vector<double>& w) {
    ++best.evaluations;
    const double v = BlendValue(users, w, options);
    if (v > best.value + 1e-12) {
      best.value = v;
      best.weights = w;
      return true;
    }
    return false;
  };
  for (size_t c = 0; c < num_c; ++c) {
    std::vector<double> one_hot(num_c, 0.0);
    one_hot[c] = 1.0;
    consider(one_hot);
  }
  for (double step : {0.5, 0.25, 0.1, 0.05, 0.02}) {
    bool improved = true;
    while (improved && best.evaluations < options.max_evaluations) {
      improved = false;
      for (size_t c = 0; c < num_c && best.evaluations < options.max_evaluations; ++c) {
        std::vector<double> up = best.weights;
        up[c] += step;
        if (consider(Normalized(up))) improved = true;
        std::vector<double> down = best.weights;
        if (down[c] == 0) continue;
        down[c] = std::max(0.0, down[c] - step);
        if (consider(Normalized(down))) improved = true;
      }
    }
  }
  for (double& w : best.weights) w = std::round(w * 1e4) / 1e4;
  best.weights = Normalized(best.weights);
  return best;
}

}  // namespace reco::algo

namespace reco::algo {

Result<TargetMetric> ParseTargetMetric(std::string_view text) {
  const size_t at = text.find('@');
  const std::string name(text.substr(0, at));
  TargetMetric target;
  bool found = false;
  for (size_t m = 0; m < kNumUserMetrics; ++m) {
    if (MetricName(static_cast<Metric>(m)) == name) {
      target.metric = static_cast<Metric>(m);
      found = true;
    }
  }
  int k = 0;
  if (found && at != std::string_view::npos) {
    Result<int> parsed = ParseInt({"metric", std::string(text.substr(at + 1))});
    k = parsed.ok() ? *parsed : 0;
  }
  if (!found || k <= 0) {
    return InvalidArgument("metric \"" + std::string(text) +
                               "\" is not <name>@<K> with name one of recall, recall_minnorm, "
                               "ndcg, precision, hitrate, mrr, map",
                           "--metric");
  }
  target.k = static_cast<size_t>(k);
  return target;
}

void SubsampleUsers(EvalSplit& split, size_t max_users, uint64_t seed) {
  if (split.users.size() <= max_users) return;
  std::vector<size_t> order(split.users.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  eval::internal::Shuffle(order, rng);
  order.resize(max_users);
  std::sort(order.begin(), order.end());
  std::vector<HeldOutUser> kept;
  kept.reserve(max_users);
  for (size_t i : order) kept.push_back(std::move(split.users[i]));
  split.users = std::move(kept);
}

}  // namespace reco::algo
