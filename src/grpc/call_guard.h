// CallGuard: what every RPC of the reco.v1 services goes through before and after its service
// call — the tenant, the credential check with REST's rules, the deadline, one log line (debug
// per call, warn per error) and the metrics grpc_requests_total{method,code} and
// grpc_request_duration_seconds{method}.
//
// The tenant is metadata `x-tenant-id` (absent or "default": the default tenant). The default
// tenant keeps the rules below; another tenant is checked by service::TenantGate exactly as REST's
// tenant front checks it (404 → NOT_FOUND naming it, a key of that tenant or the admin key,
// PERMISSION_DENIED for another tenant's key, RESOURCE_EXHAUSTED over its requests-per-second
// quota), its services opened on first use; the model and operator actions of a tenant take its
// key, as REST's /t/{tenant}/... routes do. A tenant's key on the default tenant is
// PERMISSION_DENIED.
//
// Credentials travel as metadata: `x-api-key: KEY` or `authorization: Bearer KEY`. When
// server.api_key is set every RPC needs it (REST's X-API-Key rule); the model actions (reload,
// promote, rollback, withdraw) follow REST's POST /models/reload rule (api/admin_auth.h):
// MODEL_RELOAD_TOKEN, else the API key, else loopback clients only.
//
// Thread-safety: Run() from any number of RPC threads. Lifetime: borrows the default tenant's
// services, the metrics registry and the tenant gate, which must outlive it.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "api/api_service.h"
#include "core/config.h"
#include "core/status.h"
#include "grpc/grpc_status.h"
#include "ops/metrics.h"
#include "service/tenant_gate.h"
#include "serving/online_state.h"  // StringHash

namespace reco::grpcapi {

enum class Access {
  kApiKey,   // server.api_key when it is set
  kReload,   // the model actions: REST's POST /models/reload rule
  kOperate,  // operators' changes (scenarios, experiments): REST's AdminScope::kOperate rule
};

// The services of the tenant a call names, kept open while the call runs.
struct CallTenant {
  const api::ApiDeps* deps = nullptr;
  std::shared_ptr<const api::ApiDeps> hold;  // a tenant other than default
  bool is_default = true;
};

// How the guard reaches the tenants besides default.
struct GrpcTenancy {
  service::TenantGate* gate = nullptr;  // null: only the default tenant exists
  // The services of the registered tenant `tenant` (never default), opened on first use.
  std::function<Result<std::shared_ptr<const api::ApiDeps>>(const service::TenantInfo& tenant)>
      open;
};

class CallGuard {
 public:
  // `deps`: the default tenant's services.
  CallGuard(const api::ApiDeps& deps, MetricsRegistry& metrics, GrpcTenancy tenancy = {});

  // Checks the deadline, resolves the tenant and checks the caller, runs `fn` with the tenant's
  // services (`fn(const api::ApiDeps&)` returning reco's Status), logs and counts. An `fn()`
  // without the services acts on the default tenant only (UNIMPLEMENTED for another).
  template <typename Fn>
  grpc::Status Run(grpc::ServerContextBase* ctx, std::string_view method, Access access, Fn&& fn) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status answer;
    if (!StillWanted(ctx)) {
      answer = Expired();
    } else if (Result<CallTenant> tenant = Admit(ctx, method, access); !tenant.ok()) {
      answer = ToGrpcStatus(tenant.status());
    } else if constexpr (std::is_invocable_v<Fn, const api::ApiDeps&>) {
      answer = ToGrpcStatus(fn(*tenant->deps));
    } else if (!tenant->is_default) {
      answer = ToGrpcStatus(Status(StatusCode::kUnimplemented,
                                   std::string(method) + " serves the default tenant only",
                                   "x-tenant-id"));
    } else {
      answer = ToGrpcStatus(fn());
    }
    Done(ctx, method, answer, std::chrono::steady_clock::now() - start);
    return answer;
  }

  // False when the call's deadline passed or the client cancelled it: a write read from a
  // stream is then not made (the client has been told it failed).
  static bool StillWanted(grpc::ServerContextBase* ctx);
  static grpc::Status Expired();

 private:
  Result<CallTenant> Admit(grpc::ServerContextBase* ctx, std::string_view method, Access access);
  // The default tenant's own rules (server.api_key, the admin credentials).
  Status AdmitDefault(grpc::ServerContextBase* ctx, std::string_view method, Access access) const;
  // The metrics of one method: the OK counter and the duration histogram.
  struct MethodSeries {
    Counter* ok = nullptr;
    Histogram* seconds = nullptr;
  };
  // Resolved once per method, then found under a shared lock without allocating.
  MethodSeries SeriesOf(std::string_view method);
  void Done(grpc::ServerContextBase* ctx, std::string_view method, const grpc::Status& answer,
            std::chrono::steady_clock::duration took);

  const api::ApiDeps& deps_;
  const RecoConfig& config_;
  GrpcTenancy tenancy_;
  CounterFamily* requests_total_;
  HistogramFamily* request_seconds_;
  std::shared_mutex series_mu_;
  std::unordered_map<std::string, MethodSeries, StringHash, std::equal_to<>> series_;
};

}  // namespace reco::grpcapi
