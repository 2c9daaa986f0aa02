// reco.v1 AnalyticsService over AnalyticsService (the service of REST's /api/v1/analytics
// routes): the same parameters, the same figures.
#include "grpc/convert.h"
#include "grpc/services.h"
#include "reco/v1/analytics.grpc.pb.h"
#include "service/analytics_service.h"

namespace reco::grpcapi {
namespace {

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return {in.begin(), in.end()};
}

service::AnalyticsRange FromProto(const v1::AnalyticsRange& r) {
  return {.from = r.from(),
          .to = r.to(),
          .click_types = Strings(r.click_types()),
          .conversion_types = Strings(r.conversion_types()),
          .scenario = r.scenario()};
}

void ToProto(const service::AnalyticsBasis& b, v1::AnalyticsBasis* out) {
  ToTimestamp(b.from, out->mutable_from());
  ToTimestamp(b.to, out->mutable_to());
  for (const auto& t : b.click_types) out->add_click_types(t);
  for (const auto& t : b.conversion_types) out->add_conversion_types(t);
  out->set_click_window_seconds(static_cast<double>(b.click_window_us) / kMicrosPerSecond);
  out->set_files(b.files);
  out->set_skipped_files(b.skipped_files);
  out->set_lines(b.lines);
  out->set_bad_lines(b.bad_lines);
}

void ToProto(const service::AnalyticsCounts& c, v1::AnalyticsCounts* out) {
  out->set_exposures(c.exposures);
  out->set_exposed_users(c.exposed_users);
  out->set_impressions(c.impressions);
  out->set_clicks(c.clicks);
  out->set_clicked_items(c.clicked_items);
  out->set_ctr(c.ctr());
  out->set_item_ctr(c.item_ctr());
  out->set_conversions(c.conversions);
}

class AnalyticsServiceImpl final : public v1::AnalyticsService::Service {
 public:
  explicit AnalyticsServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status Summary(grpc::ServerContext* ctx, const v1::SummaryRequest* req,
                       v1::AnalyticsSummary* res) override {
    return c_.guard->Run(
        ctx, "AnalyticsService/Summary", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (d.analytics == nullptr) return Unavailable("this server has no analytics");
          RECO_ASSIGN_OR_RETURN(
              service::AnalyticsSummary s,
              d.analytics->Summary(Strings(req->group_by()), FromProto(req->range())));
          ToProto(s.basis, res->mutable_basis());
          for (const auto& column : s.columns) res->add_columns(column);
          for (const auto& row : s.rows) {
            v1::SummaryRow* out = res->add_rows();
            for (const auto& value : row.values) out->add_values(value);
            ToProto(row.counts, out->mutable_counts());
          }
          ToProto(s.totals, res->mutable_totals());
          return Status::Ok();
        });
  }

  grpc::Status TopItems(grpc::ServerContext* ctx, const v1::TopItemsRequest* req,
                        v1::AnalyticsTopItems* res) override {
    return c_.guard->Run(
        ctx, "AnalyticsService/TopItems", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (d.analytics == nullptr) return Unavailable("this server has no analytics");
          RECO_ASSIGN_OR_RETURN(service::TopItems top,
                                d.analytics->Top(req->by(), req->n(), FromProto(req->range())));
          ToProto(top.basis, res->mutable_basis());
          res->set_by(top.by);
          for (const auto& item : top.items) {
            v1::TopItem* out = res->add_items();
            out->set_item_id(item.item_id);
            out->set_exposures(item.exposures);
            out->set_clicks(item.clicks);
            out->set_ctr(item.ctr);
          }
          return Status::Ok();
        });
  }

  grpc::Status Coverage(grpc::ServerContext* ctx, const v1::CoverageRequest* req,
                        v1::AnalyticsCoverage* res) override {
    return c_.guard->Run(
        ctx, "AnalyticsService/Coverage", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (d.analytics == nullptr) return Unavailable("this server has no analytics");
          RECO_ASSIGN_OR_RETURN(service::Coverage c,
                                d.analytics->CatalogueCoverage(FromProto(req->range())));
          ToProto(c.basis, res->mutable_basis());
          res->set_catalogue_items(c.catalogue_items);
          res->set_exposed_items(c.exposed_items);
          res->set_exposed_catalogue_items(c.exposed_catalogue_items);
          res->set_coverage(c.coverage);
          res->set_impressions(c.impressions);
          res->set_gini(c.gini);
          res->set_top_items(c.top_items);
          res->set_top_share(c.top_share);
          return Status::Ok();
        });
  }

 private:
  RpcContext c_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeAnalyticsServices(RpcContext context) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<AnalyticsServiceImpl>(context));
  return services;
}

}  // namespace reco::grpcapi
