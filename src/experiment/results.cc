#include "experiment/results.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace reco::experiment {
namespace {

double Tau(double control, const ResultsOptions& o) {
  return std::max(o.tau_floor, o.tau_relative * std::fabs(control));
}

// The comparisons a treatment gets, in TreatmentComparison's order.
constexpr MetricComparison TreatmentComparison::*kMetrics[] = {
    &TreatmentComparison::ctr, &TreatmentComparison::conversion_rate,
    &TreatmentComparison::clicked_user_rate, &TreatmentComparison::conversions_per_exposure};

// The tests of treatment `t` against variant 0 at one look, in kMetrics order.
std::array<Comparison, 4> TestLook(const std::vector<VariantCounts>& v, size_t t, double alpha) {
  const VariantSummary c = Summarize("", v[0]);
  const VariantSummary s = Summarize("", v[t]);
  return {RatioTest(CtrSums(v[0]), CtrSums(v[t]), alpha),
          TwoProportionTest(c.converted_users, c.users, s.converted_users, s.users, alpha),
          TwoProportionTest(c.clicked_users, c.users, s.clicked_users, s.users, alpha),
          RatioTest(ConversionsPerExposureSums(v[0]), ConversionsPerExposureSums(v[t]), alpha)};
}

}  // namespace

double SequentialPValueAtLook(const Comparison& c, const ResultsOptions& o) {
  if (!c.valid) return 1;
  return MixtureSprtPValue(c.difference, c.std_error * c.std_error, Tau(c.control, o));
}

VariantSummary Summarize(const std::string& name, const VariantCounts& users) {
  VariantSummary s;
  s.name = name;
  s.users = static_cast<int64_t>(users.size());
  for (const UserCounts& u : users) {
    s.exposures += u.exposures;
    s.clicks += u.clicks;
    s.conversions += u.conversions;
    if (u.conversions > 0) ++s.converted_users;
    if (u.clicks > 0) ++s.clicked_users;
  }
  s.ctr = s.exposures > 0 ? static_cast<double>(s.clicks) / static_cast<double>(s.exposures) : 0;
  const double users_d = static_cast<double>(s.users);
  const double exposures_d = static_cast<double>(s.exposures);
  s.conversion_rate = s.users > 0 ? static_cast<double>(s.converted_users) / users_d : 0;
  s.clicked_user_rate = s.users > 0 ? static_cast<double>(s.clicked_users) / users_d : 0;
  s.conversions_per_exposure =
      s.exposures > 0 ? static_cast<double>(s.conversions) / exposures_d : 0;
  return s;
}

RatioSums CtrSums(const VariantCounts& users) {
  RatioSums sums;
  for (const UserCounts& u : users) {
    sums.Add(static_cast<double>(u.clicks), static_cast<double>(u.exposures));
  }
  return sums;
}

RatioSums ConversionsPerExposureSums(const VariantCounts& users) {
  RatioSums sums;
  for (const UserCounts& u : users) {
    sums.Add(static_cast<double>(u.conversions), static_cast<double>(u.exposures));
  }
  return sums;
}

ExperimentResults ComputeResults(const ExperimentRecord& e, const std::vector<VariantCounts>& now,
                                 const std::vector<std::vector<VariantCounts>>& looks,
                                 const ResultsOptions& options) {
  ExperimentResults r;
  std::vector<int64_t> observed;
  std::vector<double> weights;
  for (size_t i = 0; i < e.variants.size(); ++i) {
    static const VariantCounts kNone;
    const VariantCounts& users = i < now.size() ? now[i] : kNone;
    r.variants.push_back(Summarize(e.variants[i].name, users));
    observed.push_back(r.variants.back().users);
    weights.push_back(e.variants[i].weight);
  }
  r.srm = SampleRatioTest(observed, weights, options.srm_threshold);
  r.looks = static_cast<int>(looks.size()) + 1;
  if (now.size() < e.variants.size()) return r;
  for (size_t t = 1; t < e.variants.size(); ++t) {
    TreatmentComparison cmp;
    cmp.variant = e.variants[t].name;
    const std::array<Comparison, 4> last = TestLook(now, t, options.alpha);
    for (size_t m = 0; m < last.size(); ++m) {
      MetricComparison& metric = cmp.*kMetrics[m];
      metric.test = last[m];
      metric.sequential_p_value = SequentialPValueAtLook(last[m], options);
    }
    for (const auto& look : looks) {
      if (look.size() < e.variants.size()) continue;
      const std::array<Comparison, 4> earlier = TestLook(look, t, options.alpha);
      for (size_t m = 0; m < earlier.size(); ++m) {
        MetricComparison& metric = cmp.*kMetrics[m];
        metric.sequential_p_value =
            std::min(metric.sequential_p_value, SequentialPValueAtLook(earlier[m], options));
      }
    }
    for (auto member : kMetrics) {
      (cmp.*member).significant = (cmp.*member).sequential_p_value < options.alpha;
    }
    r.comparisons.push_back(std::move(cmp));
  }
  return r;
}

}  // namespace reco::experiment
