// Gorse JSON codecs: users, items, feedback and their patches in Gorse's field names
// ("UserId", "ItemId", "FeedbackType", "Labels", "Timestamp", ...), read with simdjson on-demand
// and written with JsonWriter. Used by `reco import` and by the REST API for bodies and responses.
//
// Thread-safety: a GorseJsonParser is not thread-safe (it owns reusable buffers); use one per
// thread. The free functions and writers are thread-safe. Results never point into the input.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "core/time.h"
#include "store/types.h"

namespace reco::ingest {

// Bytes that must be readable after a JSON text handed to the *Padded functions.
inline constexpr size_t kJsonPadding = simdjson::SIMDJSON_PADDING;

struct ParseOptions {
  // Used when "Timestamp" is absent, null or "".
  TimestampUs default_timestamp = 0;
  // A "Timestamp" after this is an error naming the field (see ingest/time_limits.h).
  TimestampUs latest_timestamp = kMaxTimestamp;
};

// Errors are InvalidArgument; field() names the field ("ItemId", or "[2].ItemId" in arrays) and
// the message names the field and the problem (malformed JSON gives the byte offset).
class GorseJsonParser {
 public:
  explicit GorseJsonParser(ParseOptions options = {}) : options_(options) {}

  void set_options(const ParseOptions& options) { options_ = options; }
  const ParseOptions& options() const { return options_; }

  // One JSON object. T is User, Item, Feedback, UserPatch or ItemPatch.
  template <typename T>
  Result<T> ParseObject(std::string_view json);
  // A JSON array of objects; the first bad element fails the whole array.
  template <typename T>
  Result<std::vector<T>> ParseArray(std::string_view json);

  // Zero-copy forms: `json` must be followed by kJsonPadding readable bytes (any content).
  template <typename T>
  Result<T> ParseObjectPadded(std::string_view json);
  // Calls fn(index, byte_offset_of_element, parsed-or-error) for each element; a bad element
  // does not stop the walk. Returns an error only when the text is not a well-formed array.
  template <typename T>
  Status ForEachInArrayPadded(std::string_view json,
                              const std::function<void(size_t, size_t, Result<T>&&)>& fn);

  // The input size (bytes) the reusable buffers are sized for: they grow to the largest input
  // parsed so far and hold several times that in memory.
  size_t buffer_capacity() const;
  // Frees the buffers when buffer_capacity() exceeds `max_bytes` (e.g. after a large request
  // body, so that a long-lived parser does not keep the largest size ever seen). True when it
  // freed them.
  bool ReleaseBuffersAbove(size_t max_bytes);

 private:
  std::string_view Pad(std::string_view json);

  ParseOptions options_;
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser validator_;  // validates raw "Labels" arrays and objects
  std::string padded_;               // copy of the input followed by kJsonPadding spaces
};

// Convenience wrappers (each makes a parser; reuse a GorseJsonParser on hot paths).
Result<User> ParseUser(std::string_view json, const ParseOptions& options = {});
Result<Item> ParseItem(std::string_view json, const ParseOptions& options = {});
Result<Feedback> ParseFeedback(std::string_view json, const ParseOptions& options = {});
Result<std::vector<User>> ParseUsers(std::string_view json, const ParseOptions& options = {});
Result<std::vector<Item>> ParseItems(std::string_view json, const ParseOptions& options = {});
Result<std::vector<Feedback>> ParseFeedbackList(std::string_view json,
                                                const ParseOptions& options = {});
Result<UserPatch> ParseUserPatch(std::string_view json);
Result<ItemPatch> ParseItemPatch(std::string_view json);

// {"UserId","Labels","Subscribe":null,"Comment"}
void WriteUser(JsonWriter& w, const User& user);
// {"ItemId","IsHidden","Categories","Timestamp","Labels","Comment"}
void WriteItem(JsonWriter& w, const Item& item);
// {"FeedbackType","UserId","ItemId","Value","Timestamp","Comment"}
void WriteFeedback(JsonWriter& w, const Feedback& feedback);

}  // namespace reco::ingest
