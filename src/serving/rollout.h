// Safe rollout of model versions in `reco serve`: the canary is served to a stable hash
// fraction of users, the shadow scores a fraction of requests and is only logged; every served
// list goes to the ExposureLog and to an in-memory click join (positive feedback on an item a
// version showed the user counts a click for that version); guardrails withdraw a canary whose
// error rate or CTR is worse than allowed once it has enough exposures.
//
// Thread-safety: HashFraction/JudgeCanary are pure. ClickJoiner and Rollout are safe from any
// number of request threads. Lifetime: Rollout borrows the ModelManager, Recommender,
// OnlineState, ExposureLog (may be null), MetricsRegistry and Clock, which must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/time.h"
#include "ops/metrics.h"
#include "serving/exposure_log.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/recommender.h"
#include "store/types.h"

namespace reco {

// Position of `key` in [0, 1): FNV-1a 64 of its bytes mixed by MurmurHash3's fmix64, top 53
// bits / 2^53. The same on every
// process, machine and version, so a user stays in or out of a canary across requests.
double HashFraction(std::string_view key);
// The 64-bit hash behind HashFraction (also used for item ids in ClickJoiner).
uint64_t HashId(std::string_view key);
// True when HashFraction(key) < fraction.
inline bool InRollout(std::string_view key, double fraction) {
  return fraction > 0 && HashFraction(key) < fraction;
}

struct VariantCounts {
  int64_t requests = 0;   // lists asked of the version
  int64_t errors = 0;     // of those, answers that failed (see Rollout::Recommend)
  int64_t exposures = 0;  // non-empty lists logged
  int64_t clicks = 0;     // exposures with an item the user then gave positive feedback
  double error_rate() const { return requests > 0 ? double(errors) / double(requests) : 0; }
  double ctr() const { return exposures > 0 ? double(clicks) / double(exposures) : 0; }
};

struct GuardrailOptions {
  int64_t min_exposures = 1000;  // no decision before the canary has this many requests/exposures
  double max_error_rate = 0.05;  // withdrawn when errors / requests is above
  double min_ctr_ratio = 0.8;    // withdrawn when its CTR is below this share of the primary's
};

// The reasons of GuardrailDecision, each a canary_rollbacks_total series from the start (so that
// increase() sees the first rollback).
inline constexpr std::string_view kRollbackErrorRate = "error_rate";
inline constexpr std::string_view kRollbackCtr = "ctr";

struct GuardrailDecision {
  bool withdraw = false;
  std::string reason;  // "error_rate" or "ctr" (the canary_rollbacks_total label)
  std::string detail;  // the numbers, for the log
};

// The error rate is judged once the canary has min_exposures requests, the CTR once it has
// min_exposures exposures (and only against a primary with exposures).
GuardrailDecision JudgeCanary(const VariantCounts& canary, const VariantCounts& primary,
                              const GuardrailOptions& options);

// Recent exposures per user (bounded), joined with positive feedback. Items are kept as 64-bit
// hashes and versions as indices into a small table: about 8 bytes per exposed item.
class ClickJoiner {
 public:
  struct Credit {
    std::string model_version;
    ServingVariant variant;
    bool operator==(const Credit&) const = default;
  };
  ClickJoiner(size_t exposures_per_user = 10, size_t max_users = 20000);

  void Add(std::string_view user_id, std::string_view model_version, ServingVariant variant,
           std::span<const std::string_view> items);
  void Add(std::string_view user_id, std::string_view model_version, ServingVariant variant,
           std::initializer_list<std::string_view> items) {
    Add(user_id, model_version, variant, std::span<const std::string_view>(items));
  }
  // The versions credited with a click: for each (version, variant), the newest exposure to
  // the user that holds the item and was not clicked yet (each exposure counts one click).
  std::vector<Credit> Click(std::string_view user_id, std::string_view item_id);

 private:
  struct Entry {
    uint32_t source = 0;  // index into sources_
    bool clicked = false;
    std::vector<uint64_t> items;  // HashId of the item ids
  };
  // A user's newest exposures in a ring; a slot (and its items' capacity) is reused when the
  // ring is full, and the whole record is handed to a new user when this one is forgotten.
  struct UserExposures {
    std::vector<Entry> ring;  // at most per_user_ slots
    size_t count = 0;         // slots in use
    size_t next = 0;          // slot of the next exposure
  };
  uint32_t SourceIndex(std::string_view model_version, ServingVariant variant);  // under mu_
  UserExposures& UserRecord(std::string_view user_id);                           // under mu_

  std::vector<Credit> sources_;
  size_t per_user_;
  size_t max_users_;
  std::mutex mu_;
  std::unordered_map<std::string, UserExposures, StringHash, std::equal_to<>> by_user_;
  std::deque<std::string> user_order_;  // first-seen order, for eviction
};

class Realtime;     // serving/realtime.h
class NamedCounts;  // serving/window_counters.h

struct RolloutOptions {
  GuardrailOptions guardrails;
  // Counts every list served (not the shadow's) in the real-time windows; null: none.
  Realtime* realtime = nullptr;
  // The guardrails' counts shared by the replicas (cache.url set): every replica adds its
  // judged requests, errors, exposures and clicks, and judges the canary on the sums. Null: this
  // process's own counts.
  NamedCounts* shared_counts = nullptr;
  size_t exposures_per_user = 10;  // remembered for the click join
  size_t max_users = 20000;        // the users first seen longest ago are forgotten
};

class Rollout {
 public:
  Rollout(ModelManager& models, const Recommender& primary, const OnlineState& state,
          RecommenderOptions recommender_options, ExposureLog* log, MetricsRegistry& metrics,
          const Clock& clock, RolloutOptions options = {});
  ~Rollout();

  struct Served {
    RecommendResult result;
    ServingVariant variant = ServingVariant::kPrimary;
    std::shared_ptr<const ModelBundle> bundle;  // the version that answered; keeps the view valid
    std::string_view model_version;             // "" when no model is loaded
  };
  // What an A/B experiment asks of one request (service/recommend_service.h): the model version
  // its variant serves (null: none) and the experiments named in the exposure line.
  struct Experiments {
    std::shared_ptr<const ModelBundle> version;
    std::span<const ExposureExperimentRef> names;  // empty: the user is in none
  };
  // GET /api/recommend: the canary answers users in its hash fraction, the primary the others
  // (and canary users when the canary's answer fails: an exception, or an empty list for want
  // of any model, counted as a canary error). When the request id falls in the shadow's
  // fraction the shadow scores it too and its list is logged as variant "shadow".
  // `primary` is the request's snapshot of the primary bundle (null when none is loaded): the
  // primary's list is computed and logged with it, never with a bundle read again later.
  // With `experiments.version`, that version answers as variant "experiment" instead of the
  // canary/primary split (the primary when its answer fails, as for a canary); the served line
  // names `experiments.names` (the shadow's line never does: it was not served).
  Served Recommend(std::shared_ptr<const ModelBundle> primary, std::string_view request_id,
                   std::string_view user_id, std::string_view category, int n, int offset,
                   const Experiments& experiments = {});
  // The list `user_id` would be served now — the canary's for users in its fraction, else the
  // primary's — neither logged nor counted anywhere: the operators' preview.
  Served Preview(std::shared_ptr<const ModelBundle> primary, std::string_view user_id,
                 std::string_view category, int n) const;
  // Logs a list of a route the primary answers alone (popular, latest, scenarios) under the
  // version of `bundle`, the snapshot that produced it (null: no models loaded); `variant` is
  // kExperiment when an experiment's model version produced it, `experiments` the experiments
  // the line names.
  void RecordServed(const ModelBundle* bundle, std::string_view request_id,
                    std::string_view user_id, std::string_view scenario,
                    const RecommendResult& result,
                    ServingVariant variant = ServingVariant::kPrimary,
                    std::span<const ExposureExperimentRef> experiments = {});
  // Joins accepted feedback with recent exposures (positive kinds only), then applies the
  // guardrails.
  void OnFeedback(std::span<const Feedback> rows);

  // The guardrails' counts (GET /api/recommend lists and the clicks on them).
  VariantCounts Counts(std::string_view model_version, ServingVariant variant) const;
  // Sets reco_model_version_info{run_id,variant} to 1 for the versions now serving and to 0
  // for those that stopped (call before rendering /metrics).
  void SyncVersionInfo();

 private:
  using Key = std::pair<std::string, ServingVariant>;
  Served Answer(ServingVariant variant, std::shared_ptr<const ModelBundle> bundle,
                std::string_view user_id, std::string_view category, int n, int offset);
  // `judged`: the list counts towards the guardrails' VariantCounts (GET /api/recommend only;
  // lists without a user, e.g. popular, cannot be clicked and would dilute the CTR).
  void Expose(std::string_view request_id, std::string_view user_id, std::string_view scenario,
              std::string_view model_version, ServingVariant variant, const RecommendResult& result,
              bool judged, std::span<const ExposureExperimentRef> experiments = {});
  void Expose(std::string_view request_id, std::string_view user_id, std::string_view scenario,
              const Served& served, bool judged,
              std::span<const ExposureExperimentRef> experiments = {}) {
    Expose(request_id, user_id, scenario, served.model_version, served.variant, served.result,
           judged, experiments);
  }
  // Counts and metric series of one (version, variant), created on first use and never
  // removed (the request path caches pointers to them).
  struct Series {
    std::atomic<int64_t> requests{0}, errors{0}, exposures{0}, clicks{0};  // judged lists only
    Counter* served = nullptr;
    Counter* exposures_total = nullptr;
    Counter* clicks_total = nullptr;
    Counter* errors_total = nullptr;
    Counter* degraded_total = nullptr;  // answers with at least one degraded reason
    std::string shared_prefix;          // "{variant}:{version}:", its fields in shared_counts
    VariantCounts Load() const;
  };
  // The series of (version, variant): a per-thread cache in front of series_ (mu_).
  Series& SeriesFor(std::string_view model_version, ServingVariant variant);
  void Count(Series& s, int64_t requests, int64_t errors, int64_t exposures, int64_t clicks,
             bool judged = true);
  void ApplyGuardrails();
  // The guardrails' counts of (version, variant): the shared ones when configured. Under mu_
  // (it reads series_).
  VariantCounts JudgedCounts(std::string_view model_version, ServingVariant variant) const;

  ModelManager& models_;
  const Recommender& primary_;
  const OnlineState& state_;
  std::unique_ptr<Recommender> canary_;
  std::unique_ptr<Recommender> shadow_;
  ExposureLog* log_;
  const Clock& clock_;
  RolloutOptions options_;
  CounterFamily* served_total_;
  CounterFamily* exposures_total_;
  CounterFamily* clicks_total_;
  CounterFamily* errors_total_;
  CounterFamily* degraded_total_;
  CounterFamily* rollbacks_total_;
  Counter* log_dropped_;
  GaugeFamily* version_info_;
  ClickJoiner joiner_;
  const uint64_t instance_;  // distinguishes Rollouts in the per-thread series cache
  mutable std::mutex mu_;
  // Orders Keys and (string_view, variant) pairs alike, for lookups without a copy.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, ServingVariant>(a.first, a.second) <
             std::pair<std::string_view, ServingVariant>(b.first, b.second);
    }
  };
  std::map<Key, Series, KeyLess> series_;
  std::map<std::pair<std::string, std::string>, bool> info_series_;  // (run_id, variant) -> on
  std::string withdrawn_;  // run of the canary last withdrawn (mu_)
};

}  // namespace reco
