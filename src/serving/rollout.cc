#include "serving/rollout.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <set>

#include "core/stable_hash.h"
#include "serving/realtime.h"

namespace reco {
namespace {

bool MissingModels(const RecommendResult& result) {
  if (!result.items.empty()) return false;
  return std::any_of(result.degraded.begin(), result.degraded.end(),
                     [](const std::string& r) { return r.ends_with("_model_missing"); });
}

// The fields of (version, variant) in RolloutOptions::shared_counts start with it.
std::string SharedPrefix(std::string_view model_version, ServingVariant variant) {
  std::string prefix(VariantName(variant));
  prefix.push_back(':');
  prefix.append(model_version);
  prefix.push_back(':');
  return prefix;
}

// Views of the result's item ids, in a per-thread vector (no allocation once warm).
std::span<const std::string_view> Ids(const RecommendResult& result) {
  thread_local std::vector<std::string_view> ids;
  ids.clear();
  for (const ScoredId& item : result.items) ids.push_back(item.id);
  return ids;
}

std::string Scenario(std::string_view category) {
  return category.empty() ? std::string("recommend") : "recommend/" + std::string(category);
}

std::atomic<uint64_t> next_rollout_instance{1};

}  // namespace

uint64_t HashId(std::string_view key) { return StableHash64(key); }

double HashFraction(std::string_view key) {
  return static_cast<double>(HashId(key) >> 11) / 9007199254740992.0;  // 2^53
}

GuardrailDecision JudgeCanary(const VariantCounts& canary, const VariantCounts& primary,
                              const GuardrailOptions& options) {
  GuardrailDecision d;
  if (canary.requests >= options.min_exposures && canary.error_rate() > options.max_error_rate) {
    d.withdraw = true;
    d.reason = std::string(kRollbackErrorRate);
    d.detail = "error rate " + std::to_string(canary.error_rate()) + " (" +
               std::to_string(canary.errors) + "/" + std::to_string(canary.requests) +
               ") above registry.canary_max_error_rate " + std::to_string(options.max_error_rate);
    return d;
  }
  if (canary.exposures >= options.min_exposures && primary.exposures > 0 &&
      canary.ctr() < options.min_ctr_ratio * primary.ctr()) {
    d.withdraw = true;
    d.reason = std::string(kRollbackCtr);
    d.detail = "CTR " + std::to_string(canary.ctr()) + " (" + std::to_string(canary.clicks) + "/" +
               std::to_string(canary.exposures) + ") below registry.canary_min_ctr_ratio " +
               std::to_string(options.min_ctr_ratio) + " x primary CTR " +
               std::to_string(primary.ctr()) + " (" + std::to_string(primary.clicks) + "/" +
               std::to_string(primary.exposures) + ")";
  }
  return d;
}

ClickJoiner::ClickJoiner(size_t exposures_per_user, size_t max_users)
    : per_user_(std::max<size_t>(exposures_per_user, 1)),
      max_users_(std::max<size_t>(max_users, 1)) {}

uint32_t ClickJoiner::SourceIndex(std::string_view model_version, ServingVariant variant) {
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].variant == variant && sources_[i].model_version == model_version) {
      return static_cast<uint32_t>(i);
    }
  }
  sources_.push_back({std::string(model_version), variant});
  return static_cast<uint32_t>(sources_.size() - 1);
}

ClickJoiner::UserExposures& ClickJoiner::UserRecord(std::string_view user_id) {
  auto it = by_user_.find(user_id);
  if (it != by_user_.end()) return it->second;
  if (by_user_.size() >= max_users_) {
    // Forget the user first seen longest ago; its node and buffers serve the new one.
    auto node = by_user_.extract(user_order_.front());
    user_order_.pop_front();
    node.key() = user_id;
    node.mapped().count = 0;
    node.mapped().next = 0;
    it = by_user_.insert(std::move(node)).position;
  } else {
    it = by_user_.emplace(std::string(user_id), UserExposures{}).first;
  }
  user_order_.emplace_back(user_id);
  return it->second;
}

void ClickJoiner::Add(std::string_view user_id, std::string_view model_version,
                      ServingVariant variant, std::span<const std::string_view> items) {
  if (user_id.empty() || items.empty()) return;
  thread_local std::vector<uint64_t> hashes;
  hashes.clear();
  for (std::string_view item : items) hashes.push_back(HashId(item));
  std::lock_guard lock(mu_);
  const uint32_t source = SourceIndex(model_version, variant);
  UserExposures& user = UserRecord(user_id);
  if (user.next == user.ring.size()) user.ring.emplace_back();
  Entry& entry = user.ring[user.next];
  entry.source = source;
  entry.clicked = false;
  entry.items.assign(hashes.begin(), hashes.end());
  user.next = (user.next + 1) % per_user_;
  user.count = std::min(user.count + 1, per_user_);
}

std::vector<ClickJoiner::Credit> ClickJoiner::Click(std::string_view user_id,
                                                    std::string_view item_id) {
  std::vector<Credit> credits;
  const uint64_t item = HashId(item_id);
  std::lock_guard lock(mu_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return credits;
  UserExposures& user = it->second;
  std::vector<uint32_t> credited;
  for (size_t k = 1; k <= user.count; ++k) {  // newest first
    Entry& e = user.ring[(user.next + per_user_ - k) % per_user_];
    if (e.clicked || std::find(credited.begin(), credited.end(), e.source) != credited.end()) {
      continue;
    }
    if (std::find(e.items.begin(), e.items.end(), item) == e.items.end()) continue;
    e.clicked = true;
    credited.push_back(e.source);
    credits.push_back(sources_[e.source]);
  }
  return credits;
}

Rollout::Rollout(ModelManager& models, const Recommender& primary, const OnlineState& state,
                 RecommenderOptions recommender_options, ExposureLog* log, MetricsRegistry& metrics,
                 const Clock& clock, RolloutOptions options)
    : models_(models),
      primary_(primary),
      state_(state),
      log_(log),
      clock_(clock),
      options_(options),
      joiner_(options.exposures_per_user, options.max_users),
      instance_(next_rollout_instance.fetch_add(1, std::memory_order_relaxed)) {
  canary_ = std::make_unique<Recommender>(state, models.canary_bundles(), recommender_options,
                                          Recommender::DegradedHook{});
  shadow_ = std::make_unique<Recommender>(state, models.shadow_bundles(), recommender_options,
                                          Recommender::DegradedHook{});
  // The canary and the shadow answer the plain route as the primary does, vector share included.
  canary_->SetVectorRecall(primary.vector_recall());
  shadow_->SetVectorRecall(primary.vector_recall());
  const std::vector<std::string> labels = {"run_id", "variant"};
  served_total_ = metrics.AddCounter("recommendations_served_total",
                                     "Recommendation lists answered, by model version.", labels);
  exposures_total_ = metrics.AddCounter(
      "model_exposures_total", "Non-empty recommendation lists logged, by model version.", labels);
  clicks_total_ =
      metrics.AddCounter("model_clicks_total",
                         "Exposures later clicked (positive feedback), by model version.", labels);
  errors_total_ = metrics.AddCounter(
      "model_errors_total", "Recommendation answers that failed, by model version.", labels);
  degraded_total_ = metrics.AddCounter(
      "recommendations_served_degraded_total",
      "Recommendation lists answered with at least one degraded reason, by model version.", labels);
  rollbacks_total_ = metrics.AddCounter(
      "canary_rollbacks_total", "Canaries withdrawn by the guardrails, by reason.", {"reason"});
  for (std::string_view reason : {kRollbackErrorRate, kRollbackCtr}) {
    rollbacks_total_->WithLabels({std::string(reason)});
  }
  log_dropped_ = metrics.GetCounter("exposure_log_dropped_total",
                                    "Exposure records dropped because the writer queue was full.");
  version_info_ =
      metrics.AddGauge("reco_model_version_info",
                       "1 for each model version serving (primary, canary, shadow).", labels);
}

Rollout::~Rollout() = default;

Rollout::Served Rollout::Answer(ServingVariant variant, std::shared_ptr<const ModelBundle> bundle,
                                std::string_view user_id, std::string_view category, int n,
                                int offset) {
  Served served;
  served.variant = variant;
  served.bundle = std::move(bundle);
  served.model_version =
      served.bundle == nullptr ? std::string_view() : served.bundle->version_label();
  // An experiment's version is answered by the primary's recommender (which reads the bundle
  // it is given).
  const Recommender& recommender = variant == ServingVariant::kCanary   ? *canary_
                                   : variant == ServingVariant::kShadow ? *shadow_
                                                                        : primary_;
  bool failed = false;
  try {
    served.result = recommender.Recommend(served.bundle.get(), user_id, category, n, offset);
    failed = variant != ServingVariant::kPrimary && n > 0 && MissingModels(served.result);
  } catch (const std::exception& e) {
    spdlog::warn("event=recommend_failed variant={} run_id={} reason=\"{}\"", VariantName(variant),
                 served.model_version, e.what());
    failed = true;
  }
  Series& series = SeriesFor(served.model_version, variant);
  Count(series, 1, failed ? 1 : 0, 0, 0);
  if (!failed && !served.result.degraded.empty()) series.degraded_total->Inc();
  if (failed) {
    served.result = {};
    served.model_version = {};  // marks the failure for the caller
  }
  return served;
}

Rollout::Served Rollout::Recommend(std::shared_ptr<const ModelBundle> primary,
                                   std::string_view request_id, std::string_view user_id,
                                   std::string_view category, int n, int offset,
                                   const Experiments& experiments) {
  // The rollout fractions are 0 while no canary / shadow is active: the common case reads no
  // bundle holder but the primary's.
  Served served;
  bool answered = false;
  if (experiments.version != nullptr) {  // the experiment takes precedence over the canary
    served = Answer(ServingVariant::kExperiment, experiments.version, user_id, category, n, offset);
    answered = !served.model_version.empty();
  } else if (!user_id.empty() && InRollout(user_id, models_.canary_rollout())) {
    std::shared_ptr<const ModelBundle> canary = models_.canary_bundles().Get();
    if (canary != nullptr) {
      served = Answer(ServingVariant::kCanary, std::move(canary), user_id, category, n, offset);
      answered = !served.model_version.empty();
      if (!answered) ApplyGuardrails();
    }
  }
  if (!answered) {
    served = Answer(ServingVariant::kPrimary, std::move(primary), user_id, category, n, offset);
  }
  const std::string scenario = Scenario(category);
  Expose(request_id, user_id, scenario, served, /*judged=*/true, experiments.names);
  std::string_view shadow_key = request_id.empty() ? user_id : request_id;
  if (InRollout(shadow_key, models_.shadow_rollout())) {
    std::shared_ptr<const ModelBundle> shadow = models_.shadow_bundles().Get();
    if (shadow != nullptr) {
      Served scored =
          Answer(ServingVariant::kShadow, std::move(shadow), user_id, category, n, offset);
      if (!scored.model_version.empty())
        Expose(request_id, user_id, scenario, scored, /*judged=*/true);
    }
  }
  if (served.variant == ServingVariant::kCanary) ApplyGuardrails();
  return served;
}

Rollout::Served Rollout::Preview(std::shared_ptr<const ModelBundle> primary,
                                 std::string_view user_id, std::string_view category,
                                 int n) const {
  const Recommender::QuietScope quiet;
  Served served;
  served.variant = ServingVariant::kPrimary;
  served.bundle = std::move(primary);
  if (!user_id.empty() && InRollout(user_id, models_.canary_rollout())) {
    if (std::shared_ptr<const ModelBundle> canary = models_.canary_bundles().Get()) {
      served.variant = ServingVariant::kCanary;
      served.bundle = std::move(canary);
    }
  }
  const Recommender& recommender =
      served.variant == ServingVariant::kCanary ? *canary_ : primary_;
  served.model_version =
      served.bundle == nullptr ? std::string_view() : served.bundle->version_label();
  served.result = recommender.Recommend(served.bundle.get(), user_id, category, n, 0);
  return served;
}

void Rollout::RecordServed(const ModelBundle* bundle, std::string_view request_id,
                           std::string_view user_id, std::string_view scenario,
                           const RecommendResult& result, ServingVariant variant,
                           std::span<const ExposureExperimentRef> experiments) {
  const std::string_view model_version =
      bundle == nullptr ? std::string_view() : std::string_view(bundle->version_label());
  Count(SeriesFor(model_version, variant), 1, 0, 0, 0, /*judged=*/false);
  Expose(request_id, user_id, scenario, model_version, variant, result, /*judged=*/false,
         experiments);
}

void Rollout::Expose(std::string_view request_id, std::string_view user_id,
                     std::string_view scenario, std::string_view model_version,
                     ServingVariant variant, const RecommendResult& result, bool judged,
                     std::span<const ExposureExperimentRef> experiments) {
  if (result.items.empty()) return;
  std::span<const std::string_view> items = Ids(result);
  joiner_.Add(user_id, model_version, variant, items);
  Count(SeriesFor(model_version, variant), 0, 0, 1, 0, judged);
  if (options_.realtime != nullptr && variant != ServingVariant::kShadow) {
    options_.realtime->OnExposure(user_id, model_version, scenario, items);
  }
  if (log_ == nullptr) return;
  const ExposureRef record{.ts = clock_.NowMicros(),
                           .request_id = request_id,
                           .user_id = user_id,
                           .scenario = scenario,
                           .model_version = model_version,
                           .variant = VariantName(variant),
                           .items = items,
                           .experiments = experiments};
  if (!log_->Append(record)) log_dropped_->Inc();
}

void Rollout::OnFeedback(std::span<const Feedback> rows) {
  bool any = false;
  for (const Feedback& f : rows) {
    if (state_.KindOf(f.feedback_type) != FeedbackKind::kPositive) continue;
    for (const ClickJoiner::Credit& credit : joiner_.Click(f.user_id, f.item_id)) {
      Count(SeriesFor(credit.model_version, credit.variant), 0, 0, 0, 1);
      any = true;
    }
  }
  if (any) ApplyGuardrails();
}

VariantCounts Rollout::Series::Load() const {
  return {.requests = requests.load(std::memory_order_relaxed),
          .errors = errors.load(std::memory_order_relaxed),
          .exposures = exposures.load(std::memory_order_relaxed),
          .clicks = clicks.load(std::memory_order_relaxed)};
}

Rollout::Series& Rollout::SeriesFor(std::string_view model_version, ServingVariant variant) {
  // A few (rollout, variant, version) entries per thread: the primary, canary and shadow in
  // use. The version is compared by value, so a new bundle at a reused address is no hazard.
  struct Cached {
    uint64_t instance = 0;
    ServingVariant variant = ServingVariant::kPrimary;
    std::string version;
    Series* series = nullptr;
  };
  thread_local std::array<Cached, 4> cache;
  thread_local size_t next_slot = 0;
  for (Cached& c : cache) {
    if (c.instance == instance_ && c.variant == variant && c.version == model_version) {
      return *c.series;
    }
  }
  Series* series = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(std::make_pair(model_version, variant));
    if (it == series_.end()) {
      it = series_.try_emplace(Key(std::string(model_version), variant)).first;
      const LabelValues labels = {it->first.first, std::string(VariantName(variant))};
      it->second.served = served_total_->WithLabels(labels);
      it->second.exposures_total = exposures_total_->WithLabels(labels);
      it->second.clicks_total = clicks_total_->WithLabels(labels);
      it->second.errors_total = errors_total_->WithLabels(labels);
      it->second.degraded_total = degraded_total_->WithLabels(labels);
      it->second.shared_prefix = SharedPrefix(model_version, variant);
    }
    series = &it->second;
  }
  Cached& slot = cache[next_slot++ % cache.size()];
  slot = {instance_, variant, std::string(model_version), series};
  return *series;
}

void Rollout::Count(Series& s, int64_t requests, int64_t errors, int64_t exposures, int64_t clicks,
                    bool judged) {
  if (judged && options_.shared_counts != nullptr) {
    NamedCounts& shared = *options_.shared_counts;
    thread_local std::string field;
    auto add = [&](std::string_view what, int64_t n) {
      if (n <= 0) return;
      field.assign(s.shared_prefix);
      field.append(what);
      shared.Add(field, static_cast<double>(n));
    };
    add("requests", requests);
    add("errors", errors);
    add("exposures", exposures);
    add("clicks", clicks);
  }
  if (judged) {
    if (requests > 0) s.requests.fetch_add(requests, std::memory_order_relaxed);
    if (errors > 0) s.errors.fetch_add(errors, std::memory_order_relaxed);
    if (exposures > 0) s.exposures.fetch_add(exposures, std::memory_order_relaxed);
    if (clicks > 0) s.clicks.fetch_add(clicks, std::memory_order_relaxed);
  }
  if (requests > 0) s.served->Add(static_cast<double>(requests));
  if (errors > 0) s.errors_total->Add(static_cast<double>(errors));
  if (exposures > 0) s.exposures_total->Add(static_cast<double>(exposures));
  if (clicks > 0) s.clicks_total->Add(static_cast<double>(clicks));
}

VariantCounts Rollout::Counts(std::string_view model_version, ServingVariant variant) const {
  std::lock_guard lock(mu_);
  return JudgedCounts(model_version, variant);
}

VariantCounts Rollout::JudgedCounts(std::string_view model_version, ServingVariant variant) const {
  if (options_.shared_counts != nullptr) {
    const std::string prefix = SharedPrefix(model_version, variant);
    auto get = [&](std::string_view what) {
      return static_cast<int64_t>(options_.shared_counts->Get(prefix + std::string(what)));
    };
    return {.requests = get("requests"),
            .errors = get("errors"),
            .exposures = get("exposures"),
            .clicks = get("clicks")};
  }
  auto it = series_.find(std::make_pair(model_version, variant));
  return it == series_.end() ? VariantCounts{} : it->second.Load();
}

void Rollout::ApplyGuardrails() {
  std::shared_ptr<const ModelBundle> canary = models_.canary_bundles().Get();
  std::shared_ptr<const ModelBundle> primary = models_.bundles().Get();
  if (canary == nullptr) return;
  const std::string canary_version = canary->version_label();
  const std::string primary_version = primary == nullptr ? "" : primary->version_label();
  GuardrailDecision decision;
  {
    std::lock_guard lock(mu_);
    if (withdrawn_ == canary_version) return;
    // Shared counts: the canary may have been served by the other replicas only.
    if (options_.shared_counts == nullptr &&
        series_.find(Key(canary_version, ServingVariant::kCanary)) == series_.end()) {
      return;
    }
    decision = JudgeCanary(JudgedCounts(canary_version, ServingVariant::kCanary),
                           JudgedCounts(primary_version, ServingVariant::kPrimary),
                           options_.guardrails);
    if (!decision.withdraw) return;
    withdrawn_ = canary_version;
  }
  spdlog::warn("event=canary_rollback run_id={} reason={} detail=\"{}\"", canary_version,
               decision.reason, decision.detail);
  rollbacks_total_->WithLabels({decision.reason})->Inc();
  if (Status st = models_.WithdrawCanary(decision.reason + ": " + decision.detail); !st.ok()) {
    spdlog::warn("event=canary_alias_clear_failed run_id={} reason=\"{}\"", canary_version,
                 st.ToString());
  }
}

void Rollout::SyncVersionInfo() {
  std::set<std::pair<std::string, std::string>> now;
  auto add = [&](const std::shared_ptr<const ModelBundle>& b, ServingVariant v) {
    if (b != nullptr) now.emplace(b->version_label(), std::string(VariantName(v)));
  };
  add(models_.bundles().Get(), ServingVariant::kPrimary);
  add(models_.canary_bundles().Get(), ServingVariant::kCanary);
  add(models_.shadow_bundles().Get(), ServingVariant::kShadow);
  std::lock_guard lock(mu_);
  for (auto& [series, on] : info_series_) on = false;
  for (const auto& series : now) info_series_[series] = true;
  for (const auto& [series, on] : info_series_) {
    version_info_->WithLabels({series.first, series.second})->Set(on ? 1 : 0);
  }
}

}  // namespace reco
