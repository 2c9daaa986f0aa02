// GET /api/v1/openapi.json: built from the same RouteDoc table the router is filled from, so
// every route is described.
#include <map>

#include "api/api_service.h"
#include "core/json_writer.h"
#include "core/version.h"

namespace reco::api {
namespace {

constexpr const char* kSchemas = R"({
"User":{"type":"object","required":["UserId"],"properties":{"UserId":{"type":"string","maxLength":256},"Labels":{"description":"any JSON value"},"Subscribe":{"nullable":true},"Comment":{"type":"string"}}},
"UserPatch":{"type":"object","properties":{"Labels":{},"Comment":{"type":"string"}}},
"Item":{"type":"object","required":["ItemId"],"properties":{"ItemId":{"type":"string","maxLength":256},"IsHidden":{"type":"boolean"},"Categories":{"type":"array","items":{"type":"string"}},"Timestamp":{"type":"string","format":"date-time"},"Labels":{},"Comment":{"type":"string"}}},
"ItemPatch":{"type":"object","properties":{"IsHidden":{"type":"boolean"},"Categories":{"type":"array","items":{"type":"string"}},"Timestamp":{"type":"string","format":"date-time"},"Labels":{},"Comment":{"type":"string"}}},
"Feedback":{"type":"object","required":["FeedbackType","UserId","ItemId"],"properties":{"FeedbackType":{"type":"string"},"UserId":{"type":"string","maxLength":256},"ItemId":{"type":"string","maxLength":256},"Value":{"type":"number"},"Timestamp":{"type":"string","format":"date-time"},"Comment":{"type":"string"}}},
"Score":{"type":"object","properties":{"Id":{"type":"string"},"Score":{"type":"number"}}},
"RowAffected":{"type":"object","properties":{"RowAffected":{"type":"integer"}}},
"DatasetImport":{"type":"object","properties":{"Users":{"type":"integer"},"Items":{"type":"integer"},"Feedback":{"type":"integer"}}},
"UserCursor":{"type":"object","properties":{"Cursor":{"type":"string"},"Users":{"type":"array","items":{"$ref":"#/components/schemas/User"}}}},
"ItemCursor":{"type":"object","properties":{"Cursor":{"type":"string"},"Items":{"type":"array","items":{"$ref":"#/components/schemas/Item"}}}},
"FeedbackCursor":{"type":"object","properties":{"Cursor":{"type":"string"},"Feedback":{"type":"array","items":{"$ref":"#/components/schemas/Feedback"}}}},
"GorseHealth":{"type":"object","properties":{"Ready":{"type":"boolean"},"DataStoreError":{"type":"string","nullable":true},"CacheStoreError":{"type":"string","nullable":true},"DataStoreConnected":{"type":"boolean"},"CacheStoreConnected":{"type":"boolean"}}},
"Health":{"type":"object","properties":{"status":{"type":"string","enum":["healthy","degraded"]},"models_loaded":{"type":"boolean"},"store_ok":{"type":"boolean"},"store_writable":{"type":"boolean"},"read_only":{"type":"boolean","description":"the store was opened read-only: reco serve --read-only"},"store":{"type":"object","properties":{"ok":{"type":"boolean"},"writable":{"type":"boolean"},"read_only":{"type":"boolean"},"reason":{"type":"string","enum":["","read_only","disk_full","unreachable"]},"message":{"type":"string"}}},"model_version":{"type":"string"},"snapshot_id":{"type":"string"},"models":{"type":"object"},"recs_algorithm":{"type":"string","description":"algorithm of the per-user lists, when loaded"},"primary":{"$ref":"#/components/schemas/ServingVersion"},"canary":{"$ref":"#/components/schemas/ServingVersion"},"shadow":{"$ref":"#/components/schemas/ServingVersion"}}},
"ScoredItem":{"type":"object","properties":{"item_id":{"type":"string"},"score":{"type":"number"}}},
"SimilarResponse":{"type":"object","properties":{"item_id":{"type":"string"},"similar_items":{"type":"array","items":{"$ref":"#/components/schemas/ScoredItem"}},"model_version":{"type":"string"}}},
"DetailResponse":{"type":"object","properties":{"item_id":{"type":"string"},"user_id":{"type":"string"},"recommendations":{"type":"array","items":{"$ref":"#/components/schemas/ScoredItem"}},"model_version":{"type":"string"}}},
"ReloadRequest":{"type":"object","properties":{"run_id":{"type":"string","description":"registered run; default: the version holding the mode's alias"},"mode":{"type":"string","enum":["primary","canary","shadow"],"default":"primary"},"rollout":{"type":"number","description":"canary: share of users, shadow: share of requests, in (0, 1]","default":0.1}}},
"ServingVersion":{"type":"object","nullable":true,"properties":{"run_id":{"type":"string"},"model_version":{"type":"string"},"rollout":{"type":"number"}}},
"ReloadResponse":{"type":"object","properties":{"status":{"type":"string"},"model_version":{"type":"string"},"snapshot_id":{"type":"string"},"run_id":{"type":"string"},"selected_by":{"type":"string","enum":["run_id","production","newest_not_production","newest_files"]},"mode":{"type":"string"},"rollout":{"type":"number"},"files":{"type":"array","items":{"type":"string"}},"seconds":{"type":"number"}}},
"RunArtifact":{"type":"object","properties":{"path":{"type":"string","description":"relative to the data dir"},"kind":{"type":"string"},"bytes":{"type":"integer"},"sha256":{"type":"string"}}},
"Run":{"type":"object","properties":{"run_id":{"type":"string"},"status":{"type":"string","enum":["running","succeeded","failed"]},"started":{"type":"string","format":"date-time"},"finished":{"type":"string","format":"date-time","nullable":true},"duration_seconds":{"type":"number"},"algorithm":{"type":"string"},"params":{"type":"object","additionalProperties":{"type":"string"}},"metrics":{"type":"object","additionalProperties":{"type":"number"}},"data":{"type":"object","properties":{"snapshot_id":{"type":"string"},"watermarks":{"type":"object"},"row_counts":{"type":"object"}}},"code_version":{"type":"string"},"reco_version":{"type":"string"},"artifacts":{"type":"array","items":{"$ref":"#/components/schemas/RunArtifact"}},"error":{"type":"string"}}},
"RunList":{"type":"object","properties":{"runs":{"type":"array","items":{"$ref":"#/components/schemas/Run"}},"problems":{"type":"array","items":{"type":"string"}}}},
"ModelVersion":{"type":"object","properties":{"run_id":{"type":"string"},"created":{"type":"string","format":"date-time"},"aliases":{"type":"array","items":{"type":"string","enum":["production","shadow","canary","previous"]}},"metrics":{"type":"object","additionalProperties":{"type":"number"}},"artifacts":{"type":"array","items":{"$ref":"#/components/schemas/RunArtifact"}},"snapshot_id":{"type":"string"},"algorithm":{"type":"string"},"code_version":{"type":"string"},"registered":{"type":"string","format":"date-time"}}},
"ModelRegistry":{"type":"object","properties":{"versions":{"type":"array","items":{"$ref":"#/components/schemas/ModelVersion"}}}},
"JobRun":{"type":"object","properties":{"id":{"type":"integer"},"job":{"type":"string"},"trigger":{"type":"string","enum":["scheduled","manual"]},"status":{"type":"string","enum":["queued","running","succeeded","failed","timed_out"]},"attempts":{"type":"integer"},"scheduled_for":{"type":"string","format":"date-time","nullable":true},"created":{"type":"string","format":"date-time"},"start":{"type":"string","format":"date-time","nullable":true},"end":{"type":"string","format":"date-time","nullable":true},"holder":{"type":"string"},"error":{"type":"string"}}},
"Job":{"type":"object","properties":{"name":{"type":"string"},"cron":{"type":"string","description":"5-field cron in UTC; empty = manual only"},"timeout_seconds":{"type":"number"},"max_retries":{"type":"integer"},"next_run":{"type":"string","format":"date-time","nullable":true},"last_run":{"allOf":[{"$ref":"#/components/schemas/JobRun"}],"nullable":true}}},
"JobList":{"type":"object","properties":{"leader":{"type":"string","description":"holder of the scheduler lease"},"lease_expires":{"type":"string","format":"date-time","nullable":true},"holder":{"type":"string","description":"this server's scheduler"},"is_leader":{"type":"boolean"},"jobs":{"type":"array","items":{"$ref":"#/components/schemas/Job"}}}},
"JobRunId":{"type":"object","properties":{"run_id":{"type":"integer"},"job":{"type":"string"},"status":{"type":"string"}}},
"PipelineRunRequest":{"type":"object","properties":{"date":{"type":"string","format":"date"},"full_refresh":{"type":"boolean"},"only":{"type":"string"},"from":{"type":"string"},"resume":{"type":"string","description":"run id to continue from its first unfinished task"},"mode":{"type":"string","enum":["primary","canary"]},"rollout":{"type":"number"}}},
"PipelineRunId":{"type":"object","properties":{"run_id":{"type":"string"},"status":{"type":"string"}}},
"PipelineTask":{"type":"object","properties":{"name":{"type":"string"},"status":{"type":"string","enum":["pending","running","succeeded","failed","skipped"]},"start":{"type":"string","format":"date-time","nullable":true},"end":{"type":"string","format":"date-time","nullable":true},"attempts":{"type":"integer"},"message":{"type":"string"},"log_file":{"type":"string"}}},
"PipelineRun":{"type":"object","properties":{"run_id":{"type":"string"},"status":{"type":"string","enum":["running","succeeded","failed"]},"start":{"type":"string","format":"date-time"},"end":{"type":"string","format":"date-time","nullable":true},"date":{"type":"string","format":"date"},"request":{"$ref":"#/components/schemas/PipelineRunRequest"},"resumes":{"type":"integer"},"published":{"type":"boolean"},"reason":{"type":"string"},"outputs":{"type":"object","additionalProperties":{"type":"string"}},"tasks":{"type":"array","items":{"$ref":"#/components/schemas/PipelineTask"}}}},
"PipelineRunList":{"type":"object","properties":{"runs":{"type":"array","items":{"$ref":"#/components/schemas/PipelineRun"}},"problems":{"type":"array","items":{"type":"string"}}}},
"ExperimentVariant":{"type":"object","properties":{"name":{"type":"string"},"weight":{"type":"number","description":"> 0; relative share of the experiment's users"},"target_kind":{"type":"string","enum":["scenario","model_version"]},"target":{"type":"string"}}},
"ExperimentDefinition":{"type":"object","properties":{"id":{"type":"string","description":"POST only; [A-Za-z0-9_.-]"},"name":{"type":"string"},"layer":{"type":"string"},"traffic":{"type":"number","description":"fraction of the layer's users, (0, 1]"},"variants":{"type":"array","items":{"$ref":"#/components/schemas/ExperimentVariant"},"description":"2..16; the first is the control"},"click_types":{"type":"array","items":{"type":"string"}},"conversion_types":{"type":"array","items":{"type":"string"}}}},
"Experiment":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"layer":{"type":"string"},"status":{"type":"string","enum":["draft","running","stopped"]},"traffic":{"type":"number"},"buckets":{"type":"array","items":{"type":"integer"},"description":"[first, end) of the layer's 10000 buckets"},"variants":{"type":"array","items":{"$ref":"#/components/schemas/ExperimentVariant"}},"click_types":{"type":"array","items":{"type":"string"}},"conversion_types":{"type":"array","items":{"type":"string"}},"started_at":{"type":"string","format":"date-time","nullable":true},"stopped_at":{"type":"string","format":"date-time","nullable":true},"created_at":{"type":"string","format":"date-time"},"updated_at":{"type":"string","format":"date-time"}}},
"ExperimentList":{"type":"object","properties":{"experiments":{"type":"array","items":{"$ref":"#/components/schemas/Experiment"}}}},
"ExperimentComparison":{"type":"object","properties":{"valid":{"type":"boolean"},"control":{"type":"number"},"treatment":{"type":"number"},"difference":{"type":"number"},"ci_low":{"type":"number"},"ci_high":{"type":"number"},"std_error":{"type":"number"},"z":{"type":"number"},"p_value":{"type":"number"},"sequential_p_value":{"type":"number"},"significant":{"type":"boolean","description":"sequential_p_value < alpha"}}},
"ExperimentResults":{"type":"object","properties":{"experiment":{"$ref":"#/components/schemas/Experiment"},"computed_at":{"type":"string","format":"date-time"},"alpha":{"type":"number"},"window":{"type":"object","properties":{"start":{"type":"string","format":"date-time","nullable":true},"end":{"type":"string","format":"date-time","nullable":true}}},"looks":{"type":"integer"},"variants":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"users":{"type":"integer"},"exposures":{"type":"integer"},"clicks":{"type":"integer"},"ctr":{"type":"number"},"conversions":{"type":"integer"},"converted_users":{"type":"integer"},"conversion_rate":{"type":"number"},"clicked_users":{"type":"integer"},"clicked_user_rate":{"type":"number"},"conversions_per_exposure":{"type":"number"}}}},"comparisons":{"type":"array","items":{"type":"object","properties":{"variant":{"type":"string"},"ctr":{"$ref":"#/components/schemas/ExperimentComparison"},"conversion_rate":{"$ref":"#/components/schemas/ExperimentComparison"},"clicked_user_rate":{"$ref":"#/components/schemas/ExperimentComparison"},"conversions_per_exposure":{"$ref":"#/components/schemas/ExperimentComparison"}}}},"srm":{"type":"object","properties":{"chi_square":{"type":"number"},"dof":{"type":"integer"},"p_value":{"type":"number"},"mismatch":{"type":"boolean"}}},"log":{"type":"object","properties":{"lines":{"type":"integer"},"bad_lines":{"type":"integer"},"unknown_variant_exposures":{"type":"integer"},"switched_users":{"type":"integer"}}}}},
"ExperimentAssignment":{"type":"object","properties":{"user_id":{"type":"string"},"assignments":{"type":"array","items":{"type":"object","properties":{"experiment_id":{"type":"string"},"layer":{"type":"string"},"variant":{"type":"string"},"target_kind":{"type":"string","enum":["scenario","model_version"]},"target":{"type":"string"}}}}}},
"TenantQuotas":{"type":"object","properties":{"max_users":{"type":"integer","description":"0 = no limit"},"max_items":{"type":"integer","description":"0 = no limit"},"requests_per_second":{"type":"number","description":"token bucket; 0 = no limit"}}},
"TenantCreate":{"type":"object","required":["name"],"properties":{"name":{"type":"string","pattern":"^[a-z0-9][a-z0-9_-]{0,62}$"},"max_users":{"type":"integer"},"max_items":{"type":"integer"},"requests_per_second":{"type":"number"}}},
"Tenant":{"type":"object","properties":{"name":{"type":"string"},"created":{"type":"string","format":"date-time","nullable":true},"quotas":{"$ref":"#/components/schemas/TenantQuotas"},"keys":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"created":{"type":"string","format":"date-time"}}}}}},
"TenantList":{"type":"object","properties":{"tenants":{"type":"array","items":{"$ref":"#/components/schemas/Tenant"}}}},
"TenantKeyRequest":{"type":"object","properties":{"revoke_others":{"type":"boolean","default":false}}},
"TenantKey":{"type":"object","properties":{"tenant":{"type":"string"},"key_id":{"type":"string"},"key":{"type":"string","description":"shown only in this answer"}}},
"TenantKeyRevoked":{"type":"object","properties":{"tenant":{"type":"string"},"revoked":{"type":"string"}}},
"TenantDeleted":{"type":"object","properties":{"deleted":{"type":"string"}}},
"Scenario":{"type":"object","description":"docs/scenarios.md","properties":{"name":{"type":"string"},"description":{"type":"string"},"template":{"type":"string"},"recall":{"type":"array","items":{"type":"object","properties":{"source":{"type":"string","enum":["recs","swing","itemcf","popular","hot","category_popular","latest","vector"]},"quota":{"type":"integer","minimum":1,"maximum":10000}}}},"filters":{"type":"object","properties":{"categories":{"type":"array","items":{"type":"string"}},"labels":{"type":"array","items":{"type":"string"}},"labels_match":{"type":"string","enum":["any","all"]},"exclude_seen":{"type":"boolean"},"session_dedup":{"type":"boolean"},"exclude_hidden":{"type":"boolean"}}},"ranker":{"type":"string","enum":["none","ranker"]},"rerank":{"type":"object","properties":{"kind":{"type":"string","enum":["none","diversity","mmr"]},"window":{"type":"integer"},"max_per_category":{"type":"integer"},"lambda":{"type":"number"}}},"fallback":{"type":"array","items":{"type":"string"}},"created":{"type":"string","format":"date-time"},"updated":{"type":"string","format":"date-time"}}},
"Template":{"type":"object","properties":{"name":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"scenario":{"$ref":"#/components/schemas/Scenario"}}},
"AnalyticsBasis":{"type":"object","description":"docs/analytics.md","properties":{"window":{"type":"object","properties":{"from":{"type":"string","format":"date-time"},"to":{"type":"string","format":"date-time","description":"exclusive"}}},"click_types":{"type":"array","items":{"type":"string"}},"conversion_types":{"type":"array","items":{"type":"string"}},"click_window_seconds":{"type":"number"},"log":{"type":"object","properties":{"files":{"type":"integer"},"skipped_files":{"type":"integer","description":"last written before the window: not read"},"lines":{"type":"integer"},"bad_lines":{"type":"integer","description":"not valid exposure lines: skipped"}}}}},
"AnalyticsCounts":{"type":"object","properties":{"exposures":{"type":"integer","description":"lists served"},"exposed_users":{"type":"integer"},"impressions":{"type":"integer","description":"items shown"},"clicks":{"type":"integer","description":"lists with a click on a shown item within the click window"},"clicked_items":{"type":"integer"},"ctr":{"type":"number","description":"clicks / exposures"},"item_ctr":{"type":"number","description":"clicked_items / impressions"},"conversions":{"type":"integer","description":"lists with a conversion on a shown item within the click window"}}},
"AnalyticsSummary":{"allOf":[{"$ref":"#/components/schemas/AnalyticsBasis"},{"type":"object","properties":{"group_by":{"type":"array","items":{"type":"string"},"description":"the dimension columns of each row; experiment adds experiment_variant"},"rows":{"type":"array","items":{"allOf":[{"$ref":"#/components/schemas/AnalyticsCounts"},{"type":"object","additionalProperties":{"type":"string"},"description":"one string per group_by column"}]}},"totals":{"$ref":"#/components/schemas/AnalyticsCounts"}}}]},
"AnalyticsTopItems":{"allOf":[{"$ref":"#/components/schemas/AnalyticsBasis"},{"type":"object","properties":{"by":{"type":"string","enum":["exposures","clicks","ctr"]},"items":{"type":"array","items":{"type":"object","properties":{"item_id":{"type":"string"},"exposures":{"type":"integer"},"clicks":{"type":"integer"},"ctr":{"type":"number"}}}}}}]},
"AnalyticsCoverage":{"allOf":[{"$ref":"#/components/schemas/AnalyticsBasis"},{"type":"object","properties":{"catalogue_items":{"type":"integer","description":"items not hidden"},"exposed_items":{"type":"integer"},"exposed_catalogue_items":{"type":"integer"},"coverage":{"type":"number","description":"exposed_catalogue_items / catalogue_items"},"impressions":{"type":"integer"},"gini":{"type":"number"},"top_items":{"type":"integer","description":"the top 1 % of items, at least 1"},"top_share":{"type":"number"}}}]},
"RealtimeCounts":{"type":"object","properties":{"impressions":{"type":"number","description":"items shown in served lists"},"clicks":{"type":"number","description":"clicks credited to those impressions"},"ctr":{"type":"number","description":"clicks / impressions"}}},
"RealtimeReport":{"type":"object","description":"docs/realtime.md","properties":{"window":{"type":"string"},"by":{"type":"string","enum":["item","model_version","scenario"]},"now":{"type":"string","format":"date-time"},"from":{"type":"string","format":"date-time","description":"start of the oldest bucket of a sliding window"},"bucket_seconds":{"type":"integer"},"half_life_seconds":{"type":"integer","description":"window decay only"},"keys":{"type":"integer"},"totals":{"$ref":"#/components/schemas/RealtimeCounts"},"rows":{"type":"array","items":{"allOf":[{"type":"object","properties":{"key":{"type":"string"}}},{"$ref":"#/components/schemas/RealtimeCounts"}]}}}},
"Error":{"type":"object","properties":{"error":{"type":"object","properties":{"code":{"type":"integer"},"status":{"type":"string"},"message":{"type":"string"},"field":{"type":"string"}}}}}
})";

void WriteSchemaRef(JsonWriter& w, const std::string& name) {
  w.BeginObject();
  if (name == "text" || name == "html" || name == "file" || name == "ndjson") {
    w.Key("type").String("string");
  } else if (name == "object") {
    w.Key("type").String("object");
  } else if (name == "string[]") {
    w.Key("type")
        .String("array")
        .Key("items")
        .BeginObject()
        .Key("type")
        .String("string")
        .EndObject();
  } else if (name.size() > 2 && name.compare(name.size() - 2, 2, "[]") == 0) {
    w.Key("type").String("array").Key("items").BeginObject();
    w.Key("$ref").String("#/components/schemas/" + name.substr(0, name.size() - 2));
    w.EndObject();
  } else {
    w.Key("$ref").String("#/components/schemas/" + name);
  }
  w.EndObject();
}

// The media type of a response schema: "text", "html" and "file" are not JSON.
std::string_view ResponseContentType(const std::string& schema) {
  if (schema == "text") return "text/plain";
  if (schema == "html") return "text/html";
  if (schema == "file") return "application/octet-stream";
  if (schema == "ndjson") return "application/x-ndjson";
  return "application/json";
}

std::vector<std::string> PathParams(const std::string& pattern) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = pattern.find('{', pos)) != std::string::npos) {
    size_t end = pattern.find('}', pos);
    out.push_back(pattern.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A header, path or query parameter of type string.
void WriteParameter(JsonWriter& w, std::string_view name, std::string_view in,
                    std::string_view description) {
  w.BeginObject().Key("name").String(name).Key("in").String(in);
  if (in == "path") {
    w.Key("required").Bool(true);
  } else {
    w.Key("description").String(description);
  }
  w.Key("schema").BeginObject().Key("type").String("string").EndObject().EndObject();
}

// Path parameters, query parameters, then the credential header the route asks for.
void WriteParameters(JsonWriter& w, const RouteDoc& doc) {
  w.Key("parameters").BeginArray();
  for (const auto& p : PathParams(doc.pattern)) WriteParameter(w, p, "path", "");
  for (const auto& [name, description] : doc.query) WriteParameter(w, name, "query", description);
  if (doc.admin) {
    WriteParameter(w, "Authorization", "header",
                   *doc.admin == AdminScope::kReload
                       ? "Bearer <MODEL_RELOAD_TOKEN>, else Bearer <server.api_key> (also as "
                         "X-API-Key); loopback clients only when neither is configured"
                       : "Bearer <server.api_key> (also as X-API-Key), else Bearer "
                         "<MODEL_RELOAD_TOKEN>; loopback clients only when neither is "
                         "configured");
  } else if (doc.needs_api_key) {
    WriteParameter(w, "X-API-Key", "header", "required when server.api_key is configured");
  }
  w.EndArray();
}

// The operation object of one route: summary, tag, parameters, request body and responses.
void WriteOperation(JsonWriter& w, const RouteDoc& doc) {
  w.Key(Lower(doc.method)).BeginObject();
  w.Key("summary").String(doc.summary);
  w.Key("tags").BeginArray().String(doc.tag).EndArray();
  WriteParameters(w, doc);
  if (!doc.request_schema.empty()) {
    w.Key("requestBody").BeginObject().Key("required").Bool(true).Key("content").BeginObject();
    w.Key(ResponseContentType(doc.request_schema)).BeginObject().Key("schema");
    WriteSchemaRef(w, doc.request_schema);
    w.EndObject().EndObject().EndObject();
  }
  w.Key("responses").BeginObject();
  w.Key("200").BeginObject().Key("description").String("OK").Key("content").BeginObject();
  w.Key(ResponseContentType(doc.response_schema)).BeginObject();
  w.Key("schema");
  WriteSchemaRef(w, doc.response_schema);
  w.EndObject().EndObject().EndObject();
  w.Key("default").BeginObject().Key("description").String("error");
  w.Key("content").BeginObject().Key("application/json").BeginObject().Key("schema");
  WriteSchemaRef(w, "Error");
  w.EndObject().EndObject().EndObject();
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string ApiService::OpenApiJson() const {
  std::map<std::string, std::vector<const RouteDoc*>> by_path;
  for (const RouteDoc& doc : docs_) by_path[doc.pattern].push_back(&doc);
  JsonWriter w;
  w.BeginObject().Key("openapi").String("3.0.3");
  w.Key("info").BeginObject().Key("title").String("reco REST API");
  w.Key("version").String(RecoVersion());
  w.Key("description")
      .String(
          "Gorse-compatible recommendation API plus operations routes. Errors are JSON: "
          "{\"error\":{\"code\",\"status\",\"message\",\"field\"}}.");
  w.EndObject();
  w.Key("paths").BeginObject();
  for (const auto& [path, ops] : by_path) {
    w.Key(path).BeginObject();
    for (const RouteDoc* doc : ops) WriteOperation(w, *doc);
    w.EndObject();
  }
  w.EndObject();
  w.Key("components").BeginObject().Key("schemas").Raw(kSchemas).EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace reco::api
