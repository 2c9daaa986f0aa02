// Small JSON request bodies ({"run_id": "...", "rollout": 0.1}) read field by field, with errors
// that name the field.
//
// Thread-safety: pure functions.
#pragma once

#include <simdjson.h>

#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::api {

using BodyFieldReader = std::function<Status(std::string_view key, simdjson::dom::element value)>;

// Calls `read` for each field of the JSON object `body`; an empty (or all-blank) body has no
// fields. InvalidArgument naming "body" when it is not JSON or not an object (the message shows
// `example`), else the first error of `read`.
Status ForEachBodyField(std::string_view body, std::string_view example,
                        const BodyFieldReader& read);

// The string / number `value` of field `key`; InvalidArgument naming the field otherwise.
Result<std::string> StringField(simdjson::dom::element value, std::string_view key);
Result<double> NumberField(simdjson::dom::element value, std::string_view key);

// InvalidArgument for an unknown field, listing the ones expected.
Status UnknownField(std::string_view key, std::string_view expected);

}  // namespace reco::api
