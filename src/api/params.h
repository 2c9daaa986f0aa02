// Request parameter parsing shared by the REST routes: n / offset / cursor / ids, each rejected
// with an InvalidArgument Status naming the parameter.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "api/http/http_message.h"
#include "core/status.h"
#include "store/id_check.h"

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

// CheckId on the path parameter `id_param`, then ParsePage.
Result<PageParams> ParseIdAndPage(const HttpRequest& req, std::string_view id_param, int default_n,
                                  int max_n);

// Path ids are checked with reco::CheckId (store/id_check.h).
using ::reco::CheckId;

}  // namespace reco::api
