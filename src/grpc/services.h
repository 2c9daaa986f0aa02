// The reco.v1 service implementations. Each RPC converts its message, calls the service the
// REST handler of the same resource calls (src/service/), and converts the answer: the
// business logic is in the services, never here.
//
// Thread-safety: RPCs run concurrently on gRPC's threads; the implementations hold no mutable
// state. Lifetime: borrow the ApiDeps and CallGuard, which must outlive the gRPC server.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <memory>
#include <vector>

#include "api/api_service.h"
#include "grpc/call_guard.h"

namespace reco::grpcapi {

// What every implementation borrows. An RPC acts on the services CallGuard::Run hands its
// function (the tenant of the call); `deps` are the default tenant's.
struct RpcContext {
  const api::ApiDeps* deps = nullptr;
  CallGuard* guard = nullptr;
};

// n of a page or list request: 0 is server.default_n, else 1..server.max_n (field "n").
Result<int> PageSize(int32_t n, const ServerConfig& server);
// offset: 0..1000000 (field "offset"), as on REST.
Result<int> Offset(int32_t offset);

// The services, in the order they are registered.
std::vector<std::unique_ptr<grpc::Service>> MakeDataServices(RpcContext context);
std::vector<std::unique_ptr<grpc::Service>> MakeRecommendServices(RpcContext context);
std::vector<std::unique_ptr<grpc::Service>> MakeScenarioServices(RpcContext context);
std::vector<std::unique_ptr<grpc::Service>> MakeExperimentServices(RpcContext context);
// AnalyticsService (services_analytics.cc).
std::vector<std::unique_ptr<grpc::Service>> MakeAnalyticsServices(RpcContext context);

}  // namespace reco::grpcapi
