#include "experiment/assignment.h"

#include <algorithm>
#include <utility>

#include "core/stable_hash.h"
#include "experiment/experiment.h"

namespace reco::experiment {
namespace {

// [begin, end) bucket ranges of the running experiments of `layer` other than `skip_id`, sorted.
std::vector<std::pair<int, int>> TakenRanges(std::span<const ExperimentRecord> experiments,
                                             std::string_view layer, std::string_view skip_id) {
  std::vector<std::pair<int, int>> taken;
  for (const ExperimentRecord& other : experiments) {
    if (other.status != kRunning || other.layer != layer || other.id == skip_id) continue;
    taken.emplace_back(other.bucket_offset, other.bucket_offset + TrafficBuckets(other.traffic));
  }
  std::sort(taken.begin(), taken.end());
  return taken;
}

bool Overlaps(const std::vector<std::pair<int, int>>& taken, int begin, int end) {
  for (const auto& [b, e] : taken) {
    if (begin < e && b < end) return true;
  }
  return false;
}

}  // namespace

uint64_t Hash64(std::string_view salt, std::string_view key) {
  uint64_t h = Fnv1a64Append(kFnv1a64Offset, salt);
  h = Fnv1a64Append(h, std::string_view("\x1f", 1));
  return Fmix64(Fnv1a64Append(h, key));
}

int Bucket(std::string_view salt, std::string_view key) {
  return static_cast<int>(Hash64(salt, key) % static_cast<uint64_t>(kBuckets));
}

std::string LayerSalt(std::string_view layer) { return "layer:" + std::string(layer); }
std::string VariantSalt(std::string_view experiment_id) {
  return "experiment:" + std::string(experiment_id);
}

size_t VariantIndex(const ExperimentRecord& e, std::string_view user_id) {
  double total = 0;
  for (const auto& v : e.variants) total += v.weight;
  if (e.variants.empty() || total <= 0) return 0;
  // A uniform point in [0, total) from the hash's top 53 bits.
  const double u =
      static_cast<double>(Hash64(VariantSalt(e.id), user_id) >> 11) / 9007199254740992.0;
  const double point = u * total;
  double cumulative = 0;
  for (size_t i = 0; i < e.variants.size(); ++i) {
    cumulative += e.variants[i].weight;
    if (point < cumulative) return i;
  }
  return e.variants.size() - 1;
}

std::vector<Assignment> Assign(std::span<const ExperimentRecord> experiments,
                               std::string_view user_id) {
  std::vector<Assignment> out;
  for (const ExperimentRecord& e : experiments) {
    if (e.status != kRunning || e.variants.empty()) continue;
    const int bucket = Bucket(LayerSalt(e.layer), user_id);
    if (bucket < e.bucket_offset || bucket >= e.bucket_offset + TrafficBuckets(e.traffic)) continue;
    const ExperimentVariantRecord& v = e.variants[VariantIndex(e, user_id)];
    out.push_back({e.id, e.layer, v.name, v.target_kind, v.target});
  }
  std::sort(out.begin(), out.end(),
            [](const Assignment& a, const Assignment& b) { return a.layer < b.layer; });
  return out;
}

Result<int> PlaceInLayer(std::span<const ExperimentRecord> experiments, const ExperimentRecord& e,
                         bool keep_offset) {
  const auto taken = TakenRanges(experiments, e.layer, e.id);
  const int size = TrafficBuckets(e.traffic);
  auto no_room = [&](const std::string& why) {
    return Status(StatusCode::kFailedPrecondition,
                  "traffic: layer \"" + e.layer + "\" " + why + " (" + std::to_string(size) +
                      " of " + std::to_string(kBuckets) + " buckets asked)",
                  "traffic");
  };
  if (keep_offset) {
    if (e.bucket_offset + size > kBuckets ||
        Overlaps(taken, e.bucket_offset, e.bucket_offset + size)) {
      return no_room("has no room to grow this experiment's range from bucket " +
                     std::to_string(e.bucket_offset));
    }
    return e.bucket_offset;
  }
  // Candidates: the layer's start and the end of every taken range.
  std::vector<int> starts = {0};
  for (const auto& [b, end] : taken) starts.push_back(end);
  for (int start : starts) {
    if (start + size <= kBuckets && !Overlaps(taken, start, start + size)) return start;
  }
  return no_room("has no free range that large among its running experiments");
}

}  // namespace reco::experiment
