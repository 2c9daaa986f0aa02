// reco.v1 RecommendService and ModelService over RecommendService and ModelService (the
// services of REST's recommendation routes, /models/reload and /api/v1/models).
#include "api/http/request_id.h"
#include "grpc/arena_allocator.h"
#include "grpc/convert.h"
#include "grpc/services.h"
#include "ingest/time_limits.h"
#include "reco/v1/model.grpc.pb.h"
#include "reco/v1/recommend.grpc.pb.h"
#include "service/model_service.h"
#include "service/recommend_service.h"
#include "service/scenario_service.h"
#include "store/id_check.h"

namespace reco::grpcapi {
namespace {

// The operators' routes (/similar, /recommend/detail) answer 5 items when asked for none.
constexpr int kOperatorDefaultN = 5;

// The client's x-request-id when it is sane, else a new id: names the request in the exposure
// log and in the answer, as REST's X-Request-Id.
std::string RequestId(const grpc::ServerContextBase* ctx) {
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("x-request-id"); it != md.end()) {
    std::string_view given(it->second.data(), it->second.size());
    if (SaneRequestId(given)) return std::string(given);
  }
  std::string id;
  GenerateRequestId(id);
  return id;
}

void SetServedBy(const service::RecommendResponse& r, std::string_view request_id,
                 v1::ServedBy* out) {
  out->set_request_id(std::string(request_id));
  out->set_model_version(std::string(r.model_version));
  out->set_variant(std::string(VariantName(r.variant)));
  for (const auto& reason : r.result.degraded) out->add_degraded_reasons(reason);
  out->set_model_created(std::string(r.created_text()));
  out->set_scenario(r.scenario);
  out->set_policy(std::string(r.policy));
  for (const experiment::Assignment& a : r.experiments) {
    v1::ExperimentAssignment* e = out->add_experiments();
    e->set_experiment_id(a.experiment_id);
    e->set_variant(a.variant);
  }
}

void SetScored(const service::RecommendResponse& r, std::string_view request_id,
               v1::ScoredResponse* out) {
  for (const auto& scored : r.result.items) {
    v1::ScoredItem* item = out->add_items();
    item->set_item_id(scored.id);
    item->set_score(scored.score);
  }
  SetServedBy(r, request_id, out->mutable_served_by());
}

// The callback API: each call runs on the thread that received it, without the hand-off to a
// worker thread of the synchronous API (recommendations are short, CPU-only work).
class RecommendServiceImpl final : public v1::RecommendService::CallbackService {
 public:
  explicit RecommendServiceImpl(RpcContext c) : c_(c) {
    SetMessageAllocatorFor_Recommend(&recommend_messages_);
  }

  grpc::ServerUnaryReactor* Recommend(grpc::CallbackServerContext* ctx,
                                      const v1::RecommendRequest* req,
                                      v1::RecommendResponse* res) override {
    return Answer(ctx, "RecommendService/Recommend", [&](const api::ApiDeps& d) -> Status {
      const std::string request_id = RequestId(ctx);
      RECO_RETURN_IF_ERROR(CheckId(req->user_id(), "user_id"));
      service::RecommendRequest request{.request_id = request_id,
                                        .user_id = req->user_id(),
                                        .category = req->category(),
                                        .write_back_type = req->write_back_type()};
      RECO_ASSIGN_OR_RETURN(request.n, PageSize(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(request.offset, Offset(req->offset()));
      if (req->has_write_back_delay()) {
        RECO_ASSIGN_OR_RETURN(request.write_back_delay,
                              FromDuration(req->write_back_delay(), "write_back_delay",
                                           d.config->database.max_future_skew_seconds));
      }
      service::RecommendResponse served;
      if (req->scenario().empty()) {
        if (req->exclude_size() > 0) return InvalidArgument("exclude: only with scenario", "exclude");
        if (!req->session().empty()) return InvalidArgument("session: only with scenario", "session");
        if (!req->item().empty()) return InvalidArgument("item: only with scenario", "item");
      }
      if (!req->scenario().empty()) {
        if (d.scenarios == nullptr) return Unavailable("this server has no scenarios");
        service::ScenarioRecommendRequest scenario_request{
            .base = request, .context_item = req->item(), .session = req->session()};
        scenario_request.exclude.assign(req->exclude().begin(), req->exclude().end());
        RECO_ASSIGN_OR_RETURN(served, d.scenarios->Recommend(req->scenario(), scenario_request));
      } else {
        RECO_ASSIGN_OR_RETURN(served, d.recommend->Recommend(request));
      }
      // One allocation for the id pointers instead of the doubling growth of add_item_ids.
      res->mutable_item_ids()->Reserve(static_cast<int>(served.result.items.size()));
      for (const auto& scored : served.result.items) res->add_item_ids(scored.id);
      SetServedBy(served, request_id, res->mutable_served_by());
      return Status::Ok();
    });
  }

  grpc::ServerUnaryReactor* SessionRecommend(grpc::CallbackServerContext* ctx,
                                             const v1::SessionRecommendRequest* req,
                                             v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/SessionRecommend", [&](const api::ApiDeps& d) -> Status {
      const TimestampUs now = d.clock->NowMicros();
      const TimeBounds bounds{.now = now,
                              .latest = ingest::LatestAcceptedTimestamp(
                                  now, d.config->database.max_future_skew_seconds)};
      service::SessionRecommendRequest request{.category = req->category()};
      for (int i = 0; i < req->session_size(); ++i) {
        RECO_ASSIGN_OR_RETURN(
            Feedback row, FromProto(req->session(i), "session[" + std::to_string(i) + "]", bounds));
        request.rows.push_back(std::move(row));
      }
      RECO_ASSIGN_OR_RETURN(request.n, PageSize(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(request.offset, Offset(req->offset()));
      SetScored(d.recommend->SessionRecommend(std::move(request)), RequestId(ctx), res);
      return Status::Ok();
    });
  }

  grpc::ServerUnaryReactor* Popular(grpc::CallbackServerContext* ctx, const v1::ListRequest* req,
                                    v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/Popular",
                  [&](const api::ApiDeps& d) { return List(d, ctx, *req, /*latest=*/false, res); });
  }

  grpc::ServerUnaryReactor* Latest(grpc::CallbackServerContext* ctx, const v1::ListRequest* req,
                                   v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/Latest",
                  [&](const api::ApiDeps& d) { return List(d, ctx, *req, /*latest=*/true, res); });
  }

  grpc::ServerUnaryReactor* ItemNeighbors(grpc::CallbackServerContext* ctx,
                                          const v1::NeighborsRequest* req,
                                          v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/ItemNeighbors", [&](const api::ApiDeps& d) -> Status {
      RECO_RETURN_IF_ERROR(CheckId(req->id(), "id"));
      service::NeighborsRequest request{
          .id = req->id(), .category = req->category(), .source = req->source()};
      RECO_ASSIGN_OR_RETURN(request.n, PageSize(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(request.offset, Offset(req->offset()));
      RECO_ASSIGN_OR_RETURN(service::RecommendResponse found, d.recommend->ItemNeighbors(request));
      SetScored(found, RequestId(ctx), res);
      return Status::Ok();
    });
  }

  grpc::ServerUnaryReactor* UserNeighbors(grpc::CallbackServerContext* ctx,
                                          const v1::NeighborsRequest* req,
                                          v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/UserNeighbors", [&](const api::ApiDeps& d) -> Status {
      RECO_RETURN_IF_ERROR(CheckId(req->id(), "id"));
      service::NeighborsRequest request{.id = req->id()};
      RECO_ASSIGN_OR_RETURN(request.n, PageSize(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(request.offset, Offset(req->offset()));
      SetScored(d.recommend->UserNeighbors(request), RequestId(ctx), res);
      return Status::Ok();
    });
  }

  grpc::ServerUnaryReactor* Similar(grpc::CallbackServerContext* ctx,
                                    const v1::NeighborsRequest* req,
                                    v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/Similar", [&](const api::ApiDeps& d) -> Status {
      RECO_RETURN_IF_ERROR(CheckId(req->id(), "id"));
      RECO_ASSIGN_OR_RETURN(int n, OperatorN(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(service::RecommendResponse found,
                            d.recommend->ItemNeighbors({.id = req->id(), .n = n}));
      SetScored(found, RequestId(ctx), res);
      return Status::Ok();
    });
  }

  grpc::ServerUnaryReactor* ItemDetail(grpc::CallbackServerContext* ctx,
                                       const v1::ItemDetailRequest* req,
                                       v1::ScoredResponse* res) override {
    return Answer(ctx, "RecommendService/ItemDetail", [&](const api::ApiDeps& d) -> Status {
      RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
      RECO_ASSIGN_OR_RETURN(int n, OperatorN(req->n(), d.config->server));
      RECO_ASSIGN_OR_RETURN(
          service::RecommendResponse found,
          d.recommend->ItemDetail({.id = req->item_id(), .user_id = req->user_id(), .n = n}));
      SetScored(found, RequestId(ctx), res);
      return Status::Ok();
    });
  }

 private:
  template <typename Fn>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* ctx, std::string_view method,
                                   Fn&& fn) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(c_.guard->Run(ctx, method, Access::kApiKey, std::forward<Fn>(fn)));
    return reactor;
  }

  static Result<int> OperatorN(int32_t n, const ServerConfig& server) {
    if (n == 0) return kOperatorDefaultN;
    return PageSize(n, server);
  }

  static Status List(const api::ApiDeps& d, grpc::ServerContextBase* ctx,
                     const v1::ListRequest& req, bool latest, v1::ScoredResponse* res) {
    const std::string request_id = RequestId(ctx);
    service::ListRequest request{.request_id = request_id, .category = req.category()};
    RECO_ASSIGN_OR_RETURN(request.n, PageSize(req.n(), d.config->server));
    RECO_ASSIGN_OR_RETURN(request.offset, Offset(req.offset()));
    if (!req.window().empty()) {
      if (latest) return InvalidArgument("window: Latest has no windows", "window");
      if (d.realtime == nullptr) {
        return InvalidArgument("window: this server has no real-time windows", "window");
      }
      RECO_ASSIGN_OR_RETURN(service::RecommendResponse hot,
                            d.realtime->Popular({.request_id = request_id,
                                                 .name = req.window(),
                                                 .category = req.category(),
                                                 .user_id = req.user_id(),
                                                 .n = request.n,
                                                 .offset = request.offset}));
      SetScored(hot, request_id, res);
      return Status::Ok();
    }
    SetScored(latest ? d.recommend->Latest(request) : d.recommend->Popular(request), request_id,
              res);
    return Status::Ok();
  }

  RpcContext c_;
  // The hot call: its request and answer in one arena per call.
  ArenaAllocator<v1::RecommendRequest, v1::RecommendResponse> recommend_messages_;
};

void ToProto(const ReloadReport& r, v1::ReloadReport* out) {
  out->set_snapshot_id(r.snapshot_id);
  out->set_run_id(r.run_id);
  out->set_selected_by(r.selected_by);
  out->set_mode(std::string(VariantName(r.variant)));
  out->set_rollout(r.rollout);
  for (const auto& f : r.files) out->add_files(f);
  for (const auto& f : r.rejected) out->add_rejected(f);
  out->set_seconds(r.seconds);
}

std::string RunIdOf(const service::ServingVersion& v) {
  return v.bundle == nullptr ? std::string() : v.bundle->run_id();
}

class ModelServiceImpl final : public v1::ModelService::Service {
 public:
  explicit ModelServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status ListModelVersions(grpc::ServerContext* ctx, const v1::ListModelVersionsRequest*,
                                 v1::ModelVersionList* res) override {
    return c_.guard->Run(
        ctx, "ModelService/ListModelVersions", Access::kApiKey,
        [&](const api::ApiDeps& d) -> Status {
          RECO_ASSIGN_OR_RETURN(registry::RegistryContents contents, d.model->Registry());
          for (const registry::ModelVersion& v : contents.versions) {
            v1::ModelVersion* out = res->add_versions();
            out->set_run_id(v.run_id);
            ToTimestamp(v.created, out->mutable_created());
            for (const auto& alias : v.aliases) out->add_aliases(alias);
            for (const auto& [name, value] : v.metrics) (*out->mutable_metrics())[name] = value;
            out->set_snapshot_id(v.snapshot_id);
            out->set_algorithm(v.algorithm);
            out->set_code_version(v.code_version);
            for (const auto& artifact : v.artifacts) out->add_artifacts(artifact.path);
          }
          const service::ServingVersions serving = d.model->Serving();
          res->set_primary_run_id(RunIdOf(serving.primary));
          res->set_canary_run_id(RunIdOf(serving.canary));
          res->set_shadow_run_id(RunIdOf(serving.shadow));
          res->set_canary_rollout(serving.canary.bundle ? serving.canary.rollout : 0);
          return Status::Ok();
        });
  }

  grpc::Status Reload(grpc::ServerContext* ctx, const v1::ReloadRequest* req,
                      v1::ReloadReport* res) override {
    return c_.guard->Run(ctx, "ModelService/Reload", Access::kReload,
                         [&](const api::ApiDeps& d) -> Status {
                           ReloadRequest request{.run_id = req->run_id()};
                           if (!req->mode().empty()) {
                             auto mode = ParseVariant(req->mode());
                             if (!mode.ok())
                               return InvalidArgument(mode.status().message(), "mode");
                             request.mode = *mode;
                           }
                           if (req->rollout() != 0) request.rollout = req->rollout();
                           RECO_ASSIGN_OR_RETURN(ReloadReport report, d.model->Reload(request));
                           ToProto(report, res);
                           return Status::Ok();
                         });
  }

  grpc::Status Promote(grpc::ServerContext* ctx, const v1::PromoteRequest* req,
                       v1::ReloadReport* res) override {
    return c_.guard->Run(
        ctx, "ModelService/Promote", Access::kReload, [&](const api::ApiDeps& d) -> Status {
          service::PromoteRequest request{.run_id = req->run_id(), .alias = req->alias()};
          if (req->rollout() != 0) request.rollout = req->rollout();
          RECO_ASSIGN_OR_RETURN(ReloadReport report, d.model->Promote(request));
          ToProto(report, res);
          return Status::Ok();
        });
  }

  grpc::Status Rollback(grpc::ServerContext* ctx, const v1::RollbackRequest* req,
                        v1::ReloadReport* res) override {
    return c_.guard->Run(
        ctx, "ModelService/Rollback", Access::kReload, [&](const api::ApiDeps& d) -> Status {
          RECO_ASSIGN_OR_RETURN(ReloadReport report, d.model->Rollback(req->run_id()));
          ToProto(report, res);
          return Status::Ok();
        });
  }

  grpc::Status Withdraw(grpc::ServerContext* ctx, const v1::WithdrawRequest* req,
                        v1::WithdrawResponse*) override {
    return c_.guard->Run(ctx, "ModelService/Withdraw", Access::kReload,
                         [&](const api::ApiDeps& d) { return d.model->Withdraw(req->alias()); });
  }

 private:
  RpcContext c_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeRecommendServices(RpcContext context) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<RecommendServiceImpl>(context));
  services.push_back(std::make_unique<ModelServiceImpl>(context));
  return services;
}

}  // namespace reco::grpcapi
