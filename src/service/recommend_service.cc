#include "service/recommend_service.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "content/vectors.h"

namespace reco::service {
namespace {

// The exposure line's view of the experiments of `plan` (views into it).
std::vector<ExposureExperimentRef> ExposureNames(const experiment::ServingPlan& plan) {
  std::vector<ExposureExperimentRef> names;
  if (plan.applied.empty()) return names;
  names.reserve(plan.applied.size());
  for (const experiment::Assignment& a : plan.applied)
    names.push_back({a.experiment_id, a.variant});
  return names;
}

}  // namespace

RecommendService::RecommendService(const Recommender& recommender, const BundleHolder& primary,
                                   const OnlineState& state, Rollout& rollout,
                                   FeedbackService& feedback, const Clock& clock,
                                   ExperimentService* experiments, VersionBundles* versions,
                                   const ContentIndexes* content)
    : recommender_(recommender),
      primary_(primary),
      state_(state),
      rollout_(rollout),
      feedback_(feedback),
      clock_(clock),
      experiments_(experiments),
      versions_(versions),
      content_(content) {}

experiment::ServingPlan RecommendService::Plan(std::string_view user_id,
                                               std::string_view scenario) const {
  if (experiments_ == nullptr || user_id.empty()) return {};
  return experiments_->Plan(user_id, scenario);
}

std::shared_ptr<const ModelBundle> RecommendService::ExperimentVersion(
    const experiment::ServingPlan& plan, std::vector<std::string>& degraded) {
  if (plan.model_version.empty()) return nullptr;
  if (versions_ != nullptr) {
    if (auto bundle = versions_->Get(plan.model_version); bundle.ok()) return *std::move(bundle);
  }
  degraded.emplace_back(kExperimentVersionUnavailable);
  return nullptr;
}

RecommendResponse RecommendService::PlannedVersion(const experiment::ServingPlan& plan,
                                                   std::vector<std::string>& degraded) {
  RecommendResponse response;
  if (std::shared_ptr<const ModelBundle> version = ExperimentVersion(plan, degraded)) {
    response.bundle = std::move(version);
    response.model_version = response.bundle->version_label();
    response.variant = ServingVariant::kExperiment;
  } else {
    response = Snapshot();
  }
  return response;
}

Status RecommendService::RefreshExperiments() {
  if (experiments_ == nullptr) return Status::Ok();
  RECO_RETURN_IF_ERROR(experiments_->Refresh());
  if (versions_ != nullptr) versions_->Prepare(experiments_->RunningModelVersions());
  return Status::Ok();
}

RecommendResponse RecommendService::Snapshot() const {
  RecommendResponse response;
  response.bundle = primary_.Get();
  if (response.bundle != nullptr) response.model_version = response.bundle->version_label();
  return response;
}

Result<RecommendResponse> RecommendService::Recommend(const RecommendRequest& request) {
  experiment::ServingPlan plan = Plan(request.user_id, "");
  if (explorer_ != nullptr && explorer_->Applies(request.user_id)) {
    return Explore(request, std::move(plan));
  }
  std::vector<std::string> degraded;
  const std::vector<ExposureExperimentRef> names = ExposureNames(plan);
  Rollout::Served served = rollout_.Recommend(
      primary_.Get(), request.request_id, request.user_id, request.category, request.n,
      request.offset, {.version = ExperimentVersion(plan, degraded), .names = names});
  for (std::string& reason : degraded) served.result.degraded.push_back(std::move(reason));
  if (!request.write_back_type.empty()) {
    RECO_RETURN_IF_ERROR(WriteBack(request, served.result));
  }
  RecommendResponse response;
  response.result = std::move(served.result);
  response.model_version = served.model_version;  // a view into the bundle, which moves along
  response.bundle = std::move(served.bundle);
  response.variant = served.variant;
  response.experiments = std::move(plan.applied);
  return response;
}

Result<RecommendResponse> RecommendService::Explore(const RecommendRequest& request,
                                                   experiment::ServingPlan plan) {
  std::vector<std::string> degraded;
  RecommendResponse response = PlannedVersion(plan, degraded);
  response.result = explorer_->Recommend(response.bundle.get(), request.user_id, request.category,
                                         request.n, request.offset);
  for (std::string& reason : degraded) response.result.degraded.push_back(std::move(reason));
  // Logged under the route's name, as the collaborative answers of the route are.
  std::string route = "recommend";
  if (!request.category.empty()) route += "/" + std::string(request.category);
  const std::vector<ExposureExperimentRef> names = ExposureNames(plan);
  rollout_.RecordServed(response.bundle.get(), request.request_id, request.user_id, route,
                        response.result, response.variant, names);
  response.policy = kExplorePolicy;
  response.experiments = std::move(plan.applied);
  if (!request.write_back_type.empty()) {
    RECO_RETURN_IF_ERROR(WriteBack(request, response.result));
  }
  return response;
}

Result<RecommendResponse> RecommendService::RecommendScenario(
    const ScenarioConfig& scenario, const ScenarioRecommendRequest& request,
    const experiment::ServingPlan& plan) {
  const RecommendRequest& base = request.base;
  ScenarioRequest run{.scenario = &scenario,
                      .user_id = base.user_id,
                      .category = base.category,
                      .context_item = request.context_item,
                      .n = base.n,
                      .offset = base.offset};
  for (std::string_view id : request.exclude) {
    if (auto index = state_.FindItem(id)) run.exclude.push_back(*index);
  }
  const bool paged = !request.session.empty() && scenario.filters.session_dedup;
  const std::string session_key =
      paged ? SessionPages::Key(base.user_id, scenario.name, request.session) : std::string();
  if (paged) {
    for (const std::string& id : sessions_.Shown(session_key)) {
      if (auto index = state_.FindItem(id)) run.exclude.push_back(*index);
    }
  }
  std::vector<std::string> degraded;
  RecommendResponse response = PlannedVersion(plan, degraded);
  response.result = recommender_.RecommendScenario(response.bundle.get(), run);
  for (std::string& reason : degraded) response.result.degraded.push_back(std::move(reason));
  const std::vector<ExposureExperimentRef> names = ExposureNames(plan);
  rollout_.RecordServed(response.bundle.get(), base.request_id, base.user_id, scenario.name,
                        response.result, response.variant, names);
  response.scenario = scenario.name;
  response.experiments = plan.applied;
  if (!base.write_back_type.empty()) RECO_RETURN_IF_ERROR(WriteBack(base, response.result));
  if (paged) {
    std::vector<std::string_view> ids;
    ids.reserve(response.result.items.size());
    for (const ScoredId& item : response.result.items) ids.push_back(item.id);
    sessions_.Add(session_key, ids);
  }
  return response;
}

Status RecommendService::WriteBack(const RecommendRequest& request, const RecommendResult& result) {
  std::vector<Feedback> rows;
  rows.reserve(result.items.size());
  const TimestampUs ts = clock_.NowMicros() + request.write_back_delay;
  for (const ScoredId& item : result.items) {
    rows.push_back(
        {std::string(request.write_back_type), std::string(request.user_id), item.id, 1.0, ts, ""});
  }
  return feedback_.Write({.rows = rows, .overwrite = true}).status();
}

RecommendResponse RecommendService::SessionRecommend(SessionRecommendRequest request) {
  std::stable_sort(request.rows.begin(), request.rows.end(),
                   [](const Feedback& a, const Feedback& b) { return a.timestamp < b.timestamp; });
  std::vector<std::string> positive, seen;
  for (const Feedback& f : request.rows) {
    seen.push_back(f.item_id);
    if (state_.KindOf(f.feedback_type) == FeedbackKind::kPositive) positive.push_back(f.item_id);
  }
  RecommendResponse response = Snapshot();
  response.result = recommender_.SessionRecommend(response.bundle.get(), positive, seen,
                                                  request.category, request.n, request.offset);
  return response;
}

RecommendResponse RecommendService::Popular(const ListRequest& request) {
  RecommendResponse response = Snapshot();
  response.result =
      recommender_.Popular(response.bundle.get(), request.category, request.n, request.offset);
  RecordServed(request, "popular", response);
  return response;
}

RecommendResponse RecommendService::Latest(const ListRequest& request) {
  // The latest list reads the live catalogue only; the snapshot names the version it is logged
  // under.
  RecommendResponse response = Snapshot();
  response.result = recommender_.Latest(request.category, request.n, request.offset);
  RecordServed(request, "latest", response);
  return response;
}

void RecommendService::RecordServed(const ListRequest& request, std::string_view route,
                                    const RecommendResponse& response) {
  std::string scenario(route);
  if (!request.category.empty()) {
    scenario += '/';
    scenario += request.category;
  }
  rollout_.RecordServed(response.bundle.get(), request.request_id, "", scenario, response.result);
}

Result<RecommendResponse> RecommendService::ItemNeighbors(const NeighborsRequest& request) {
  RECO_ASSIGN_OR_RETURN(NeighborSource source, ParseNeighborSource(request.source));
  RecommendResponse response = Snapshot();
  if (source == NeighborSource::kAuto) {
    // Collaborative when the served model has neighbours for the item, else content.
    const ModelBundle* bundle = response.bundle.get();
    std::optional<uint32_t> item = state_.FindItem(request.id);
    const bool collaborative = content_ == nullptr ||
                               (bundle != nullptr && bundle->has_itemcf() && item &&
                                !bundle->Neighbors(*item).empty());
    source = collaborative ? NeighborSource::kCollaborative : NeighborSource::kContent;
  }
  if (source == NeighborSource::kCollaborative) {
    RECO_ASSIGN_OR_RETURN(response.result,
                          recommender_.Similar(response.bundle.get(), request.id, request.category,
                                               request.n, request.offset));
    response.neighbor_source = "collaborative";
    return response;
  }
  std::string_view kind;  // kContent: the item's supplied vector, else its clip, else its text
  if (source == NeighborSource::kText) kind = content::kKindText;
  if (source == NeighborSource::kSupplied) kind = content::kKindSupplied;
  if (source == NeighborSource::kClip) kind = content::kKindClip;
  if (content_ == nullptr) {
    if (!state_.FindItem(request.id)) {
      return NotFound("item " + std::string(request.id) + " not found");
    }
    response.result.degraded.push_back("content_vector_missing");
    return response;
  }
  RECO_ASSIGN_OR_RETURN(response.result,
                        content_->Similar(request.id, request.category, request.n, request.offset,
                                          kind, &response.neighbor_source));
  return response;
}

RecommendResponse RecommendService::UserNeighbors(const NeighborsRequest& request) {
  // Read from the online state alone: no models, so no snapshot.
  RecommendResponse response;
  response.result = recommender_.UserNeighbors(request.id, request.n, request.offset);
  return response;
}

Result<RecommendResponse> RecommendService::ItemDetail(const NeighborsRequest& request) {
  RecommendResponse response = Snapshot();
  RECO_ASSIGN_OR_RETURN(response.result, recommender_.ItemDetail(response.bundle.get(), request.id,
                                                                 request.user_id, request.n));
  return response;
}

}  // namespace reco::service
