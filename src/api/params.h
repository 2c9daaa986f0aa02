// Request parameter parsing shared by the REST routes: n / offset / cursor / ids, each rejected
// with an InvalidArgument Status naming the parameter.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "api/http/http_message.h"
#include "core/status.h"

namespace reco::api {

struct PageParams {
  int n = 10;
  int offset = 0;
};

// Reads the integer query parameter `name`; absent → `fallback`; otherwise it must be an
// integer in [min, max].
Result<int> IntParam(const HttpRequest& req, std::string_view name, int fallback, int min, int max);

// n (1..max_n, default default_n) and offset (>= 0).
Result<PageParams> ParsePage(const HttpRequest& req, int default_n, int max_n,
                             std::string_view n_name = "n");

// Non-empty and at most kMaxIdBytes bytes; `field` names it in the error.
Status CheckId(std::string_view id, std::string_view field);

}  // namespace reco::api
