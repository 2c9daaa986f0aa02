// Status and Result<T>: errors that a client, the disk or the environment can cause are values.
//
// Thread-safety: both are plain values; copy freely. A Status is cheap when ok (no allocation).
// Codes follow gRPC's; api/http maps them to HTTP statuses in one place (HttpStatusFor).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace reco {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // 400
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // 409
  kResourceExhausted,   // 413 / 429
  kInsufficientStorage,  // 507: the disk is full (not gRPC's; a retry does not help)
  kUnavailable,         // 503
  kUnimplemented,       // 501
  kDataLoss,            // 500
  kInternal,            // 500
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request field, flag or key the error is about ("" when none); shown to clients.
  const std::string& field() const { return field_; }

  // "INVALID_ARGUMENT: message" — for logs and CLI output.
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message".
  Status WithPrefix(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string msg, std::string field = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(field));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status AlreadyExists(std::string msg) {
  return Status(StatusCode::kAlreadyExists, std::move(msg));
}
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status ResourceExhausted(std::string msg) {
  return Status(StatusCode::kResourceExhausted, std::move(msg));
}
inline Status InsufficientStorage(std::string msg) {
  return Status(StatusCode::kInsufficientStorage, std::move(msg));
}
inline Status Unavailable(std::string msg) {
  return Status(StatusCode::kUnavailable, std::move(msg));
}
inline Status Unimplemented(std::string msg) {
  return Status(StatusCode::kUnimplemented, std::move(msg));
}
inline Status Unauthenticated(std::string msg) {
  return Status(StatusCode::kUnauthenticated, std::move(msg));
}
inline Status DataLoss(std::string msg) { return Status(StatusCode::kDataLoss, std::move(msg)); }
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

// Holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace reco

#define RECO_CONCAT_INNER_(a, b) a##b
#define RECO_CONCAT_(a, b) RECO_CONCAT_INNER_(a, b)

#define RECO_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::reco::Status reco_status_ = (expr);        \
    if (!reco_status_.ok()) return reco_status_; \
  } while (0)

#define RECO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// RECO_ASSIGN_OR_RETURN(auto x, Foo()); returns Foo()'s status when it failed.
#define RECO_ASSIGN_OR_RETURN(lhs, expr) \
  RECO_ASSIGN_OR_RETURN_IMPL_(RECO_CONCAT_(reco_result_, __LINE__), lhs, expr)
