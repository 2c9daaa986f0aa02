// The data objects every layer shares: users, items, feedback (Gorse's data model).
//
// Labels are kept as raw JSON text (any JSON value, "[]" / "null" by default) so that whatever
// shape a client sends comes back unchanged. Timestamps are microseconds since the epoch (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace reco {

// Ids are non-empty, at most this many bytes.
constexpr size_t kMaxIdBytes = 256;

struct User {
  std::string user_id;
  std::string labels_json = "null";  // raw JSON value
  std::string comment;
};

struct Item {
  std::string item_id;
  bool is_hidden = false;
  std::vector<std::string> categories;
  std::string labels_json = "null";  // raw JSON value
  TimestampUs timestamp = 0;
  std::string comment;
};

struct Feedback {
  std::string feedback_type;
  std::string user_id;
  std::string item_id;
  double value = 1.0;
  TimestampUs timestamp = 0;
  std::string comment;
};

// PATCH bodies: absent fields are left unchanged.
struct UserPatch {
  std::optional<std::string> labels_json;
  std::optional<std::string> comment;
};

struct ItemPatch {
  std::optional<bool> is_hidden;
  std::optional<std::vector<std::string>> categories;
  std::optional<std::string> labels_json;
  std::optional<TimestampUs> timestamp;
  std::optional<std::string> comment;
};

}  // namespace reco
