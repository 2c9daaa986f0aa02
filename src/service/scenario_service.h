// ScenarioService: the scenarios of one store (CRUD, validated by serving/scenario.h), the
// built-in templates they start from, and recommendations under a scenario. Scenarios are kept
// in the Store as the JSON text ScenarioToJson writes; this service also keeps the parsed form
// of the ones requests used, dropped on every change made through it.
//
// Thread-safety: safe from any number of request threads. Lifetime: borrows the Store,
// RecommendService and Clock, which must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "service/recommend_service.h"
#include "serving/scenario.h"
#include "store/store.h"

namespace reco::service {

// The most ids a request's exclude list may name.
inline constexpr size_t kMaxExclude = 1000;
// InvalidArgument naming `exclude`, `session` or `item` when one is not a valid id (or the
// exclude list is longer than kMaxExclude).
Status CheckScenarioRequest(const ScenarioRecommendRequest& request);

struct ScenarioInfo {
  ScenarioConfig config;
  TimestampUs created = 0;
  TimestampUs updated = 0;
};

class ScenarioService {
 public:
  ScenarioService(Store& store, RecommendService& recommend, const Clock& clock);

  Result<std::vector<ScenarioInfo>> List();
  Result<ScenarioInfo> Get(std::string_view name);  // NotFound naming the scenario
  // AlreadyExists when the name is taken.
  Result<ScenarioInfo> Create(const ScenarioConfig& config);
  // NotFound when there is no such scenario.
  Result<ScenarioInfo> Replace(const ScenarioConfig& config);
  Status Delete(std::string_view name);  // NotFound when there is no such scenario

  const std::vector<ScenarioTemplate>& Templates() const { return BuiltInTemplates(); }
  Result<const ScenarioTemplate*> Template(std::string_view name) const;  // NotFound

  // GET /api/recommend/{user_id}?scenario=NAME: NotFound naming the scenario when there is none;
  // CheckScenarioRequest's errors.
  Result<RecommendResponse> Recommend(std::string_view scenario,
                                      const ScenarioRecommendRequest& request);

 private:
  // The parsed scenario, from the cache or the store.
  Result<std::shared_ptr<const ScenarioConfig>> Lookup(std::string_view name);
  void Forget(std::string_view name);

  Store& store_;
  RecommendService& recommend_;
  const Clock& clock_;
  std::shared_mutex mu_;     // guards cache_ and generation_
  uint64_t generation_ = 0;  // changes made through this service
  std::unordered_map<std::string, std::shared_ptr<const ScenarioConfig>, StringHash,
                     std::equal_to<>>
      cache_;
};

}  // namespace reco::service
