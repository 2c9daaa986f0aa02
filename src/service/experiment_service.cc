#include "service/experiment_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "experiment/experiment.h"

namespace reco::service {
namespace {

namespace ex = reco::experiment;
constexpr TimestampUs kDay = 86400LL * kMicrosPerSecond;

void ApplyDefinition(const ExperimentDefinition& d, ExperimentRecord& e) {
  e.name = d.name;
  e.layer = d.layer;
  e.traffic = d.traffic;
  e.variants = d.variants;
  e.click_types = d.click_types;
  e.conversion_types = d.conversion_types;
}

Status WrongStatus(const ExperimentRecord& e, std::string_view action) {
  return Status(
      StatusCode::kFailedPrecondition,
      "status: experiment \"" + e.id + "\" is " + e.status + ", cannot " + std::string(action),
      "status");
}

// The end of each day since `start`, before `end`, at most `max` of them.
std::vector<TimestampUs> DailyLooks(TimestampUs start, TimestampUs end, int max) {
  std::vector<TimestampUs> looks;
  for (TimestampUs t = start + kDay; t < end && static_cast<int>(looks.size()) < max; t += kDay) {
    looks.push_back(t);
  }
  return looks;
}

bool HasTargetKind(const ExperimentRecord& e, std::string_view kind) {
  return std::any_of(e.variants.begin(), e.variants.end(),
                     [&](const ExperimentVariantRecord& v) { return v.target_kind == kind; });
}

// True when some request is in the scope of both experiments (experiment/serving.h).
bool ScopesMeet(const ExperimentRecord& a, const ExperimentRecord& b) {
  if (!HasTargetKind(a, ex::kTargetScenario) || !HasTargetKind(b, ex::kTargetScenario)) {
    return true;  // one applies to every request
  }
  return std::any_of(a.variants.begin(), a.variants.end(), [&](const ExperimentVariantRecord& v) {
    return v.target_kind == ex::kTargetScenario && ex::AppliesTo(b, v.target);
  });
}

// Logs the running experiments of other layers that can set the same kind of target as `e` on
// the same requests: for users in both, the first layer's target is served.
void WarnOverlaps(const ExperimentRecord& e, const std::vector<ExperimentRecord>& all) {
  for (const ExperimentRecord& other : all) {
    if (other.id == e.id || other.status != ex::kRunning || other.layer == e.layer) continue;
    for (std::string_view kind : {ex::kTargetScenario, ex::kTargetModelVersion}) {
      if (HasTargetKind(e, kind) && HasTargetKind(other, kind) && ScopesMeet(e, other)) {
        spdlog::warn(
            "event=experiment_target_overlap id={} other={} target_kind={} first_layer={} "
            "detail=\"users in both are served the {} of layer {}\"",
            e.id, other.id, kind, std::min(e.layer, other.layer), kind,
            std::min(e.layer, other.layer));
        break;
      }
    }
  }
}

}  // namespace

ExperimentService::ExperimentService(Store& store, const Clock& clock,
                                     ExperimentServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<ExperimentRecord> ExperimentService::Save(const ExperimentRecord& e, bool insert) {
  RECO_RETURN_IF_ERROR(insert ? store_.InsertExperiment(e) : store_.UpdateExperiment(e));
  if (Status st = Refresh(); !st.ok()) {
    spdlog::warn("event=experiment_refresh_failed reason=\"{}\"", st.ToString());
  }
  return e;
}

Result<ExperimentRecord> ExperimentService::Create(const ExperimentDefinition& definition) {
  ExperimentRecord e;
  e.id = definition.id;
  ApplyDefinition(definition, e);
  e.status = std::string(ex::kDraft);
  RECO_RETURN_IF_ERROR(ex::Validate(e));
  e.created_at = e.updated_at = clock_.NowMicros();
  std::lock_guard lock(write_mu_);
  RECO_ASSIGN_OR_RETURN(ExperimentRecord saved, Save(e, /*insert=*/true));
  spdlog::info("event=experiment_created id={} layer={} variants={}", e.id, e.layer,
               e.variants.size());
  return saved;
}

Result<ExperimentRecord> ExperimentService::Update(std::string_view id,
                                                   const ExperimentDefinition& definition) {
  std::lock_guard lock(write_mu_);
  RECO_ASSIGN_OR_RETURN(ExperimentRecord current, store_.GetExperiment(id));
  ExperimentRecord next = current;
  ApplyDefinition(definition, next);
  RECO_RETURN_IF_ERROR(ex::Validate(next));
  if (current.status == ex::kStopped) return WrongStatus(current, "be edited");
  if (current.status == ex::kRunning) {
    RECO_RETURN_IF_ERROR(ex::CheckRunningEdit(current, next));
    RECO_ASSIGN_OR_RETURN(std::vector<ExperimentRecord> all, store_.ListExperiments());
    RECO_RETURN_IF_ERROR(ex::PlaceInLayer(all, next, /*keep_offset=*/true).status());
  }
  next.updated_at = clock_.NowMicros();
  RECO_ASSIGN_OR_RETURN(ExperimentRecord saved, Save(next, /*insert=*/false));
  spdlog::info("event=experiment_updated id={} status={} traffic={}", next.id, next.status,
               next.traffic);
  return saved;
}

Result<ExperimentRecord> ExperimentService::Get(std::string_view id) {
  return store_.GetExperiment(id);
}

Result<std::vector<ExperimentRecord>> ExperimentService::List() { return store_.ListExperiments(); }

Result<ExperimentRecord> ExperimentService::Start(std::string_view id) {
  std::lock_guard lock(write_mu_);
  RECO_ASSIGN_OR_RETURN(ExperimentRecord e, store_.GetExperiment(id));
  if (e.status != ex::kDraft) return WrongStatus(e, "start (only a draft starts)");
  RECO_ASSIGN_OR_RETURN(std::vector<ExperimentRecord> all, store_.ListExperiments());
  RECO_ASSIGN_OR_RETURN(e.bucket_offset, ex::PlaceInLayer(all, e, /*keep_offset=*/false));
  e.status = std::string(ex::kRunning);
  e.started_at = e.updated_at = clock_.NowMicros();
  RECO_ASSIGN_OR_RETURN(ExperimentRecord saved, Save(e, /*insert=*/false));
  spdlog::info("event=experiment_started id={} layer={} buckets={}..{}", e.id, e.layer,
               e.bucket_offset, e.bucket_offset + ex::TrafficBuckets(e.traffic));
  WarnOverlaps(e, all);
  return saved;
}

Result<ExperimentRecord> ExperimentService::Stop(std::string_view id) {
  std::lock_guard lock(write_mu_);
  RECO_ASSIGN_OR_RETURN(ExperimentRecord e, store_.GetExperiment(id));
  if (e.status != ex::kRunning) return WrongStatus(e, "stop (only a running experiment stops)");
  e.status = std::string(ex::kStopped);
  e.stopped_at = e.updated_at = clock_.NowMicros();
  RECO_ASSIGN_OR_RETURN(ExperimentRecord saved, Save(e, /*insert=*/false));
  spdlog::info("event=experiment_stopped id={}", e.id);
  return saved;
}

Status ExperimentService::Delete(std::string_view id) {
  std::lock_guard lock(write_mu_);
  RECO_ASSIGN_OR_RETURN(ExperimentRecord e, store_.GetExperiment(id));
  if (e.status == ex::kRunning) return WrongStatus(e, "be deleted (stop it first)");
  RECO_RETURN_IF_ERROR(store_.DeleteExperiment(id).status());
  spdlog::info("event=experiment_deleted id={}", e.id);
  return Status::Ok();
}

Status ExperimentService::Refresh() {
  RECO_ASSIGN_OR_RETURN(std::vector<ExperimentRecord> all, store_.ListExperiments());
  std::erase_if(all, [](const ExperimentRecord& e) { return e.status != ex::kRunning; });
  const bool any = !all.empty();
  auto snapshot = std::make_shared<const std::vector<ExperimentRecord>>(std::move(all));
  std::lock_guard lock(snapshot_mu_);
  running_ = std::move(snapshot);
  none_running_.store(!any, std::memory_order_release);
  return Status::Ok();
}

Result<std::shared_ptr<const std::vector<ExperimentRecord>>> ExperimentService::Running() {
  {
    std::lock_guard lock(snapshot_mu_);
    if (running_) return running_;
  }
  RECO_RETURN_IF_ERROR(Refresh());
  std::lock_guard lock(snapshot_mu_);
  return running_;
}

ex::ServingPlan ExperimentService::Plan(std::string_view user_id, std::string_view scenario) {
  // The common case, read without the snapshot's lock or reference count.
  if (none_running_.load(std::memory_order_acquire)) return {};
  Result<std::shared_ptr<const std::vector<ExperimentRecord>>> running = Running();
  if (!running.ok()) {
    spdlog::warn("event=experiments_unreadable reason=\"{}\"", running.status().ToString());
    return {};
  }
  if ((*running)->empty()) return {};
  return ex::PlanServing(**running, user_id, scenario);
}

std::vector<std::string> ExperimentService::RunningModelVersions() {
  std::vector<std::string> out;
  Result<std::shared_ptr<const std::vector<ExperimentRecord>>> running = Running();
  if (!running.ok()) return out;
  for (const ExperimentRecord& e : **running) {
    for (const ExperimentVariantRecord& v : e.variants) {
      if (v.target_kind == ex::kTargetModelVersion) out.push_back(v.target);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<ex::Assignment>> ExperimentService::Assign(std::string_view user_id) {
  if (user_id.empty()) return InvalidArgument("user_id: must not be empty", "user_id");
  RECO_ASSIGN_OR_RETURN(auto running, Running());
  return ex::Assign(*running, user_id);
}

Status ExperimentService::Collect(const ExperimentRecord& e, ex::ExposureJoin& join,
                                  ExperimentReport& report) {
  RECO_ASSIGN_OR_RETURN(
      ex::ReadStats stats,
      ex::ReadExposures(ex::ExposureLogFiles(options_.exposure_log), e.id,
                        [&](ex::ExposureEvent&& event) { join.AddExposure(std::move(event)); }));
  report.log_lines = stats.lines;
  report.bad_lines = stats.bad_lines;
  const std::unordered_set<std::string> clicks(e.click_types.begin(), e.click_types.end());
  const std::unordered_set<std::string> conversions(e.conversion_types.begin(),
                                                    e.conversion_types.end());
  return store_.ScanFeedback(0, [&](const FeedbackRecord& r) {
    const Feedback& f = r.feedback;
    const bool click = clicks.count(f.feedback_type) > 0;
    const bool conversion = conversions.count(f.feedback_type) > 0;
    if (!click && !conversion) return;
    join.AddOutcome(f.user_id, {f.timestamp, f.item_id, click, conversion});
  });
}

Result<ExperimentReport> ExperimentService::Results(std::string_view id) {
  ExperimentReport report;
  RECO_ASSIGN_OR_RETURN(report.experiment, store_.GetExperiment(id));
  const ExperimentRecord& e = report.experiment;
  std::vector<std::string> names;
  for (const auto& v : e.variants) names.push_back(v.name);
  ex::ExposureJoin join(names, options_.join);
  RECO_RETURN_IF_ERROR(Collect(e, join, report));
  report.computed_at = clock_.NowMicros();
  report.alpha = options_.results.alpha;
  report.window_start = e.started_at > 0 ? e.started_at : join.first_exposure();
  report.window_end = e.status == ex::kStopped ? e.stopped_at : report.computed_at;
  // What happened up to and including the window's end counts.
  const TimestampUs cutoff = report.window_end + 1;
  std::vector<std::vector<ex::VariantCounts>> looks;
  for (TimestampUs t : DailyLooks(report.window_start, cutoff, options_.max_looks)) {
    looks.push_back(join.CountAt(t));
  }
  report.results = ex::ComputeResults(e, join.CountAt(cutoff), looks, options_.results);
  report.unknown_variant_exposures = join.unknown_variant();
  report.switched_users = join.switched_users();
  return report;
}

}  // namespace reco::service
