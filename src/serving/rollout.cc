#include "serving/rollout.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <set>

namespace reco {
namespace {

bool MissingModels(const RecommendResult& result) {
  if (!result.items.empty()) return false;
  return std::any_of(result.degraded.begin(), result.degraded.end(),
                     [](const std::string& r) { return r.ends_with("_model_missing"); });
}

std::vector<std::string> Ids(const RecommendResult& result) {
  std::vector<std::string> ids;
  ids.reserve(result.items.size());
  for (const ScoredId& item : result.items) ids.push_back(item.id);
  return ids;
}

std::string Scenario(std::string_view category) {
  return category.empty() ? std::string("recommend") : "recommend/" + std::string(category);
}

}  // namespace

uint64_t HashId(std::string_view key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // MurmurHash3's fmix64: FNV alone leaves the top bits of keys that differ in their last
  // character ("u1", "u2", ...) correlated.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

double HashFraction(std::string_view key) {
  return static_cast<double>(HashId(key) >> 11) / 9007199254740992.0;  // 2^53
}

GuardrailDecision JudgeCanary(const VariantCounts& canary, const VariantCounts& primary,
                              const GuardrailOptions& options) {
  GuardrailDecision d;
  if (canary.requests >= options.min_exposures && canary.error_rate() > options.max_error_rate) {
    d.withdraw = true;
    d.reason = "error_rate";
    d.detail = "error rate " + std::to_string(canary.error_rate()) + " (" +
               std::to_string(canary.errors) + "/" + std::to_string(canary.requests) +
               ") above registry.canary_max_error_rate " + std::to_string(options.max_error_rate);
    return d;
  }
  if (canary.exposures >= options.min_exposures && primary.exposures > 0 &&
      canary.ctr() < options.min_ctr_ratio * primary.ctr()) {
    d.withdraw = true;
    d.reason = "ctr";
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

uint32_t ClickJoiner::SourceIndex(std::string model_version, ServingVariant variant) {
  Credit credit{std::move(model_version), variant};
  auto it = std::find(sources_.begin(), sources_.end(), credit);
  if (it != sources_.end()) return static_cast<uint32_t>(it - sources_.begin());
  sources_.push_back(std::move(credit));
  return static_cast<uint32_t>(sources_.size() - 1);
}

void ClickJoiner::Add(std::string_view user_id, std::string model_version, ServingVariant variant,
                      const std::vector<std::string>& items) {
  if (user_id.empty() || items.empty()) return;
  Entry entry;
  entry.items.reserve(items.size());
  for (const std::string& item : items) entry.items.push_back(HashId(item));
  std::lock_guard lock(mu_);
  entry.source = SourceIndex(std::move(model_version), variant);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) {
    user_order_.emplace_back(user_id);
    while (user_order_.size() > max_users_) {
      by_user_.erase(user_order_.front());
      user_order_.pop_front();
    }
    it = by_user_.emplace(std::string(user_id), std::deque<Entry>()).first;
  }
  it->second.push_back(std::move(entry));
  if (it->second.size() > per_user_) it->second.pop_front();
}

std::vector<ClickJoiner::Credit> ClickJoiner::Click(std::string_view user_id,
                                                    std::string_view item_id) {
  std::vector<Credit> credits;
  const uint64_t item = HashId(item_id);
  std::lock_guard lock(mu_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return credits;
  std::vector<uint32_t> credited;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (e->clicked || std::find(credited.begin(), credited.end(), e->source) != credited.end()) {
      continue;
    }
    if (std::find(e->items.begin(), e->items.end(), item) == e->items.end()) continue;
    e->clicked = true;
    credited.push_back(e->source);
    credits.push_back(sources_[e->source]);
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
      joiner_(options.exposures_per_user, options.max_users) {
  canary_ = std::make_unique<Recommender>(state, models.canary_bundles(), recommender_options,
                                          Recommender::DegradedHook{});
  shadow_ = std::make_unique<Recommender>(state, models.shadow_bundles(), recommender_options,
                                          Recommender::DegradedHook{});
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
  rollbacks_total_ = metrics.AddCounter(
      "canary_rollbacks_total", "Canaries withdrawn by the guardrails, by reason.", {"reason"});
  log_dropped_ = metrics.GetCounter("exposure_log_dropped_total",
                                    "Exposure records dropped because the writer queue was full.");
  version_info_ =
      metrics.AddGauge("reco_model_version_info",
                       "1 for each model version serving (primary, canary, shadow).", labels);
}

Rollout::~Rollout() = default;

Rollout::Served Rollout::Answer(ServingVariant variant,
                                const std::shared_ptr<const ModelBundle>& bundle,
                                std::string_view user_id, std::string_view category, int n,
                                int offset) {
  Served served;
  served.variant = variant;
  served.model_version = bundle == nullptr ? std::string() : bundle->version_label();
  const Recommender& recommender = variant == ServingVariant::kCanary   ? *canary_
                                   : variant == ServingVariant::kShadow ? *shadow_
                                                                        : primary_;
  bool failed = false;
  try {
    served.result = recommender.Recommend(user_id, category, n, offset);
    failed = variant != ServingVariant::kPrimary && n > 0 && MissingModels(served.result);
  } catch (const std::exception& e) {
    spdlog::warn("event=recommend_failed variant={} run_id={} reason=\"{}\"", VariantName(variant),
                 served.model_version, e.what());
    failed = true;
  }
  Count({served.model_version, variant}, 1, failed ? 1 : 0, 0, 0);
  if (failed) {
    served.result = {};
    served.model_version.clear();  // marks the failure for the caller
  }
  return served;
}

Rollout::Served Rollout::Recommend(std::string_view request_id, std::string_view user_id,
                                   std::string_view category, int n, int offset) {
  std::shared_ptr<const ModelBundle> canary = models_.canary_bundles().Get();
  std::shared_ptr<const ModelBundle> shadow = models_.shadow_bundles().Get();
  const std::string scenario = Scenario(category);
  Served served;
  bool answered = false;
  if (canary != nullptr && !user_id.empty() && InRollout(user_id, models_.canary_rollout())) {
    served = Answer(ServingVariant::kCanary, canary, user_id, category, n, offset);
    answered = !served.model_version.empty();
    if (!answered) ApplyGuardrails();
  }
  if (!answered) {
    served =
        Answer(ServingVariant::kPrimary, models_.bundles().Get(), user_id, category, n, offset);
  }
  Expose(request_id, user_id, scenario, served, /*judged=*/true);
  std::string_view shadow_key = request_id.empty() ? user_id : request_id;
  if (shadow != nullptr && InRollout(shadow_key, models_.shadow_rollout())) {
    Served scored = Answer(ServingVariant::kShadow, shadow, user_id, category, n, offset);
    if (!scored.model_version.empty())
      Expose(request_id, user_id, scenario, scored, /*judged=*/true);
  }
  if (served.variant == ServingVariant::kCanary) ApplyGuardrails();
  return served;
}

void Rollout::RecordServed(std::string_view request_id, std::string_view user_id,
                           std::string_view scenario, const RecommendResult& result) {
  Served served;
  std::shared_ptr<const ModelBundle> bundle = models_.bundles().Get();
  served.model_version = bundle == nullptr ? std::string() : bundle->version_label();
  served.result.items = result.items;
  Count({served.model_version, ServingVariant::kPrimary}, 1, 0, 0, 0, /*judged=*/false);
  Expose(request_id, user_id, scenario, served, /*judged=*/false);
}

void Rollout::Expose(std::string_view request_id, std::string_view user_id,
                     std::string_view scenario, const Served& served, bool judged) {
  if (served.result.items.empty()) return;
  ExposureRecord record{.ts = clock_.NowMicros(),
                        .request_id = std::string(request_id),
                        .user_id = std::string(user_id),
                        .scenario = std::string(scenario),
                        .model_version = served.model_version,
                        .variant = std::string(VariantName(served.variant)),
                        .items = Ids(served.result)};
  joiner_.Add(user_id, served.model_version, served.variant, record.items);
  Count({served.model_version, served.variant}, 0, 0, 1, 0, judged);
  if (log_ != nullptr && !log_->Append(std::move(record))) log_dropped_->Inc();
}

void Rollout::OnFeedback(const std::vector<Feedback>& rows) {
  bool any = false;
  for (const Feedback& f : rows) {
    if (state_.KindOf(f.feedback_type) != FeedbackKind::kPositive) continue;
    for (const ClickJoiner::Credit& credit : joiner_.Click(f.user_id, f.item_id)) {
      Count({credit.model_version, credit.variant}, 0, 0, 0, 1);
      any = true;
    }
  }
  if (any) ApplyGuardrails();
}

void Rollout::Count(const Key& key, int64_t requests, int64_t errors, int64_t exposures,
                    int64_t clicks, bool judged) {
  std::lock_guard lock(mu_);
  auto [it, added] = series_.try_emplace(key);
  Series& s = it->second;
  if (added) {
    const LabelValues labels = {key.first, std::string(VariantName(key.second))};
    s.served = served_total_->WithLabels(labels);
    s.exposures = exposures_total_->WithLabels(labels);
    s.clicks = clicks_total_->WithLabels(labels);
    s.errors = errors_total_->WithLabels(labels);
  }
  if (judged) {
    s.counts.requests += requests;
    s.counts.errors += errors;
    s.counts.exposures += exposures;
    s.counts.clicks += clicks;
  }
  if (requests > 0) s.served->Add(static_cast<double>(requests));
  if (errors > 0) s.errors->Add(static_cast<double>(errors));
  if (exposures > 0) s.exposures->Add(static_cast<double>(exposures));
  if (clicks > 0) s.clicks->Add(static_cast<double>(clicks));
}

VariantCounts Rollout::Counts(std::string_view model_version, ServingVariant variant) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(Key(std::string(model_version), variant));
  return it == series_.end() ? VariantCounts{} : it->second.counts;
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
    auto c = series_.find(Key(canary_version, ServingVariant::kCanary));
    if (c == series_.end()) return;
    auto p = series_.find(Key(primary_version, ServingVariant::kPrimary));
    decision =
        JudgeCanary(c->second.counts, p == series_.end() ? VariantCounts{} : p->second.counts,
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
