// CallGuard: what every RPC of the reco.v1 services goes through before and after its service
// call — the credential check with REST's rules, the deadline, one log line (debug per call,
// warn per error) and the metrics grpc_requests_total{method,code} and
// grpc_request_duration_seconds{method}.
//
// Credentials travel as metadata: `x-api-key: KEY` or `authorization: Bearer KEY`. When
// server.api_key is set every RPC needs it (REST's X-API-Key rule); the model actions (reload,
// promote, rollback, withdraw) follow REST's POST /models/reload rule (api/admin_auth.h):
// MODEL_RELOAD_TOKEN, else the API key, else loopback clients only.
//
// Thread-safety: Run() from any number of RPC threads. Lifetime: borrows the config and the
// metrics registry, which must outlive it.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/config.h"
#include "core/status.h"
#include "grpc/grpc_status.h"
#include "ops/metrics.h"
#include "serving/online_state.h"  // StringHash

namespace reco::grpcapi {

enum class Access {
  kApiKey,  // server.api_key when it is set
  kReload,  // the model actions: REST's POST /models/reload rule
};

class CallGuard {
 public:
  CallGuard(const RecoConfig& config, MetricsRegistry& metrics);

  // Checks the caller and the deadline, runs `fn` (returning reco's Status), logs and counts.
  template <typename Fn>
  grpc::Status Run(grpc::ServerContextBase* ctx, std::string_view method, Access access, Fn&& fn) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status answer;
    if (!StillWanted(ctx)) {
      answer = Expired();
    } else if (Status admitted = Admit(ctx, method, access); !admitted.ok()) {
      answer = ToGrpcStatus(admitted);
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
  Status Admit(grpc::ServerContextBase* ctx, std::string_view method, Access access) const;
  // The metrics of one method: the OK counter and the duration histogram.
  struct MethodSeries {
    Counter* ok = nullptr;
    Histogram* seconds = nullptr;
  };
  // Resolved once per method, then found under a shared lock without allocating.
  MethodSeries SeriesOf(std::string_view method);
  void Done(grpc::ServerContextBase* ctx, std::string_view method, const grpc::Status& answer,
            std::chrono::steady_clock::duration took);

  const RecoConfig& config_;
  CounterFamily* requests_total_;
  HistogramFamily* request_seconds_;
  std::shared_mutex series_mu_;
  std::unordered_map<std::string, MethodSeries, StringHash, std::equal_to<>> series_;
};

}  // namespace reco::grpcapi
