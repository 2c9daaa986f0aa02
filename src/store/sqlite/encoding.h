// Text encodings of the sqlite Store backend: the opaque paging cursors handed to clients and
// the JSON array that holds an item's categories in one column.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::sqlite {

// A cursor is base64url("<kind>:<key>"); kind tells users ('u'), items ('i') and feedback
// ('f') apart so that a cursor of one listing is rejected by another.
std::string EncodeIdCursor(char kind, std::string_view last_id);
// InvalidArgument with field "cursor" when `cursor` is not an id cursor of `kind`.
Result<std::string> DecodeIdCursor(char kind, std::string_view cursor);

// Feedback cursors carry the last (user_idx, item_idx, type_idx) key.
using FeedbackKey = std::array<int64_t, 3>;
std::string EncodeFeedbackCursor(const FeedbackKey& last);
Result<FeedbackKey> DecodeFeedbackCursor(std::string_view cursor);

// Categories are stored as a JSON array of strings: ["a","b"].
std::string EncodeStringArray(const std::vector<std::string>& values);
// Parses what EncodeStringArray wrote (any valid JSON array of strings); DataLoss otherwise.
Result<std::vector<std::string>> DecodeStringArray(std::string_view json);

}  // namespace reco::sqlite
