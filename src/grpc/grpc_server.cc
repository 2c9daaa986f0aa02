#include "grpc/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "grpc/call_guard.h"
#include "grpc/services.h"

namespace reco::grpcapi {
namespace {

std::string ListenAddress(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

GrpcServer::GrpcServer(GrpcServerOptions options, api::ApiDeps deps, GrpcTenancy tenancy)
    : options_(std::move(options)), deps_(deps), tenancy_(std::move(tenancy)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

Status GrpcServer::Start() {
  guard_ = std::make_unique<CallGuard>(deps_, *deps_.metrics, tenancy_);
  const RpcContext context{.deps = &deps_, .guard = guard_.get()};
  for (auto* make : {&MakeDataServices, &MakeRecommendServices, &MakeScenarioServices,
                     &MakeExperimentServices, &MakeAnalyticsServices}) {
    for (auto& service : make(context)) services_.push_back(std::move(service));
  }
  // Debian's abseil is built with mutex deadlock detection on (a debug-build default): every
  // lock of gRPC's mutexes then records its lock order in one global graph under a global lock,
  // a few percent of the CPU of each call and a point of contention between call threads.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = ListenAddress(options_.host, options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  const int max_bytes = static_cast<int>(options_.max_message_bytes);
  builder.SetMaxReceiveMessageSize(max_bytes);
  builder.SetMaxSendMessageSize(max_bytes);
  for (auto& service : services_) builder.RegisterService(service.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return Unavailable("gRPC: cannot listen on " + address +
                       " (server.grpc_port / --grpc-port): the port is in use or the address is "
                       "not local");
  }
  spdlog::info("grpc server listening on {}:{} services={} max_message_bytes={}", options_.host,
               port_, services_.size(), options_.max_message_bytes);
  return Status::Ok();
}

void GrpcServer::Shutdown() {
  if (server_ == nullptr) return;
  // Shutdown() sets every health status to NOT_SERVING, refuses new calls and waits for the
  // calls in flight until the deadline, then cancels them.
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::duration<double>(options_.drain_seconds));
  server_->Shutdown(deadline);
  server_->Wait();
  server_.reset();
  spdlog::info("grpc server stopped");
}

}  // namespace reco::grpcapi
