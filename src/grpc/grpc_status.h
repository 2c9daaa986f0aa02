// From reco's Status to a gRPC status: the code (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE, ...), the message, and for an invalid
// argument with a field a google.rpc.Status in the `grpc-status-details-bin` trailer carrying a
// google.rpc.BadRequest that names the field (what Go's and Java's status helpers read).
//
// Thread-safety: pure functions.
#pragma once

#include <grpcpp/support/status.h>

#include "core/status.h"

namespace reco::grpcapi {

grpc::StatusCode ToGrpcCode(StatusCode code);
grpc::Status ToGrpcStatus(const Status& status);

// The field a google.rpc.Status (serialized, as in the trailer) names in its first BadRequest
// field violation; "" when it has none. What clients decode; used by the tests.
std::string BadRequestFieldOf(const std::string& status_details);

}  // namespace reco::grpcapi
