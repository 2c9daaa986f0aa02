// reco.v1 ScenarioService and TemplateService over service::ScenarioService (the service of
// REST's /api/v1/scenarios and /api/v1/templates). Configurations travel as the JSON document
// REST takes (config_json), parsed and validated by serving/scenario.h as on REST.
#include "grpc/convert.h"
#include "grpc/services.h"
#include "reco/v1/scenario.grpc.pb.h"
#include "service/scenario_service.h"
#include "serving/scenario.h"

namespace reco::grpcapi {
namespace {

// An error of the configuration document names its field under config_json
// ("config_json.recall[0].source"); one of the whole document (REST's "body") names config_json.
Status InConfigJson(const Status& status) {
  if (status.code() != StatusCode::kInvalidArgument) return status;
  const std::string& field = status.field();
  if (field.empty() || field == "body") {
    std::string message = status.message();
    if (message.starts_with("body")) message.replace(0, 4, "config_json");
    return Status(status.code(), message, "config_json");
  }
  return Status(status.code(), status.message(), "config_json." + field);
}

Status NeedScenarios(const api::ApiDeps& d) {
  if (d.scenarios != nullptr) return Status::Ok();
  return Unavailable("this server has no scenario service");
}

void ToProto(const service::ScenarioInfo& info, v1::Scenario* out) {
  out->set_name(info.config.name);
  out->set_description(info.config.description);
  out->set_template_(info.config.template_name);
  out->set_config_json(ScenarioToJson(info.config));
  if (info.created != 0) ToTimestamp(info.created, out->mutable_created());
  if (info.updated != 0) ToTimestamp(info.updated, out->mutable_updated());
}

void ToProto(const ScenarioTemplate& t, v1::Template* out) {
  out->set_name(t.name);
  out->set_title(t.title);
  out->set_description(t.scenario.description);
  out->set_scenario_json(ScenarioToJson(t.scenario));
}

class ScenarioServiceImpl final : public v1::ScenarioService::Service {
 public:
  explicit ScenarioServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status ListScenarios(grpc::ServerContext* ctx, const v1::ListScenariosRequest*,
                             v1::ScenarioList* res) override {
    return c_.guard->Run(ctx, "ScenarioService/ListScenarios", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           RECO_ASSIGN_OR_RETURN(auto list, d.scenarios->List());
                           for (const auto& info : list) ToProto(info, res->add_scenarios());
                           return Status::Ok();
                         });
  }

  grpc::Status GetScenario(grpc::ServerContext* ctx, const v1::ScenarioName* req,
                           v1::Scenario* res) override {
    return c_.guard->Run(ctx, "ScenarioService/GetScenario", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           RECO_ASSIGN_OR_RETURN(auto info, d.scenarios->Get(req->name()));
                           ToProto(info, res);
                           return Status::Ok();
                         });
  }

  grpc::Status CreateScenario(grpc::ServerContext* ctx, const v1::CreateScenarioRequest* req,
                              v1::Scenario* res) override {
    return c_.guard->Run(ctx, "ScenarioService/CreateScenario", Access::kOperate,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           Result<ScenarioConfig> config = ParseNewScenario(req->config_json());
                           if (!config.ok()) return InConfigJson(config.status());
                           RECO_ASSIGN_OR_RETURN(auto created, d.scenarios->Create(*config));
                           ToProto(created, res);
                           return Status::Ok();
                         });
  }

  grpc::Status ReplaceScenario(grpc::ServerContext* ctx, const v1::ReplaceScenarioRequest* req,
                               v1::Scenario* res) override {
    return c_.guard->Run(ctx, "ScenarioService/ReplaceScenario", Access::kOperate,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           Result<ScenarioConfig> config =
                               ParseScenario(req->config_json(), req->name());
                           if (!config.ok()) return InConfigJson(config.status());
                           RECO_ASSIGN_OR_RETURN(auto replaced, d.scenarios->Replace(*config));
                           ToProto(replaced, res);
                           return Status::Ok();
                         });
  }

  grpc::Status DeleteScenario(grpc::ServerContext* ctx, const v1::ScenarioName* req,
                              v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "ScenarioService/DeleteScenario", Access::kOperate,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           RECO_RETURN_IF_ERROR(d.scenarios->Delete(req->name()));
                           res->set_rows_affected(1);
                           return Status::Ok();
                         });
  }

 private:
  RpcContext c_;
};

class TemplateServiceImpl final : public v1::TemplateService::Service {
 public:
  explicit TemplateServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status ListTemplates(grpc::ServerContext* ctx, const v1::ListTemplatesRequest*,
                             v1::TemplateList* res) override {
    return c_.guard->Run(ctx, "TemplateService/ListTemplates", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedScenarios(d));
                           for (const ScenarioTemplate& t : d.scenarios->Templates()) {
                             ToProto(t, res->add_templates());
                           }
                           return Status::Ok();
                         });
  }

  grpc::Status GetTemplate(grpc::ServerContext* ctx, const v1::TemplateName* req,
                           v1::Template* res) override {
    return c_.guard->Run(
        ctx, "TemplateService/GetTemplate", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_RETURN_IF_ERROR(NeedScenarios(d));
          RECO_ASSIGN_OR_RETURN(const ScenarioTemplate* t, d.scenarios->Template(req->name()));
          ToProto(*t, res);
          return Status::Ok();
        });
  }

 private:
  RpcContext c_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeScenarioServices(RpcContext context) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<ScenarioServiceImpl>(context));
  services.push_back(std::make_unique<TemplateServiceImpl>(context));
  return services;
}

}  // namespace reco::grpcapi
