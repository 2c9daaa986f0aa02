#include "grpc/grpc_status.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace reco::grpcapi {
namespace {

namespace pbio = google::protobuf::io;

constexpr const char* kBadRequestType = "type.googleapis.com/google.rpc.BadRequest";

// Field numbers of google.rpc.Status, google.protobuf.Any, google.rpc.BadRequest and its
// FieldViolation (wire format of the public googleapis definitions).
constexpr int kStatusCode = 1, kStatusMessage = 2, kStatusDetails = 3;
constexpr int kAnyTypeUrl = 1, kAnyValue = 2;
constexpr int kBadRequestViolations = 1;
constexpr int kViolationField = 1, kViolationDescription = 2;

constexpr uint32_t Tag(int number, int wire_type) {
  return static_cast<uint32_t>(number) << 3 | static_cast<uint32_t>(wire_type);
}

void WriteBytesField(pbio::CodedOutputStream& out, int number, const std::string& bytes) {
  out.WriteTag(Tag(number, 2));
  out.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  out.WriteString(bytes);
}

template <typename Fn>
std::string Encode(Fn&& fn) {
  std::string bytes;
  {
    pbio::StringOutputStream raw(&bytes);
    pbio::CodedOutputStream out(&raw);
    fn(out);
  }
  return bytes;
}

std::string BadRequestDetails(grpc::StatusCode code, const std::string& message,
                              const std::string& field) {
  std::string violation = Encode([&](pbio::CodedOutputStream& out) {
    WriteBytesField(out, kViolationField, field);
    WriteBytesField(out, kViolationDescription, message);
  });
  std::string bad_request = Encode([&](pbio::CodedOutputStream& out) {
    WriteBytesField(out, kBadRequestViolations, violation);
  });
  std::string any = Encode([&](pbio::CodedOutputStream& out) {
    WriteBytesField(out, kAnyTypeUrl, kBadRequestType);
    WriteBytesField(out, kAnyValue, bad_request);
  });
  return Encode([&](pbio::CodedOutputStream& out) {
    out.WriteTag(Tag(kStatusCode, 0));
    out.WriteVarint32(static_cast<uint32_t>(code));
    WriteBytesField(out, kStatusMessage, message);
    WriteBytesField(out, kStatusDetails, any);
  });
}

// The length-delimited fields `number` of a message, in order.
std::vector<std::string> BytesFields(const std::string& message, int number) {
  std::vector<std::string> found;
  pbio::CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                            static_cast<int>(message.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int wire_type = static_cast<int>(tag & 7);
    if (wire_type == 2) {
      uint32_t size = 0;
      std::string bytes;
      if (!in.ReadVarint32(&size) || !in.ReadString(&bytes, static_cast<int>(size))) break;
      if (static_cast<int>(tag >> 3) == number) found.push_back(std::move(bytes));
    } else if (wire_type == 0) {
      uint64_t ignored = 0;
      if (!in.ReadVarint64(&ignored)) break;
    } else {
      break;  // no other wire types occur in these messages
    }
  }
  return found;
}

}  // namespace

grpc::StatusCode ToGrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kUnauthenticated:
      return grpc::StatusCode::UNAUTHENTICATED;
    case StatusCode::kPermissionDenied:
      return grpc::StatusCode::PERMISSION_DENIED;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kFailedPrecondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    // A full disk: retrying does not help, as with REST's 507.
    case StatusCode::kInsufficientStorage:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kUnimplemented:
      return grpc::StatusCode::UNIMPLEMENTED;
    case StatusCode::kDataLoss:
      return grpc::StatusCode::DATA_LOSS;
    case StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const grpc::StatusCode code = ToGrpcCode(status.code());
  if (code == grpc::StatusCode::INVALID_ARGUMENT && !status.field().empty()) {
    return grpc::Status(code, status.message(),
                        BadRequestDetails(code, status.message(), status.field()));
  }
  return grpc::Status(code, status.message());
}

std::string BadRequestFieldOf(const std::string& status_details) {
  for (const std::string& any : BytesFields(status_details, kStatusDetails)) {
    auto type = BytesFields(any, kAnyTypeUrl);
    if (type.empty() || type[0] != kBadRequestType) continue;
    for (const std::string& bad_request : BytesFields(any, kAnyValue)) {
      for (const std::string& violation : BytesFields(bad_request, kBadRequestViolations)) {
        auto field = BytesFields(violation, kViolationField);
        if (!field.empty()) return field[0];
      }
    }
  }
  return "";
}

}  // namespace reco::grpcapi
