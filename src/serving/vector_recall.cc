#include "serving/vector_recall.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "content/vectors.h"

namespace reco {

VectorRecallOptions VectorRecallOptionsFrom(const ContentConfig& config) {
  VectorRecallOptions o;
  o.history = config.user_recall_history;
  o.share = config.user_recall_share;
  return o;
}

VectorRecall::VectorRecall(const ContentIndexes& content, VectorRecallOptions options)
    : content_(content), options_(options) {}

size_t VectorRecall::PlainQuota(size_t want) const {
  if (options_.share <= 0) return 0;
  const double quota = std::round(options_.share * static_cast<double>(want));
  return std::min(want, static_cast<size_t>(std::max(quota, 1.0)));
}

VectorRecallResult VectorRecall::Recall(std::span<const uint32_t> history, size_t k,
                                        const std::function<bool(uint32_t)>& accept) const {
  VectorRecallResult result;
  if (k == 0 || history.empty()) return result;
  // One profile per kind, from the newest history items back.
  constexpr std::array<std::string_view, 2> kKinds = {content::kKindSupplied, content::kKindText};
  std::array<std::vector<float>, 2> profiles;
  size_t used = 0;
  double weight = 1.0;
  const size_t limit = static_cast<size_t>(std::max(options_.history, 1));
  for (size_t i = history.size(); i-- > 0 && used < limit;) {
    const uint32_t item = history[i];
    for (size_t kind = 0; kind < kKinds.size(); ++kind) {
      std::optional<std::vector<float>> vector = content_.Vector(kKinds[kind], item);
      if (!vector) continue;
      std::vector<float>& profile = profiles[kind];
      if (profile.empty()) profile.assign(vector->size(), 0.0f);
      if (profile.size() != vector->size()) break;  // the supplied set changed dimension
      for (size_t d = 0; d < vector->size(); ++d) {
        profile[d] += static_cast<float>(weight) * (*vector)[d];
      }
      break;  // the item's best kind only
    }
    ++used;
    weight *= options_.recency_decay;
  }
  std::vector<uint32_t> own(history.begin(), history.end());
  std::sort(own.begin(), own.end());
  auto take = [&](uint32_t item) {
    return !std::binary_search(own.begin(), own.end(), item) && (!accept || accept(item));
  };
  std::unordered_map<uint32_t, float> best;
  bool searched = false;
  for (size_t kind = 0; kind < kKinds.size(); ++kind) {
    std::vector<float>& profile = profiles[kind];
    if (profile.empty() || !content::NormalizeInPlace(profile)) continue;
    searched = true;
    for (const ScoredIndex& hit : content_.Search(kKinds[kind], profile, k, take)) {
      auto [it, inserted] = best.try_emplace(hit.item, hit.score);
      if (!inserted) it->second = std::max(it->second, hit.score);
    }
  }
  result.no_vectors = !searched;
  result.items.reserve(best.size());
  for (const auto& [item, score] : best) result.items.push_back({item, score});
  std::sort(result.items.begin(), result.items.end(),
            [](const ScoredIndex& a, const ScoredIndex& b) {
              return a.score != b.score ? a.score > b.score : a.item < b.item;
            });
  if (result.items.size() > k) result.items.resize(k);
  return result;
}

}  // namespace reco
