#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

namespace reco::eval {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kRecall:
      return "recall";
    case Metric::kRecallMinNorm:
      return "recall_minnorm";
    case Metric::kNdcg:
      return "ndcg";
    case Metric::kPrecision:
      return "precision";
    case Metric::kHitRate:
      return "hitrate";
    case Metric::kMrr:
      return "mrr";
    case Metric::kMap:
      return "map";
  }
  return "unknown";
}

UserMetricValues ComputeUserMetrics(std::span<const uint32_t> ranked,
                                    std::span<const uint32_t> relevant, size_t k) {
  UserMetricValues v{};
  if (relevant.empty() || k == 0) return v;
  const size_t n = std::min(k, ranked.size());
  size_t hits = 0;
  double dcg = 0;
  double ap_sum = 0;
  double rr = 0;
  for (size_t r = 0; r < n; ++r) {
    if (!std::binary_search(relevant.begin(), relevant.end(), ranked[r])) continue;
    ++hits;
    dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    ap_sum += static_cast<double>(hits) / static_cast<double>(r + 1);
    if (hits == 1) rr = 1.0 / static_cast<double>(r + 1);
  }
  const size_t ideal = std::min(k, relevant.size());
  double idcg = 0;
  for (size_t r = 0; r < ideal; ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  const double h = static_cast<double>(hits);
  v[static_cast<size_t>(Metric::kRecall)] = h / static_cast<double>(relevant.size());
  v[static_cast<size_t>(Metric::kRecallMinNorm)] = h / static_cast<double>(ideal);
  v[static_cast<size_t>(Metric::kNdcg)] = dcg / idcg;
  v[static_cast<size_t>(Metric::kPrecision)] = h / static_cast<double>(k);
  v[static_cast<size_t>(Metric::kHitRate)] = hits > 0 ? 1.0 : 0.0;
  v[static_cast<size_t>(Metric::kMrr)] = rr;
  v[static_cast<size_t>(Metric::kMap)] = ap_sum / static_cast<double>(ideal);
  return v;
}

std::vector<double> ItemNovelty(std::span<const uint32_t> item_counts, size_t num_users) {
  std::vector<double> novelty(item_counts.size());
  const double users = static_cast<double>(std::max<size_t>(num_users, 1));
  for (size_t i = 0; i < item_counts.size(); ++i) {
    const double count = static_cast<double>(std::max<uint32_t>(item_counts[i], 1));
    novelty[i] = -std::log2(std::min(count / users, 1.0));
  }
  return novelty;
}

MetricSums::MetricSums(size_t num_ks)
    : num_ks_(num_ks),
      sums_(kNumUserMetrics * num_ks, 0.0),
      novelty_sums_(num_ks, 0.0),
      novelty_counts_(num_ks, 0) {}

void MetricSums::AddUser(const MetricContext& context, std::span<const uint32_t> ranked,
                         std::span<const uint32_t> relevant) {
  if (relevant.empty()) {
    ++users_skipped_;
    return;
  }
  ++users_evaluated_;
  for (size_t ki = 0; ki < num_ks_; ++ki) {
    const size_t k = context.ks[ki];
    UserMetricValues v = ComputeUserMetrics(ranked, relevant, k);
    for (size_t m = 0; m < kNumUserMetrics; ++m) sums_[m * num_ks_ + ki] += v[m];
    const size_t n = std::min(k, ranked.size());
    for (size_t r = 0; r < n; ++r) novelty_sums_[ki] += context.item_novelty[ranked[r]];
    novelty_counts_[ki] += static_cast<int64_t>(n);
  }
}

void MetricSums::Merge(const MetricSums& other) {
  for (size_t i = 0; i < sums_.size(); ++i) sums_[i] += other.sums_[i];
  for (size_t i = 0; i < num_ks_; ++i) {
    novelty_sums_[i] += other.novelty_sums_[i];
    novelty_counts_[i] += other.novelty_counts_[i];
  }
  users_evaluated_ += other.users_evaluated_;
  users_skipped_ += other.users_skipped_;
}

double MetricSums::Sum(Metric m, size_t k_index) const {
  return sums_[static_cast<size_t>(m) * num_ks_ + k_index];
}

double MetricSums::MeanNovelty(size_t k_index) const {
  if (novelty_counts_[k_index] == 0) return 0.0;
  return novelty_sums_[k_index] / static_cast<double>(novelty_counts_[k_index]);
}

void Coverage::Add(std::span<const uint32_t> ranked) {
  for (size_t r = 0; r < ranked.size(); ++r) {
    uint32_t& best = best_rank_[ranked[r]];
    best = std::min(best, static_cast<uint32_t>(r));
  }
}

void Coverage::Merge(const Coverage& other) {
  for (size_t i = 0; i < best_rank_.size(); ++i) {
    best_rank_[i] = std::min(best_rank_[i], other.best_rank_[i]);
  }
}

double Coverage::At(size_t k) const {
  if (best_rank_.empty()) return 0.0;
  size_t covered = 0;
  for (uint32_t rank : best_rank_) covered += rank < k ? 1 : 0;
  return static_cast<double>(covered) / static_cast<double>(best_rank_.size());
}

std::vector<std::string> MetricRowNames() {
  std::vector<std::string> rows;
  for (size_t m = 0; m < kNumUserMetrics; ++m) {
    rows.emplace_back(MetricName(static_cast<Metric>(m)));
  }
  rows.emplace_back("coverage");
  rows.emplace_back("novelty");
  return rows;
}

std::vector<NamedMetric> SummarizeMetrics(const MetricContext& context, const MetricSums& sums,
                                          const Coverage& coverage) {
  std::vector<NamedMetric> out;
  const double users = static_cast<double>(std::max<int64_t>(sums.users_evaluated(), 1));
  const std::vector<std::string> rows = MetricRowNames();
  for (size_t row = 0; row < rows.size(); ++row) {
    for (size_t ki = 0; ki < context.ks.size(); ++ki) {
      double value = 0;
      if (row < kNumUserMetrics) {
        value = sums.Sum(static_cast<Metric>(row), ki) / users;
      } else if (rows[row] == "coverage") {
        value = coverage.At(context.ks[ki]);
      } else {
        value = sums.MeanNovelty(ki);
      }
      out.push_back({rows[row] + "@" + std::to_string(context.ks[ki]), value});
    }
  }
  return out;
}

}  // namespace reco::eval
