#include "grpc/call_guard.h"

#include <spdlog/spdlog.h>

#include "api/admin_auth.h"
#include "core/secure_compare.h"

namespace reco::grpcapi {
namespace {

// The first value of metadata `key` ("" when absent).
std::string_view Metadata(const grpc::ServerContextBase* ctx, std::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

// "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" -> "127.0.0.1:5000" / "[::1]:5000".
std::string PeerAddress(const grpc::ServerContextBase* ctx) {
  std::string peer = ctx->peer();
  for (std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (peer.starts_with(scheme)) return peer.substr(scheme.size());
  }
  return peer;
}

bool DeadlinePassed(const grpc::ServerContextBase* ctx) {
  return ctx->deadline() <= std::chrono::system_clock::now();
}

// The credential a call presents: x-api-key, else the Bearer token ("" when none).
std::string_view PresentedKey(const grpc::ServerContextBase* ctx) {
  std::string_view given = Metadata(ctx, "x-api-key");
  if (!given.empty()) return given;
  const std::string_view authorization = Metadata(ctx, "authorization");
  if (authorization.starts_with("Bearer ")) return authorization.substr(7);
  return {};
}

constexpr service::CredentialName kCredential{.field = "x-api-key", .carrier = "metadata"};

}  // namespace

CallGuard::CallGuard(const api::ApiDeps& deps, MetricsRegistry& metrics, GrpcTenancy tenancy)
    : deps_(deps),
      config_(*deps.config),
      tenancy_(std::move(tenancy)),
      requests_total_(metrics.AddCounter("grpc_requests_total",
                                         "gRPC calls answered, by method and status code.",
                                         {"method", "code"})),
      request_seconds_(metrics.AddHistogram(
          "grpc_request_duration_seconds", "Time to answer a gRPC call, by method.", {"method"})) {}

bool CallGuard::StillWanted(grpc::ServerContextBase* ctx) {
  return !DeadlinePassed(ctx) && !ctx->IsCancelled();
}

grpc::Status CallGuard::Expired() {
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "the call's deadline passed or it was cancelled; nothing was done");
}

Result<CallTenant> CallGuard::Admit(grpc::ServerContextBase* ctx, std::string_view method,
                                    Access access) {
  RECO_ASSIGN_OR_RETURN(std::string tenant,
                        service::TenantGate::TargetOf(Metadata(ctx, "x-tenant-id"), "x-tenant-id"));
  if (tenant == service::kDefaultTenant) {
    if (tenancy_.gate != nullptr) {
      RECO_RETURN_IF_ERROR(tenancy_.gate->CheckDefault(PresentedKey(ctx), kCredential));
    }
    RECO_RETURN_IF_ERROR(AdmitDefault(ctx, method, access));
    return CallTenant{.deps = &deps_};
  }
  if (tenancy_.gate == nullptr) {
    return Status(StatusCode::kNotFound, "tenant " + tenant + " not found", "x-tenant-id");
  }
  RECO_ASSIGN_OR_RETURN(service::TenantAdmission admitted,
                        tenancy_.gate->Admit(tenant, PresentedKey(ctx), kCredential));
  RECO_ASSIGN_OR_RETURN(std::shared_ptr<const api::ApiDeps> deps, tenancy_.open(admitted.info));
  const api::ApiDeps* raw = deps.get();
  return CallTenant{.deps = raw, .hold = std::move(deps), .is_default = false};
}

Status CallGuard::AdmitDefault(grpc::ServerContextBase* ctx, std::string_view method,
                               Access access) const {
  const std::string& key = config_.server.api_key;
  if (access == Access::kApiKey && key.empty()) return Status::Ok();
  const std::string_view x_api_key = Metadata(ctx, "x-api-key");
  const std::string_view authorization = Metadata(ctx, "authorization");
  if (access != Access::kApiKey) {
    const std::string peer = PeerAddress(ctx);
    return api::AuthorizeAdmin(
        access == Access::kReload ? api::AdminScope::kReload : api::AdminScope::kOperate, method,
        {.api_key = config_.server.api_key, .reload_token = config_.server.reload_token},
        {.x_api_key = x_api_key, .authorization = authorization, .remote_address = peer});
  }
  const std::string_view given = PresentedKey(ctx);
  if (given.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "missing credential: send metadata x-api-key or authorization: Bearer");
  }
  if (!ConstantTimeEquals(given, key)) {
    return Status(StatusCode::kUnauthenticated, "invalid API key");
  }
  return Status::Ok();
}

CallGuard::MethodSeries CallGuard::SeriesOf(std::string_view method) {
  {
    std::shared_lock lock(series_mu_);
    if (auto it = series_.find(method); it != series_.end()) return it->second;
  }
  MethodSeries series{.ok = requests_total_->WithLabels({std::string(method), "0"}),
                      .seconds = request_seconds_->WithLabels({std::string(method)})};
  std::unique_lock lock(series_mu_);
  series_.emplace(std::string(method), series);
  return series;
}

void CallGuard::Done(grpc::ServerContextBase* ctx, std::string_view method,
                     const grpc::Status& answer, std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const int code = static_cast<int>(answer.error_code());
  const MethodSeries series = SeriesOf(method);
  Counter* requests =
      answer.ok() ? series.ok
                  : requests_total_->WithLabels({std::string(method), std::to_string(code)});
  requests->Inc();
  series.seconds->Observe(seconds);
  if (answer.ok()) {
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("event=grpc_request method={} code=0 seconds={:.6f} peer={}", method, seconds,
                    ctx->peer());
    }
  } else {
    spdlog::warn("event=grpc_request method={} code={} seconds={:.6f} peer={} error=\"{}\"", method,
                 code, seconds, ctx->peer(), answer.error_message());
  }
}

}  // namespace reco::grpcapi
