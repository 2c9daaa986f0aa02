// The A/B experiment model: an ExperimentRecord (store/store.h) is an experiment; this file says
// which records are valid and how the status moves.
//
// draft --start--> running --stop--> stopped. A draft may be edited freely; a running experiment
// may change its name and traffic (the ramp) only, since changing its variants, layer or
// measured feedback types would mix two experiments in one result; a stopped one is read-only.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace reco::experiment {

inline constexpr std::string_view kDraft = "draft";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kStopped = "stopped";
inline constexpr std::string_view kTargetScenario = "scenario";
inline constexpr std::string_view kTargetModelVersion = "model_version";
// A layer's users fall into this many buckets; traffic is a whole number of buckets.
inline constexpr int kBuckets = 10000;
inline constexpr size_t kMaxVariants = 16;
inline constexpr size_t kMaxNameBytes = 128;

// InvalidArgument naming the first bad field ("id", "layer", "traffic", "variants[1].weight",
// "click_types[0]", ...) when `e` is not a valid experiment; its status must be one of the three.
Status Validate(const ExperimentRecord& e);

// The number of buckets `traffic` covers: round(traffic * kBuckets), at least 1.
int TrafficBuckets(double traffic);

// Ok when a running experiment may become `next` (only name, traffic and updated_at change);
// FailedPrecondition naming the field otherwise.
Status CheckRunningEdit(const ExperimentRecord& current, const ExperimentRecord& next);

}  // namespace reco::experiment
