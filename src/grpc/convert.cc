#include "grpc/convert.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <simdjson.h>

#include <cmath>

#include "ingest/time_limits.h"

namespace reco::grpcapi {
namespace {

std::string Field(std::string_view where, std::string_view name) {
  std::string field(where);
  if (!field.empty()) field.push_back('.');
  field += name;
  return field;
}

}  // namespace

Result<std::string> LabelsJson(const std::string& text, std::string_view field) {
  if (text.empty()) return std::string("null");
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  if (parser.parse(text).get(ignored) != simdjson::SUCCESS) {
    return InvalidArgument(std::string(field) + ": not a JSON value", std::string(field));
  }
  return text;
}

void ToTimestamp(TimestampUs t, google::protobuf::Timestamp* out) {
  // Floor division: -1 µs is second -1 plus 999,999,000 ns.
  int64_t seconds = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(micros * 1000));
}

Result<TimestampUs> FromTimestamp(const google::protobuf::Timestamp& t, std::string_view field,
                                  const TimeBounds& bounds) {
  constexpr int64_t kMinSeconds = kMinTimestamp / kMicrosPerSecond;
  constexpr int64_t kMaxSeconds = kMaxTimestamp / kMicrosPerSecond;
  if (t.nanos() < 0 || t.nanos() > 999'999'999 || t.seconds() < kMinSeconds ||
      t.seconds() > kMaxSeconds) {
    return InvalidArgument(std::string(field) + ": out of range (years 0000..9999)",
                           std::string(field));
  }
  const TimestampUs us = t.seconds() * kMicrosPerSecond + t.nanos() / 1000;
  if (std::string problem = ingest::FutureTimestampProblem(us, bounds.latest); !problem.empty()) {
    return InvalidArgument(std::string(field) + " " + problem, std::string(field));
  }
  return us;
}

Result<TimestampUs> FromDuration(const google::protobuf::Duration& d, std::string_view field,
                                 int64_t max_seconds) {
  if (d.seconds() < 0 || d.nanos() < 0) {
    return InvalidArgument(std::string(field) + ": must not be negative", std::string(field));
  }
  if (d.seconds() > max_seconds || (d.seconds() == max_seconds && d.nanos() > 0)) {
    return InvalidArgument(std::string(field) + " is longer than " + std::to_string(max_seconds) +
                               " s (database.max_future_skew_seconds)",
                           std::string(field));
  }
  return d.seconds() * kMicrosPerSecond + d.nanos() / 1000;
}

Result<User> FromProto(const v1::User& user, std::string_view where) {
  User out{.user_id = user.user_id(), .comment = user.comment()};
  RECO_ASSIGN_OR_RETURN(out.labels_json,
                        LabelsJson(user.labels_json(), Field(where, "labels_json")));
  return out;
}

Result<Item> FromProto(const v1::Item& item, std::string_view where, const TimeBounds& bounds) {
  Item out{.item_id = item.item_id(),
           .is_hidden = item.is_hidden(),
           .categories = {item.categories().begin(), item.categories().end()},
           .timestamp = bounds.now,
           .comment = item.comment()};
  RECO_ASSIGN_OR_RETURN(out.labels_json,
                        LabelsJson(item.labels_json(), Field(where, "labels_json")));
  if (item.has_timestamp()) {
    RECO_ASSIGN_OR_RETURN(out.timestamp,
                          FromTimestamp(item.timestamp(), Field(where, "timestamp"), bounds));
  }
  return out;
}

Result<Feedback> FromProto(const v1::Feedback& row, std::string_view where,
                           const TimeBounds& bounds) {
  Feedback out{.feedback_type = row.feedback_type(),
               .user_id = row.user_id(),
               .item_id = row.item_id(),
               .value = row.value() == 0 ? 1.0 : row.value(),
               .timestamp = bounds.now,
               .comment = row.comment()};
  if (!std::isfinite(out.value)) {
    return InvalidArgument(Field(where, "value") + ": not a finite number", Field(where, "value"));
  }
  if (row.has_timestamp()) {
    RECO_ASSIGN_OR_RETURN(out.timestamp,
                          FromTimestamp(row.timestamp(), Field(where, "timestamp"), bounds));
  }
  return out;
}

void ToProto(const User& user, v1::User* out) {
  out->Clear();  // a message reused for the next row keeps nothing of the last
  out->set_user_id(user.user_id);
  out->set_labels_json(user.labels_json);
  out->set_comment(user.comment);
}

void ToProto(const Item& item, v1::Item* out) {
  out->Clear();  // a message reused for the next row keeps nothing of the last
  out->set_item_id(item.item_id);
  out->set_is_hidden(item.is_hidden);
  for (const auto& c : item.categories) out->add_categories(c);
  out->set_labels_json(item.labels_json);
  ToTimestamp(item.timestamp, out->mutable_timestamp());
  out->set_comment(item.comment);
}

void ToProto(const Feedback& row, v1::Feedback* out) {
  out->Clear();  // a message reused for the next row keeps nothing of the last
  out->set_feedback_type(row.feedback_type);
  out->set_user_id(row.user_id);
  out->set_item_id(row.item_id);
  ToTimestamp(row.timestamp, out->mutable_timestamp());
  out->set_comment(row.comment);
  out->set_value(row.value);
}

}  // namespace reco::grpcapi
