// A/B experiment routes: CRUD, start/stop, results and a user's assignment. Reads take the API
// key; changes are operators' actions (admin). The logic is in service/experiment_service.
#include "api/api_service.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "core/json_writer.h"
#include "experiment/experiment.h"

namespace reco::api {
namespace {

constexpr std::string_view kExample =
    R"({"id":"exp1","layer":"home","traffic":0.5,"variants":[{"name":"control","weight":1,)"
    R"("target_kind":"scenario","target":"home_feed"},{"name":"b","weight":1,)"
    R"("target_kind":"model_version","target":"RUN_ID"}],"click_types":["click"]})";

Result<std::vector<std::string>> StringArrayField(simdjson::dom::element value,
                                                  const std::string& key) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return InvalidArgument(key + ": must be an array of strings", key);
  }
  std::vector<std::string> out;
  for (simdjson::dom::element item : array) {
    RECO_ASSIGN_OR_RETURN(std::string text,
                          StringField(item, key + "[" + std::to_string(out.size()) + "]"));
    out.push_back(std::move(text));
  }
  return out;
}

Result<ExperimentVariantRecord> ParseVariant(simdjson::dom::element value, const std::string& at) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgument(at + ": must be an object with name, weight, target_kind, target", at);
  }
  ExperimentVariantRecord v;
  for (auto field : object) {
    const std::string key = at + "." + std::string(field.key);
    if (field.key == "name") {
      RECO_ASSIGN_OR_RETURN(v.name, StringField(field.value, key));
    } else if (field.key == "weight") {
      RECO_ASSIGN_OR_RETURN(v.weight, NumberField(field.value, key));
    } else if (field.key == "target_kind") {
      RECO_ASSIGN_OR_RETURN(v.target_kind, StringField(field.value, key));
    } else if (field.key == "target") {
      RECO_ASSIGN_OR_RETURN(v.target, StringField(field.value, key));
    } else {
      return UnknownField(key, "name, weight, target_kind, target");
    }
  }
  return v;
}

Result<std::vector<ExperimentVariantRecord>> ParseVariants(simdjson::dom::element value) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return InvalidArgument("variants: must be an array of variants", "variants");
  }
  std::vector<ExperimentVariantRecord> out;
  for (simdjson::dom::element item : array) {
    RECO_ASSIGN_OR_RETURN(auto v,
                          ParseVariant(item, "variants[" + std::to_string(out.size()) + "]"));
    out.push_back(std::move(v));
  }
  return out;
}

template <typename T>
Status Into(Result<T> parsed, T& out) {
  if (!parsed.ok()) return parsed.status();
  out = std::move(parsed).value();
  return Status::Ok();
}

Status ReadDefinitionField(std::string_view key, simdjson::dom::element value,
                           service::ExperimentDefinition& d) {
  const std::string k(key);
  if (key == "id") return Into(StringField(value, k), d.id);
  if (key == "name") return Into(StringField(value, k), d.name);
  if (key == "layer") return Into(StringField(value, k), d.layer);
  if (key == "traffic") return Into(NumberField(value, k), d.traffic);
  if (key == "variants") return Into(ParseVariants(value), d.variants);
  if (key == "click_types") return Into(StringArrayField(value, k), d.click_types);
  if (key == "conversion_types") return Into(StringArrayField(value, k), d.conversion_types);
  return UnknownField(key, "id, name, layer, traffic, variants, click_types, conversion_types");
}

// The body of POST (with an id) or PUT (the id is the path's; a differing body id is an error).
Result<service::ExperimentDefinition> ParseDefinition(const HttpRequest& req,
                                                      std::string_view path_id) {
  service::ExperimentDefinition d;
  RECO_RETURN_IF_ERROR(ForEachBodyField(req.body(), kExample, [&](auto key, auto value) {
    return ReadDefinitionField(key, value, d);
  }));
  if (!path_id.empty()) {
    if (!d.id.empty() && d.id != path_id) {
      return InvalidArgument("id: the body's id \"" + d.id + "\" differs from the path's", "id");
    }
    d.id = std::string(path_id);
  }
  return d;
}

void WriteExperiment(JsonWriter& w, const ExperimentRecord& e) {
  w.BeginObject().Key("id").String(e.id).Key("name").String(e.name);
  w.Key("layer").String(e.layer).Key("status").String(e.status);
  w.Key("traffic").Double(e.traffic);
  w.Key("buckets").BeginArray().Int(e.bucket_offset);
  w.Int(e.bucket_offset + experiment::TrafficBuckets(e.traffic)).EndArray();
  w.Key("variants").BeginArray();
  for (const auto& v : e.variants) {
    w.BeginObject().Key("name").String(v.name).Key("weight").Double(v.weight);
    w.Key("target_kind").String(v.target_kind).Key("target").String(v.target).EndObject();
  }
  w.EndArray();
  w.Key("click_types").StringArray(e.click_types);
  w.Key("conversion_types").StringArray(e.conversion_types);
  w.Key("started_at").TimestampOrNull(e.started_at).Key("stopped_at").TimestampOrNull(e.stopped_at);
  w.Key("created_at").TimestampOrNull(e.created_at).Key("updated_at").TimestampOrNull(e.updated_at);
  w.EndObject();
}

void WriteOne(HttpResponse& res, const Result<ExperimentRecord>& e, int status = 200) {
  if (!e.ok()) return SetStatusError(res, e.status());
  res.status = status;
  JsonWriter w(std::move(res.body));
  WriteExperiment(w, *e);
  res.body = w.Take();
}

void WriteComparison(JsonWriter& w, const experiment::MetricComparison& m) {
  const auto& t = m.test;
  w.BeginObject().Key("valid").Bool(t.valid).Key("control").Double(t.control);
  w.Key("treatment").Double(t.treatment).Key("difference").Double(t.difference);
  w.Key("ci_low").Double(t.ci_low).Key("ci_high").Double(t.ci_high);
  w.Key("std_error").Double(t.std_error).Key("z").Double(t.z);
  w.Key("p_value").Double(t.p_value).Key("sequential_p_value").Double(m.sequential_p_value);
  w.Key("significant").Bool(m.significant).EndObject();
}

void WriteVariantSummaries(JsonWriter& w, const experiment::ExperimentResults& r) {
  w.Key("variants").BeginArray();
  for (const auto& v : r.variants) {
    w.BeginObject().Key("name").String(v.name).Key("users").Int(v.users);
    w.Key("exposures").Int(v.exposures).Key("clicks").Int(v.clicks).Key("ctr").Double(v.ctr);
    w.Key("conversions").Int(v.conversions).Key("converted_users").Int(v.converted_users);
    w.Key("conversion_rate").Double(v.conversion_rate);
    w.Key("clicked_users")
        .Int(v.clicked_users)
        .Key("clicked_user_rate")
        .Double(v.clicked_user_rate);
    w.Key("conversions_per_exposure").Double(v.conversions_per_exposure).EndObject();
  }
  w.EndArray();
}

void WriteReport(HttpResponse& res, const service::ExperimentReport& report) {
  const auto& r = report.results;
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("experiment");
  WriteExperiment(w, report.experiment);
  w.Key("computed_at").Timestamp(report.computed_at).Key("alpha").Double(report.alpha);
  w.Key("window").BeginObject().Key("start").TimestampOrNull(report.window_start);
  w.Key("end").TimestampOrNull(report.window_end).EndObject();
  w.Key("looks").Int(r.looks);
  WriteVariantSummaries(w, r);
  w.Key("comparisons").BeginArray();
  for (const auto& c : r.comparisons) {
    w.BeginObject().Key("variant").String(c.variant).Key("ctr");
    WriteComparison(w, c.ctr);
    w.Key("conversion_rate");
    WriteComparison(w, c.conversion_rate);
    w.Key("clicked_user_rate");
    WriteComparison(w, c.clicked_user_rate);
    w.Key("conversions_per_exposure");
    WriteComparison(w, c.conversions_per_exposure);
    w.EndObject();
  }
  w.EndArray();
  w.Key("srm").BeginObject().Key("chi_square").Double(r.srm.chi_square).Key("dof").Int(r.srm.dof);
  w.Key("p_value").Double(r.srm.p_value).Key("mismatch").Bool(r.srm.mismatch).EndObject();
  w.Key("log").BeginObject().Key("lines").Int(report.log_lines);
  w.Key("bad_lines").Int(report.bad_lines);
  w.Key("unknown_variant_exposures").Int(report.unknown_variant_exposures);
  w.Key("switched_users").Int(report.switched_users).EndObject();
  w.EndObject();
  res.body = w.Take();
}

void WriteAssignments(HttpResponse& res, std::string_view user_id,
                      const std::vector<experiment::Assignment>& assignments) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("user_id").String(user_id).Key("assignments").BeginArray();
  for (const auto& a : assignments) {
    w.BeginObject().Key("experiment_id").String(a.experiment_id).Key("layer").String(a.layer);
    w.Key("variant").String(a.variant).Key("target_kind").String(a.target_kind);
    w.Key("target").String(a.target).EndObject();
  }
  w.EndArray().EndObject();
  res.body = w.Take();
}

}  // namespace

service::ExperimentService& ApiService::Experiments() {
  return *d_.experiments;
}

void ApiService::AddExperimentRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/experiments",
       .summary = "Every A/B experiment of the tenant, by id.",
       .tag = "experiments",
       .response_schema = "ExperimentList"},
      [this](HttpRequest&, HttpResponse& res) {
        auto list = Experiments().List();
        if (!list.ok()) return SetStatusError(res, list.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("experiments").BeginArray();
        for (const auto& e : *list) WriteExperiment(w, e);
        w.EndArray().EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/experiments",
       .summary = "Create a draft experiment (201). 400 naming the field, 409 for a taken id.",
       .tag = "experiments",
       .request_schema = "ExperimentDefinition",
       .response_schema = "Experiment",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        auto definition = ParseDefinition(req, "");
        if (!definition.ok()) return SetStatusError(res, definition.status());
        WriteOne(res, Experiments().Create(*definition), 201);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/experiments/{id}",
       .summary = "One experiment. 404 when there is none.",
       .tag = "experiments",
       .response_schema = "Experiment"},
      [this](HttpRequest& req, HttpResponse& res) {
        WriteOne(res, Experiments().Get(req.Param("id")));
      });
  AddExperimentEditRoutes(r);
}

void ApiService::AddExperimentEditRoutes(Router& r) {
  Add(r,
      {.method = "PUT",
       .pattern = "/api/v1/experiments/{id}",
       .summary = "Replace the definition. A running experiment changes only name and traffic "
                  "(a ramp keeps its users); 409 naming the field otherwise.",
       .tag = "experiments",
       .request_schema = "ExperimentDefinition",
       .response_schema = "Experiment",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        auto definition = ParseDefinition(req, req.Param("id"));
        if (!definition.ok()) return SetStatusError(res, definition.status());
        WriteOne(res, Experiments().Update(req.Param("id"), *definition));
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/v1/experiments/{id}",
       .summary = "Delete a draft or stopped experiment (409 while running).",
       .tag = "experiments",
       .response_schema = "RowAffected",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        Status st = Experiments().Delete(req.Param("id"));
        if (!st.ok()) return SetStatusError(res, st);
        WriteRowAffected(res, 1);
      });
  for (std::string action : {"start", "stop"}) {
    Add(r,
        {.method = "POST",
         .pattern = "/api/v1/experiments/{id}/" + action,
         .summary = action == "start"
                        ? "Start a draft: it takes a free range of its layer (409 when full)."
                        : "Stop a running experiment; its results stay readable.",
         .tag = "experiments",
         .response_schema = "Experiment",
         .admin = AdminScope::kOperate},
        [this, start = action == "start"](HttpRequest& req, HttpResponse& res) {
          const std::string_view id = req.Param("id");
          WriteOne(res, start ? Experiments().Start(id) : Experiments().Stop(id));
        });
  }
  AddExperimentReadRoutes(r);
}

void ApiService::AddExperimentReadRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/experiments/{id}/results",
       .summary = "Per variant: users, exposures, clicks, CTR, conversions; per treatment against "
                  "the control: difference, CI, p-value, always-valid sequential p-value; the "
                  "sample-ratio check.",
       .tag = "experiments",
       .response_schema = "ExperimentResults"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto report = Experiments().Results(req.Param("id"));
        if (!report.ok()) return SetStatusError(res, report.status());
        WriteReport(res, *report);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/experiments/assignment/{user_id}",
       .summary = "The user's variant of each running experiment it falls into (one per layer).",
       .tag = "experiments",
       .response_schema = "ExperimentAssignment"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto assigned = Experiments().Assign(req.Param("user_id"));
        if (!assigned.ok()) return SetStatusError(res, assigned.status());
        WriteAssignments(res, req.Param("user_id"), *assigned);
      });
}

}  // namespace reco::api
