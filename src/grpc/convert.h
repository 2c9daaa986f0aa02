// Between the reco.v1 messages and reco's data objects. A message from a client is checked as
// the REST body parser checks JSON: labels must be one JSON value, times must lie in years
// 0000..9999 and not after now + database.max_future_skew_seconds; an absent time is now. Each
// error is an InvalidArgument naming the field, prefixed by `where` ("items[3]").
//
// Thread-safety: pure functions (the JSON check uses a thread-local parser).
#pragma once

#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "reco/v1/common.pb.h"
#include "store/types.h"

namespace google::protobuf {
class Timestamp;
class Duration;
}  // namespace google::protobuf

namespace reco::grpcapi {

// What a conversion needs to know of now.
struct TimeBounds {
  TimestampUs now = 0;
  TimestampUs latest = 0;  // now + database.max_future_skew_seconds
};

Result<User> FromProto(const v1::User& user, std::string_view where);
Result<Item> FromProto(const v1::Item& item, std::string_view where, const TimeBounds& bounds);
Result<Feedback> FromProto(const v1::Feedback& row, std::string_view where,
                           const TimeBounds& bounds);

// Each replaces everything `out` held.
void ToProto(const User& user, v1::User* out);
void ToProto(const Item& item, v1::Item* out);
void ToProto(const Feedback& row, v1::Feedback* out);

void ToTimestamp(TimestampUs t, google::protobuf::Timestamp* out);
// A time from a client: in range, and not after bounds.latest. `field` names it in errors.
Result<TimestampUs> FromTimestamp(const google::protobuf::Timestamp& t, std::string_view field,
                                  const TimeBounds& bounds);
// A non-negative duration of at most `max_seconds`.
Result<TimestampUs> FromDuration(const google::protobuf::Duration& d, std::string_view field,
                                 int64_t max_seconds);

// "" is read as null; anything else must be exactly one JSON value.
Result<std::string> LabelsJson(const std::string& text, std::string_view field);

}  // namespace reco::grpcapi
