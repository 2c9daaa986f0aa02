// GrpcServer: the reco.v1 gRPC API of `reco serve` (server.grpc_port / --grpc-port), in the
// same process as REST and over the same services (ApiDeps). Also serves the standard health
// checking service (grpc.health.v1.Health: SERVING once started, NOT_SERVING while shutting
// down) and server reflection (grpc.reflection.v1alpha) listing every service.
//
// Every RPC acts on the tenant of its metadata `x-tenant-id` (absent: default), with REST's
// rules (grpc/call_guard.h): `deps` are the default tenant's services, `tenancy` reaches the
// others (opened on first use).
//
// Thread-safety: Start() and Shutdown() from one controlling thread; RPCs run on gRPC's threads.
// Lifetime: borrows the ApiDeps' services, the metrics registry and the tenant gate, which must
// outlive it;
// Shutdown() (or the destructor) drains in-flight RPCs for up to drain_seconds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/api_service.h"
#include "core/status.h"
#include "grpc/call_guard.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace reco::grpcapi {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  int64_t max_message_bytes = 16 * 1024 * 1024;
  double drain_seconds = 10.0;
};

class GrpcServer {
 public:
  GrpcServer(GrpcServerOptions options, api::ApiDeps deps, GrpcTenancy tenancy = {});
  ~GrpcServer();

  // Binds and starts serving; Unavailable naming the address when it cannot bind.
  Status Start();
  int port() const { return port_; }
  // Health turns NOT_SERVING, new calls are refused, calls in flight get up to drain_seconds,
  // then the rest are cancelled.
  void Shutdown();

 private:
  GrpcServerOptions options_;
  api::ApiDeps deps_;
  GrpcTenancy tenancy_;
  std::unique_ptr<CallGuard> guard_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace reco::grpcapi
