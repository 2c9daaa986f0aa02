// RecommendService: every recommendation question of every transport — recommend (with the
// canary/shadow split and the optional write-back), session recommend, popular, latest, item
// and user neighbours, similar items and item-detail. Each request takes one snapshot of the
// primary ModelBundle and passes it down to the Recommender and the Rollout: the list, the
// model version answered and the exposure log all name the version that produced the list,
// even when a reload swaps the bundle in the middle of the request.
//
// With an ExperimentService, Recommend and RecommendScenario serve the user's A/B experiment
// variants (experiment/serving.h): a variant's model version is taken from VersionBundles and
// answers instead of the canary/primary split, the response and the exposure line name the
// experiments that applied (docs/experiments.md, "Serving a variant").
//
// Thread-safety: safe from any number of request threads. Owns the session pages of scenario
// requests (serving/session_pages.h). Lifetime: borrows the Recommender, BundleHolder,
// OnlineState, Rollout, FeedbackService, Clock and the optional ExperimentService and
// VersionBundles, which must outlive it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "experiment/serving.h"
#include "service/experiment_service.h"
#include "service/feedback_service.h"
#include "serving/bundle.h"
#include "serving/content_index.h"
#include "serving/explorer.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/recommender.h"
#include "serving/rollout.h"
#include "serving/scenario.h"
#include "serving/session_pages.h"
#include "serving/version_bundles.h"

namespace reco::service {

// The degraded reason of a request whose experiment variant's model version could not be
// loaded (the primary answered instead).
inline constexpr std::string_view kExperimentVersionUnavailable =
    "experiment_model_version_unavailable";
// ... and of one whose variant's scenario does not exist (the requested one answered).
inline constexpr std::string_view kExperimentScenarioMissing = "experiment_scenario_missing";
// The policy of an answer the new users' exploration mix produced (X-Reco-Policy).
inline constexpr std::string_view kExplorePolicy = "explore";

// The request fields are views: the caller keeps the text alive for the call.
struct RecommendRequest {
  std::string_view request_id;  // names the request in the exposure log
  std::string_view user_id;
  std::string_view category;  // "" = every category
  int n = 10;
  int offset = 0;
  // Non-empty: the returned items are written back as feedback of this type (an upsert through
  // FeedbackService, dated now + write_back_delay).
  std::string_view write_back_type;
  TimestampUs write_back_delay = 0;
};

// A list and the snapshot that produced it.
struct RecommendResponse {
  RecommendResult result;
  std::shared_ptr<const ModelBundle> bundle;          // null when no models are loaded
  std::string_view model_version;                     // the bundle's version label; "" without one
  ServingVariant variant = ServingVariant::kPrimary;  // kExperiment: an experiment's version
  // The scenario served (X-Reco-Scenario): an experiment's variant may serve another than the
  // one asked; "" for the plain route and the other lists.
  std::string scenario;
  // The A/B experiments that applied to the request, with the user's variant, by layer
  // (X-Reco-Experiments); empty when none.
  std::vector<experiment::Assignment> experiments;
  // Which policy produced the list (X-Reco-Policy): kExplorePolicy for a new user's
  // exploration mix (serving/explorer.h); "" for the collaborative chain.
  std::string_view policy;
  // Item neighbours: where they came from ("collaborative", "text", "supplied"; X-Reco-Source).
  std::string neighbor_source;
  // The bundle's creation time as RFC 3339 text ("" without one): /similar's model_version.
  std::string_view created_text() const {
    return bundle == nullptr ? std::string_view() : std::string_view(bundle->created_text());
  }
};

// GET /api/recommend/{user_id}?scenario=: the plain request's fields (write-back included)
// plus what a scenario reads.
struct ScenarioRecommendRequest {
  RecommendRequest base;
  std::string_view context_item;          // ?item=: the page's item ("" = none)
  std::vector<std::string_view> exclude;  // ?exclude=: item ids never served
  std::string_view session;               // ?session=: pages of one session do not repeat items
};

struct SessionRecommendRequest {
  std::vector<Feedback> rows;  // the session, in any order (sorted here by timestamp)
  std::string_view category;
  int n = 10;
  int offset = 0;
};

// Popular or latest items, overall or in one category.
struct ListRequest {
  std::string_view request_id;
  std::string_view category;
  int n = 10;
  int offset = 0;
};

struct NeighborsRequest {
  std::string_view id;        // item (item neighbours, similar, detail) or user
  std::string_view category;  // item neighbours only
  std::string_view user_id;   // item-detail only: the viewing user ("" = anonymous)
  int n = 10;
  int offset = 0;
  // Item neighbours only (serving/content_index.h, ParseNeighborSource): "" or "auto" =
  // collaborative when the model has neighbours for the item, else content.
  std::string_view source;
};

class RecommendService {
 public:
  // `primary` holds the primary bundle (ModelManager::bundles()); `recommender` and `rollout`
  // are the ones answering from it.
  // `experiments` and `versions` (both or neither) serve A/B experiments; null: none.
  RecommendService(const Recommender& recommender, const BundleHolder& primary,
                   const OnlineState& state, Rollout& rollout, FeedbackService& feedback,
                   const Clock& clock, ExperimentService* experiments = nullptr,
                   VersionBundles* versions = nullptr, const ContentIndexes* content = nullptr);

  // With an Explorer, the users it applies to (fewer positive feedbacks than
  // explore.min_history) get its exploration mix on the plain route instead: answered from the
  // primary (or an experiment's model version; canaries judge collaborative answers), logged
  // like a list of another route (not counted by the canary guardrails), with policy
  // kExplorePolicy. Null (the default): none.
  void SetExplorer(const Explorer* explorer) { explorer_ = explorer; }
  // The canary answers users in its fraction, the primary the others, unless an experiment's
  // variant names a model version for the user; the list is logged. Errors are the
  // write-back's (the list is not returned then).
  Result<RecommendResponse> Recommend(const RecommendRequest& request);
  // What the user's experiments change about a request for `scenario` ("" = the plain route);
  // empty without an ExperimentService.
  experiment::ServingPlan Plan(std::string_view user_id, std::string_view scenario) const;
  // The list of `scenario` (the primary bundle answers — canaries are for the plain route —
  // or the model version `plan` names), logged under the scenario's name with the experiments
  // of `plan`; with a session, the items are remembered for its next page. Errors are the
  // write-back's.
  Result<RecommendResponse> RecommendScenario(const ScenarioConfig& scenario,
                                              const ScenarioRecommendRequest& request,
                                              const experiment::ServingPlan& plan = {});
  // Reloads the running experiments (changes made by another process on the same store),
  // drops the model versions none of them names any more and loads those they name that are
  // not loaded yet; Ok without experiments.
  Status RefreshExperiments();
  RecommendResponse SessionRecommend(SessionRecommendRequest request);
  // Popular and latest lists are logged as scenario "popular[/category]" / "latest[/category]".
  RecommendResponse Popular(const ListRequest& request);
  RecommendResponse Latest(const ListRequest& request);
  // NotFound for an unknown item; InvalidArgument naming "source"; Unimplemented for source
  // "clip". Content neighbours come from `content` (none without it: an empty list).
  Result<RecommendResponse> ItemNeighbors(const NeighborsRequest& request);
  RecommendResponse UserNeighbors(const NeighborsRequest& request);
  // NotFound for an unknown item.
  Result<RecommendResponse> ItemDetail(const NeighborsRequest& request);

 private:
  // The request's snapshot of the primary bundle, with its version label.
  RecommendResponse Snapshot() const;
  Status WriteBack(const RecommendRequest& request, const RecommendResult& result);
  // Recommend for a user the Explorer applies to.
  Result<RecommendResponse> Explore(const RecommendRequest& request,
                                    experiment::ServingPlan plan);
  void RecordServed(const ListRequest& request, std::string_view route,
                    const RecommendResponse& response);
  // The bundle of the model version `plan` names; null when it names none, or when it cannot
  // be loaded (then `degraded` gets kExperimentVersionUnavailable).
  std::shared_ptr<const ModelBundle> ExperimentVersion(const experiment::ServingPlan& plan,
                                                       std::vector<std::string>& degraded);
  // A response holding the experiment's version when `plan` names one that loads (see
  // ExperimentVersion), else the current snapshot.
  RecommendResponse PlannedVersion(const experiment::ServingPlan& plan,
                                   std::vector<std::string>& degraded);

  const Recommender& recommender_;
  const BundleHolder& primary_;
  const OnlineState& state_;
  Rollout& rollout_;
  FeedbackService& feedback_;
  const Clock& clock_;
  ExperimentService* experiments_;
  VersionBundles* versions_;
  const ContentIndexes* content_;
  const Explorer* explorer_ = nullptr;
  SessionPages sessions_;
};

}  // namespace reco::service
