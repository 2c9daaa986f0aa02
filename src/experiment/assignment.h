// Sticky, hash-based assignment of users to experiments and variants.
//
// A layer's users are spread over kBuckets buckets by Bucket("layer:" + layer, user); a running
// experiment owns the bucket range [bucket_offset, bucket_offset + TrafficBuckets(traffic)) of
// its layer, and ranges of one layer never overlap, so a user is in at most one experiment per
// layer. Inside the experiment a second hash, salted with the experiment's id, picks the variant
// by the cumulative weights: a ramp (more traffic) adds users without moving anyone already in.
// Layers hash with different salts, so they are independent.
//
// The hash is FNV-1a 64 with a MurmurHash3 finaliser, written out here (never std::hash): the
// same user lands in the same bucket in every process, build and restart.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace reco::experiment {

// 64-bit hash of salt, a 0x1f separator and key.
uint64_t Hash64(std::string_view salt, std::string_view key);
// The bucket in [0, kBuckets) of `key` under `salt`.
int Bucket(std::string_view salt, std::string_view key);
std::string LayerSalt(std::string_view layer);
std::string VariantSalt(std::string_view experiment_id);

// One experiment a user is in.
struct Assignment {
  std::string experiment_id;
  std::string layer;
  std::string variant;
  std::string target_kind;  // "scenario" | "model_version"
  std::string target;
};

// The index of the variant of `e` that `user_id` gets (ignoring traffic and status).
size_t VariantIndex(const ExperimentRecord& e, std::string_view user_id);
// The user's variant of each running experiment in `experiments` whose range holds the user's
// bucket of its layer; ordered by layer. Experiments that are not running are skipped.
std::vector<Assignment> Assign(std::span<const ExperimentRecord> experiments,
                               std::string_view user_id);

// The first bucket where `e` (with its traffic) fits among the ranges of the other running
// experiments of its layer in `experiments` (e itself is skipped by id); FailedPrecondition
// naming "traffic" when the layer has no free range that large. `keep_offset`: the range must
// start at e.bucket_offset (a ramp of a running experiment).
Result<int> PlaceInLayer(std::span<const ExperimentRecord> experiments, const ExperimentRecord& e,
                         bool keep_offset);

}  // namespace reco::experiment
