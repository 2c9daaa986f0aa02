#include "grpc/grpc_status.h"

#include <gtest/gtest.h>

namespace reco::grpcapi {
namespace {

TEST(GrpcStatus, EveryCodeMapsToItsGrpcTwin) {
  EXPECT_EQ(ToGrpcCode(StatusCode::kInvalidArgument), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcCode(StatusCode::kNotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcCode(StatusCode::kUnauthenticated), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ToGrpcCode(StatusCode::kPermissionDenied), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ToGrpcCode(StatusCode::kResourceExhausted), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ToGrpcCode(StatusCode::kInsufficientStorage), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ToGrpcCode(StatusCode::kUnavailable), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcCode(StatusCode::kFailedPrecondition), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpcCode(StatusCode::kAlreadyExists), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ToGrpcCode(StatusCode::kUnimplemented), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(ToGrpcCode(StatusCode::kDataLoss), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(ToGrpcCode(StatusCode::kInternal), grpc::StatusCode::INTERNAL);
}

TEST(GrpcStatus, AnInvalidArgumentWithAFieldCarriesABadRequestNamingIt) {
  grpc::Status s = ToGrpcStatus(InvalidArgument("items[2].ItemId: empty id", "[2].ItemId"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "items[2].ItemId: empty id");
  ASSERT_FALSE(s.error_details().empty());
  EXPECT_EQ(BadRequestFieldOf(s.error_details()), "[2].ItemId");
}

TEST(GrpcStatus, OtherErrorsCarryNoDetails) {
  grpc::Status s = ToGrpcStatus(NotFound("item \"x\" not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(s.error_details().empty());
  EXPECT_EQ(BadRequestFieldOf(s.error_details()), "");
  EXPECT_TRUE(ToGrpcStatus(Status::Ok()).ok());
}

}  // namespace
}  // namespace reco::grpcapi
