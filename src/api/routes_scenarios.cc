// Scenario routes: CRUD of the store's scenarios (/api/v1/scenarios) and the built-in templates
// they start from (/api/v1/templates). Each handler parses the request, calls the scenario
// service and writes the answer; serving/scenario.h validates the configurations.
#include "api/api_service.h"
#include "api/params.h"
#include "core/json_writer.h"
#include "service/scenario_service.h"

namespace reco::api {
namespace {

void WriteScenario(JsonWriter& w, const service::ScenarioInfo& info) {
  w.BeginObject();
  WriteScenarioFields(w, info.config);
  w.Key("created").TimestampOrNull(info.created).Key("updated").TimestampOrNull(info.updated);
  w.EndObject();
}

void WriteScenarioBody(HttpResponse& res, const service::ScenarioInfo& info) {
  JsonWriter w(std::move(res.body));
  WriteScenario(w, info);
  res.body = w.Take();
}

void WriteTemplate(JsonWriter& w, const ScenarioTemplate& t) {
  w.BeginObject().Key("name").String(t.name).Key("title").String(t.title);
  w.Key("description").String(t.scenario.description).Key("scenario").BeginObject();
  WriteScenarioFields(w, t.scenario);
  w.EndObject().EndObject();
}

}  // namespace

void ApiService::AddScenarioRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/scenarios",
       .summary = "Every scenario of the store, by name.",
       .tag = "scenarios",
       .response_schema = "Scenario[]"},
      [this](HttpRequest&, HttpResponse& res) {
        auto list = d_.scenarios->List();
        if (!list.ok()) return SetStatusError(res, list.status());
        JsonWriter w(std::move(res.body));
        w.BeginArray();
        for (const service::ScenarioInfo& info : *list) WriteScenario(w, info);
        w.EndArray();
        res.body = w.Take();
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/scenarios",
       .summary = "Create a scenario: a whole configuration with its name, or {\"template\", "
                  "\"name\"} with fields that edit the template's configuration. 201; 409 when "
                  "the name is taken; 400 naming the field that is wrong.",
       .tag = "scenarios",
       .request_schema = "Scenario",
       .response_schema = "Scenario",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<ScenarioConfig> config = ParseNewScenario(req.body());
        if (!config.ok()) return SetStatusError(res, config.status());
        auto created = d_.scenarios->Create(*config);
        if (!created.ok()) return SetStatusError(res, created.status());
        res.status = 201;
        WriteScenarioBody(res, *created);
      });
  AddScenarioItemRoutes(r);
  AddTemplateRoutes(r);
}

void ApiService::AddScenarioItemRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/scenarios/{name}",
       .summary = "One scenario's configuration. 404 when there is none.",
       .tag = "scenarios",
       .response_schema = "Scenario"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto info = d_.scenarios->Get(req.Param("name"));
        if (!info.ok()) return SetStatusError(res, info.status());
        WriteScenarioBody(res, *info);
      });
  Add(r,
      {.method = "PUT",
       .pattern = "/api/v1/scenarios/{name}",
       .summary = "Replace a scenario's configuration (fields left out take their defaults). "
                  "404 when there is none; 400 naming the field that is wrong.",
       .tag = "scenarios",
       .request_schema = "Scenario",
       .response_schema = "Scenario",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<ScenarioConfig> config = ParseScenario(req.body(), req.Param("name"));
        if (!config.ok()) return SetStatusError(res, config.status());
        auto replaced = d_.scenarios->Replace(*config);
        if (!replaced.ok()) return SetStatusError(res, replaced.status());
        WriteScenarioBody(res, *replaced);
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/v1/scenarios/{name}",
       .summary = "Delete a scenario. 404 when there is none.",
       .tag = "scenarios",
       .response_schema = "object",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        std::string_view name = req.Param("name");
        if (Status st = d_.scenarios->Delete(name); !st.ok()) return SetStatusError(res, st);
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("deleted").String(name).EndObject();
        res.body = w.Take();
      });
}

void ApiService::AddTemplateRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/templates",
       .summary = "The built-in scenario templates (e-commerce home feed, content detail page, "
                  "new-user onboarding) with their configurations.",
       .tag = "scenarios",
       .response_schema = "Template[]"},
      [this](HttpRequest&, HttpResponse& res) {
        JsonWriter w(std::move(res.body));
        w.BeginArray();
        for (const ScenarioTemplate& t : d_.scenarios->Templates()) WriteTemplate(w, t);
        w.EndArray();
        res.body = w.Take();
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/templates/{name}",
       .summary = "One built-in template. 404 when there is none.",
       .tag = "scenarios",
       .response_schema = "Template"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto t = d_.scenarios->Template(req.Param("name"));
        if (!t.ok()) return SetStatusError(res, t.status());
        JsonWriter w(std::move(res.body));
        WriteTemplate(w, **t);
        res.body = w.Take();
      });
}

}  // namespace reco::api
