#include "service/scenario_service.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

#include "store/id_check.h"

namespace reco::service {
namespace {

// A stored scenario that no longer parses (written by another version) is an internal error
// naming it, not a client's mistake.
Result<ScenarioInfo> Decode(const ScenarioRecord& record) {
  Result<ScenarioConfig> config = ParseScenario(record.config_json, record.name);
  if (!config.ok()) {
    return Internal("stored scenario \"" + record.name +
                    "\" does not parse: " + config.status().message());
  }
  return ScenarioInfo{std::move(config).value(), record.created, record.updated};
}

std::string Quoted(std::string_view name) { return "\"" + std::string(name.substr(0, 64)) + "\""; }

}  // namespace

ScenarioService::ScenarioService(Store& store, RecommendService& recommend, const Clock& clock)
    : store_(store), recommend_(recommend), clock_(clock) {}

Result<std::vector<ScenarioInfo>> ScenarioService::List() {
  RECO_ASSIGN_OR_RETURN(std::vector<ScenarioRecord> records, store_.ListScenarios());
  std::vector<ScenarioInfo> out;
  out.reserve(records.size());
  for (const ScenarioRecord& record : records) {
    RECO_ASSIGN_OR_RETURN(ScenarioInfo info, Decode(record));
    out.push_back(std::move(info));
  }
  return out;
}

Result<ScenarioInfo> ScenarioService::Get(std::string_view name) {
  Result<ScenarioRecord> record = store_.GetScenario(name);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return NotFound("scenario " + Quoted(name) + " not found");
    }
    return record.status();
  }
  return Decode(*record);
}

Result<ScenarioInfo> ScenarioService::Create(const ScenarioConfig& config) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(config.name));
  const TimestampUs now = clock_.NowMicros();
  ScenarioRecord record{config.name, ScenarioToJson(config), now, now};
  RECO_RETURN_IF_ERROR(store_.InsertScenario(record));
  Forget(config.name);
  spdlog::info("event=scenario_created name={} template={}", config.name, config.template_name);
  return ScenarioInfo{config, now, now};
}

Result<ScenarioInfo> ScenarioService::Replace(const ScenarioConfig& config) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(config.name));
  const TimestampUs now = clock_.NowMicros();
  Status st = store_.UpdateScenario({config.name, ScenarioToJson(config), 0, now});
  Forget(config.name);
  if (!st.ok()) return st;
  spdlog::info("event=scenario_updated name={}", config.name);
  return Get(config.name);
}

Status ScenarioService::Delete(std::string_view name) {
  RECO_ASSIGN_OR_RETURN(int64_t deleted, store_.DeleteScenario(name));
  Forget(name);
  if (deleted == 0) return NotFound("scenario " + Quoted(name) + " not found");
  spdlog::info("event=scenario_deleted name={}", name);
  return Status::Ok();
}

Result<const ScenarioTemplate*> ScenarioService::Template(std::string_view name) const {
  const ScenarioTemplate* t = FindTemplate(name);
  if (t == nullptr) return NotFound("template " + Quoted(name) + " not found");
  return t;
}

Status CheckScenarioRequest(const ScenarioRecommendRequest& request) {
  if (request.exclude.size() > kMaxExclude) {
    return InvalidArgument("exclude: more than " + std::to_string(kMaxExclude) + " item ids",
                           "exclude");
  }
  for (std::string_view id : request.exclude) RECO_RETURN_IF_ERROR(CheckId(id, "exclude"));
  if (!request.session.empty()) RECO_RETURN_IF_ERROR(CheckId(request.session, "session"));
  if (!request.context_item.empty()) RECO_RETURN_IF_ERROR(CheckId(request.context_item, "item"));
  return Status::Ok();
}

Result<RecommendResponse> ScenarioService::Recommend(std::string_view scenario,
                                                     const ScenarioRecommendRequest& request) {
  RECO_RETURN_IF_ERROR(CheckScenarioRequest(request));
  // The requested scenario must exist whatever an experiment serves instead (404 otherwise).
  RECO_ASSIGN_OR_RETURN(std::shared_ptr<const ScenarioConfig> config, Lookup(scenario));
  const experiment::ServingPlan plan = recommend_.Plan(request.base.user_id, scenario);
  bool missing = false;
  if (!plan.scenario.empty() && plan.scenario != scenario) {
    Result<std::shared_ptr<const ScenarioConfig>> variant = Lookup(plan.scenario);
    if (variant.ok()) {
      config = *std::move(variant);
    } else {
      // A variant's scenario deleted while its experiment runs: the requested one answers.
      missing = true;
      spdlog::warn("event=experiment_scenario_missing experiment={} scenario={} reason=\"{}\"",
                   plan.scenario_experiment, plan.scenario, variant.status().ToString());
    }
  }
  RECO_ASSIGN_OR_RETURN(RecommendResponse response,
                        recommend_.RecommendScenario(*config, request, plan));
  if (missing) response.result.degraded.emplace_back(kExperimentScenarioMissing);
  return response;
}

Result<std::shared_ptr<const ScenarioConfig>> ScenarioService::Lookup(std::string_view name) {
  uint64_t generation = 0;
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  RECO_ASSIGN_OR_RETURN(ScenarioInfo info, Get(name));
  auto config = std::make_shared<const ScenarioConfig>(std::move(info.config));
  std::unique_lock lock(mu_);
  // A change made while the store was read may have been read before it: serve this answer,
  // but keep it only when no change happened meanwhile.
  if (generation == generation_) cache_.try_emplace(std::string(name), config);
  return config;
}

void ScenarioService::Forget(std::string_view name) {
  std::unique_lock lock(mu_);
  ++generation_;
  auto it = cache_.find(name);
  if (it != cache_.end()) cache_.erase(it);
}

}  // namespace reco::service
