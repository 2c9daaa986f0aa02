// Id validation shared by every Store backend (and by callers that want to fail early):
// an id is non-empty and at most kMaxIdBytes bytes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace reco {

// Checks the id of row `row` of a batch named `batch` ("feedback", "users", "items"). The error
// reads "feedback[3].UserId: empty id" with field "[3].UserId".
Status CheckBatchId(std::string_view id, std::string_view batch, size_t row,
                    std::string_view field);

// Checks a single id; the error reads "UserId: empty id" with field "UserId".
Status CheckId(std::string_view id, std::string_view field);

}  // namespace reco
