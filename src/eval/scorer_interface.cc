#include "eval/scorer_interface.h"

namespace reco::eval {

void Scorer::ScoreBatch(std::span<const uint32_t> users,
                        std::span<const std::span<const uint32_t>> histories,
                        std::span<float> scores) const {
  if (users.empty()) return;
  const size_t n = scores.size() / users.size();
  for (size_t r = 0; r < users.size(); ++r) {
    Score(users[r], histories[r], scores.subspan(r * n, n));
  }
}

Status Scorer::Save(const std::filesystem::path& /*path*/, TimestampUs /*created*/) const {
  return Unimplemented("this algorithm has no model file");
}

}  // namespace reco::eval
