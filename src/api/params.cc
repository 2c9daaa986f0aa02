#include "api/params.h"

#include <charconv>
#include <string>

namespace reco::api {

Result<int> IntParam(const HttpRequest& req, std::string_view name, int fallback, int min,
                     int max) {
  auto raw = req.Query(name);
  if (!raw) return fallback;
  long long v = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  std::string field(name);
  if (raw->empty() || ec != std::errc() || ptr != raw->data() + raw->size()) {
    return InvalidArgument("query parameter " + field + " must be an integer, got \"" +
                               std::string(raw->substr(0, 32)) + "\"",
                           field);
  }
  if (v < min || v > max) {
    return InvalidArgument("query parameter " + field + " must be between " + std::to_string(min) +
                               " and " + std::to_string(max) + ", got " + std::to_string(v),
                           field);
  }
  return static_cast<int>(v);
}

Result<PageParams> ParsePage(const HttpRequest& req, int default_n, int max_n,
                             std::string_view n_name) {
  PageParams page;
  RECO_ASSIGN_OR_RETURN(page.n, IntParam(req, n_name, default_n, 1, max_n));
  RECO_ASSIGN_OR_RETURN(page.offset, IntParam(req, "offset", 0, 0, 1000000));
  return page;
}

Result<PageParams> ParseIdAndPage(const HttpRequest& req, std::string_view id_param, int default_n,
                                  int max_n) {
  RECO_RETURN_IF_ERROR(CheckId(req.Param(id_param), id_param));
  return ParsePage(req, default_n, max_n);
}

}  // namespace reco::api
