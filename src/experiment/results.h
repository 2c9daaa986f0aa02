// Results of an experiment from per-user counts per variant: each variant's users, exposures,
// clicks, CTR, conversions and conversion rate; each treatment against the control (the first
// variant): difference, confidence interval, p-value and always-valid sequential p-value, for CTR
// per exposure (delta method, the user is the unit of assignment) and conversion rate per user
// (two-proportion z-test); and the sample-ratio check of users per variant.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiment/stats.h"
#include "store/store.h"

namespace reco::experiment {

// What one user of a variant did.
struct UserCounts {
  int64_t exposures = 0;    // recommendation lists served to the user
  int64_t clicks = 0;       // of them, lists with a click on one of their items
  int64_t conversions = 0;  // conversion feedback after the user's first exposure
};

// The users of one variant at one moment.
using VariantCounts = std::vector<UserCounts>;

struct ResultsOptions {
  double alpha = 0.05;  // two-sided level of the intervals (1 - alpha) and of `significant`
  // Sample-ratio mismatch is flagged below this p-value: strict, because a mismatch says the
  // assignment or the logging is broken, not that a variant differs.
  double srm_threshold = 0.001;
  // The sequential test's mixture: tau = tau_relative * the control's value, i.e. it expects
  // relative effects of about ±tau_relative (0.1 = 10 %); floor for a control of 0.
  double tau_relative = 0.1;
  double tau_floor = 1e-4;
};

struct VariantSummary {
  std::string name;
  int64_t users = 0;
  int64_t exposures = 0;
  int64_t clicks = 0;
  double ctr = 0;  // clicks / exposures
  int64_t conversions = 0;
  int64_t converted_users = 0;
  double conversion_rate = 0;  // converted users / users
  int64_t clicked_users = 0;
  double clicked_user_rate = 0;         // users with a clicked list / users
  double conversions_per_exposure = 0;  // conversions / exposures
};

// One metric of one treatment against the control.
struct MetricComparison {
  Comparison test;
  double sequential_p_value = 1;  // running minimum over the looks (see ComputeResults)
  bool significant = false;       // sequential_p_value < alpha: safe to act on at any look
};

struct TreatmentComparison {
  std::string variant;
  MetricComparison ctr;                       // clicks per exposure, delta method
  MetricComparison conversion_rate;           // converted users per user, z-test
  MetricComparison clicked_user_rate;         // users who clicked per user, z-test
  MetricComparison conversions_per_exposure;  // conversions per exposure, delta method
};

struct ExperimentResults {
  std::vector<VariantSummary> variants;
  std::vector<TreatmentComparison> comparisons;  // one per treatment (variants 1..k-1)
  SampleRatio srm;
  int looks = 0;  // the looks the sequential p-values ran over
};

// The mixture SPRT's p-value of one look at comparison `c` (1 when it is not valid), with
// tau = max(tau_floor, tau_relative * |c.control|).
double SequentialPValueAtLook(const Comparison& c, const ResultsOptions& options);

VariantSummary Summarize(const std::string& name, const VariantCounts& users);
RatioSums CtrSums(const VariantCounts& users);
RatioSums ConversionsPerExposureSums(const VariantCounts& users);

// `now`: per variant (in the experiment's order) its users up to now. `looks`: the same at
// earlier moments (e.g. the end of each day since the start), oldest first; the sequential
// p-value is the minimum of the mixture SPRT's p-value over `looks` and `now`.
ExperimentResults ComputeResults(const ExperimentRecord& e, const std::vector<VariantCounts>& now,
                                 const std::vector<std::vector<VariantCounts>>& looks,
                                 const ResultsOptions& options);

}  // namespace reco::experiment
