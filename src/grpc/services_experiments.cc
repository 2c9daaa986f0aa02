// reco.v1 ExperimentService over service::ExperimentService (the service of REST's
// /api/v1/experiments routes): the same definitions, state changes, results and assignments.
#include "experiment/experiment.h"
#include "grpc/convert.h"
#include "grpc/services.h"
#include "reco/v1/experiment.grpc.pb.h"
#include "service/experiment_service.h"

namespace reco::grpcapi {
namespace {

Status NeedExperiments(const api::ApiDeps& d) {
  if (d.experiments != nullptr) return Status::Ok();
  return Unavailable("this server has no experiment service");
}

service::ExperimentDefinition FromProto(const v1::ExperimentDefinition& m) {
  service::ExperimentDefinition d{.id = m.id(), .name = m.name(), .layer = m.layer()};
  if (m.has_traffic()) d.traffic = m.traffic();
  for (const v1::ExperimentVariant& v : m.variants()) {
    d.variants.push_back(ExperimentVariantRecord{.name = v.name(),
                                                 .weight = v.weight(),
                                                 .target_kind = v.target_kind(),
                                                 .target = v.target()});
  }
  d.click_types.assign(m.click_types().begin(), m.click_types().end());
  d.conversion_types.assign(m.conversion_types().begin(), m.conversion_types().end());
  return d;
}

void ToProto(const ExperimentRecord& e, v1::Experiment* out) {
  out->set_id(e.id);
  out->set_name(e.name);
  out->set_layer(e.layer);
  out->set_status(e.status);
  out->set_traffic(e.traffic);
  out->set_bucket_start(e.bucket_offset);
  out->set_bucket_end(e.bucket_offset + experiment::TrafficBuckets(e.traffic));
  for (const ExperimentVariantRecord& v : e.variants) {
    v1::ExperimentVariant* variant = out->add_variants();
    variant->set_name(v.name);
    variant->set_weight(v.weight);
    variant->set_target_kind(v.target_kind);
    variant->set_target(v.target);
  }
  for (const auto& t : e.click_types) out->add_click_types(t);
  for (const auto& t : e.conversion_types) out->add_conversion_types(t);
  if (e.started_at != 0) ToTimestamp(e.started_at, out->mutable_started_at());
  if (e.stopped_at != 0) ToTimestamp(e.stopped_at, out->mutable_stopped_at());
  if (e.created_at != 0) ToTimestamp(e.created_at, out->mutable_created_at());
  if (e.updated_at != 0) ToTimestamp(e.updated_at, out->mutable_updated_at());
}

void ToProto(const experiment::MetricComparison& m, v1::MetricComparison* out) {
  const experiment::Comparison& t = m.test;
  out->set_valid(t.valid);
  out->set_control(t.control);
  out->set_treatment(t.treatment);
  out->set_difference(t.difference);
  out->set_ci_low(t.ci_low);
  out->set_ci_high(t.ci_high);
  out->set_std_error(t.std_error);
  out->set_z(t.z);
  out->set_p_value(t.p_value);
  out->set_sequential_p_value(m.sequential_p_value);
  out->set_significant(m.significant);
}

void ToProto(const experiment::VariantSummary& v, v1::VariantSummary* out) {
  out->set_name(v.name);
  out->set_users(v.users);
  out->set_exposures(v.exposures);
  out->set_clicks(v.clicks);
  out->set_ctr(v.ctr);
  out->set_conversions(v.conversions);
  out->set_converted_users(v.converted_users);
  out->set_conversion_rate(v.conversion_rate);
  out->set_clicked_users(v.clicked_users);
  out->set_clicked_user_rate(v.clicked_user_rate);
  out->set_conversions_per_exposure(v.conversions_per_exposure);
}

void ToProto(const service::ExperimentReport& report, v1::ExperimentResults* out) {
  const experiment::ExperimentResults& r = report.results;
  ToProto(report.experiment, out->mutable_experiment());
  ToTimestamp(report.computed_at, out->mutable_computed_at());
  out->set_alpha(report.alpha);
  if (report.window_start != 0) ToTimestamp(report.window_start, out->mutable_window_start());
  if (report.window_end != 0) ToTimestamp(report.window_end, out->mutable_window_end());
  out->set_looks(r.looks);
  for (const auto& v : r.variants) ToProto(v, out->add_variants());
  for (const auto& c : r.comparisons) {
    v1::TreatmentComparison* comparison = out->add_comparisons();
    comparison->set_variant(c.variant);
    ToProto(c.ctr, comparison->mutable_ctr());
    ToProto(c.conversion_rate, comparison->mutable_conversion_rate());
    ToProto(c.clicked_user_rate, comparison->mutable_clicked_user_rate());
    ToProto(c.conversions_per_exposure, comparison->mutable_conversions_per_exposure());
  }
  v1::SampleRatioCheck* srm = out->mutable_srm();
  srm->set_chi_square(r.srm.chi_square);
  srm->set_dof(r.srm.dof);
  srm->set_p_value(r.srm.p_value);
  srm->set_mismatch(r.srm.mismatch);
  v1::ExposureLogStats* log = out->mutable_log();
  log->set_lines(report.log_lines);
  log->set_bad_lines(report.bad_lines);
  log->set_unknown_variant_exposures(report.unknown_variant_exposures);
  log->set_switched_users(report.switched_users);
}

// Answers one experiment from `call`.
template <typename Call>
Status One(const api::ApiDeps& d, v1::Experiment* res, Call&& call) {
  RECO_RETURN_IF_ERROR(NeedExperiments(d));
  RECO_ASSIGN_OR_RETURN(ExperimentRecord e, call(*d.experiments));
  ToProto(e, res);
  return Status::Ok();
}

class ExperimentServiceImpl final : public v1::ExperimentService::Service {
 public:
  explicit ExperimentServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status CreateExperiment(grpc::ServerContext* ctx, const v1::ExperimentDefinition* req,
                                v1::Experiment* res) override {
    return c_.guard->Run(
        ctx, "ExperimentService/CreateExperiment", Access::kOperate, [&](const api::ApiDeps& d) {
          return One(d, res,
                     [&](service::ExperimentService& s) { return s.Create(FromProto(*req)); });
        });
  }

  grpc::Status UpdateExperiment(grpc::ServerContext* ctx, const v1::UpdateExperimentRequest* req,
                                v1::Experiment* res) override {
    return c_.guard->Run(ctx, "ExperimentService/UpdateExperiment", Access::kOperate,
                         [&](const api::ApiDeps& d) -> Status {
                           service::ExperimentDefinition definition = FromProto(req->definition());
                           if (!definition.id.empty() && definition.id != req->id()) {
                             return InvalidArgument("definition.id: \"" + definition.id +
                                                        "\" differs from id \"" + req->id() + "\"",
                                                    "definition.id");
                           }
                           definition.id = req->id();
                           return One(d, res, [&](service::ExperimentService& s) {
                             return s.Update(req->id(), definition);
                           });
                         });
  }

  grpc::Status GetExperiment(grpc::ServerContext* ctx, const v1::ExperimentId* req,
                             v1::Experiment* res) override {
    return c_.guard->Run(
        ctx, "ExperimentService/GetExperiment", Access::kApiKey, [&](const api::ApiDeps& d) {
          return One(d, res, [&](service::ExperimentService& s) { return s.Get(req->id()); });
        });
  }

  grpc::Status ListExperiments(grpc::ServerContext* ctx, const v1::ListExperimentsRequest*,
                               v1::ExperimentList* res) override {
    return c_.guard->Run(ctx, "ExperimentService/ListExperiments", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedExperiments(d));
                           RECO_ASSIGN_OR_RETURN(auto list, d.experiments->List());
                           for (const auto& e : list) ToProto(e, res->add_experiments());
                           return Status::Ok();
                         });
  }

  grpc::Status StartExperiment(grpc::ServerContext* ctx, const v1::ExperimentId* req,
                               v1::Experiment* res) override {
    return c_.guard->Run(
        ctx, "ExperimentService/StartExperiment", Access::kOperate, [&](const api::ApiDeps& d) {
          return One(d, res, [&](service::ExperimentService& s) { return s.Start(req->id()); });
        });
  }

  grpc::Status StopExperiment(grpc::ServerContext* ctx, const v1::ExperimentId* req,
                              v1::Experiment* res) override {
    return c_.guard->Run(
        ctx, "ExperimentService/StopExperiment", Access::kOperate, [&](const api::ApiDeps& d) {
          return One(d, res, [&](service::ExperimentService& s) { return s.Stop(req->id()); });
        });
  }

  grpc::Status DeleteExperiment(grpc::ServerContext* ctx, const v1::ExperimentId* req,
                                v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "ExperimentService/DeleteExperiment", Access::kOperate,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedExperiments(d));
                           RECO_RETURN_IF_ERROR(d.experiments->Delete(req->id()));
                           res->set_rows_affected(1);
                           return Status::Ok();
                         });
  }

  grpc::Status GetResults(grpc::ServerContext* ctx, const v1::ExperimentId* req,
                          v1::ExperimentResults* res) override {
    return c_.guard->Run(ctx, "ExperimentService/GetResults", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedExperiments(d));
                           RECO_ASSIGN_OR_RETURN(auto report, d.experiments->Results(req->id()));
                           ToProto(report, res);
                           return Status::Ok();
                         });
  }

  grpc::Status GetAssignment(grpc::ServerContext* ctx, const v1::AssignmentRequest* req,
                             v1::AssignmentList* res) override {
    return c_.guard->Run(ctx, "ExperimentService/GetAssignment", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(NeedExperiments(d));
                           RECO_ASSIGN_OR_RETURN(auto assigned,
                                                 d.experiments->Assign(req->user_id()));
                           res->set_user_id(req->user_id());
                           for (const auto& a : assigned) {
                             v1::LayerAssignment* out = res->add_assignments();
                             out->set_experiment_id(a.experiment_id);
                             out->set_layer(a.layer);
                             out->set_variant(a.variant);
                             out->set_target_kind(a.target_kind);
                             out->set_target(a.target);
                           }
                           return Status::Ok();
                         });
  }

 private:
  RpcContext c_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeExperimentServices(RpcContext context) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<ExperimentServiceImpl>(context));
  return services;
}

}  // namespace reco::grpcapi
