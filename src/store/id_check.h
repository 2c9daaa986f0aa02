// Id validation shared by every Store backend (and by callers that want to fail early):
// an id is non-empty and at most kMaxIdBytes bytes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/status.h"
#include "store/types.h"

namespace reco {

// Checks the id of row `row` of a batch named `batch` ("feedback", "users", "items"). The error
// reads "feedback[3].UserId: empty id" with field "[3].UserId".
Status CheckBatchId(std::string_view id, std::string_view batch, size_t row,
                    std::string_view field);

// Checks a single id; the error reads "UserId: empty id" with field "UserId".
Status CheckId(std::string_view id, std::string_view field);

// Every id of a batch: "users[2].UserId: …", "items[0].ItemId: …", "feedback[1].ItemId: …".
Status CheckUserIds(std::span<const User> users);
Status CheckItemIds(std::span<const Item> items);
Status CheckFeedbackIds(std::span<const Feedback> feedback);

// A feedback row naming a user or item the store lacks while auto-insert is off:
// "feedback[3].UserId: unknown user \"u9\" (auto-insert is off)" with field "[3].UserId".
Status UnknownFeedbackId(size_t row, std::string_view field, std::string_view kind,
                         std::string_view id);

}  // namespace reco
