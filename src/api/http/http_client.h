// A small synchronous HTTP/1.1 client (plain http://host[:port]/path, one request per
// connection) for the CLI and the pipeline: `reco release` follows a server's pipeline run and the
// publish task calls MODEL_RELOAD_URL.
//
// Thread-safety: HttpFetch is safe from any thread (each call has its own connection).
// Lifetime: nothing is retained after the call.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace reco {

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string target = "/";  // path and query

  // "http://host:port/path?q"; InvalidArgument naming `field` for anything else (https is not
  // supported: put a TLS terminator in front of reco, or use a plain-http internal address).
  static Result<HttpUrl> Parse(std::string_view url, std::string_view field = "url");
};

struct HttpFetchResult {
  int status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends one request and reads the whole response. Unavailable naming host:port when the
// connection fails or the deadline passes; the HTTP status is a value, not an error.
Result<HttpFetchResult> HttpFetch(std::string_view method, std::string_view url,
                                  std::string_view body = {}, const HttpHeaders& headers = {},
                                  double timeout_seconds = 30);

}  // namespace reco

namespace reco {

// POSTs a JSON body with "Authorization: Bearer <token>" (when token is non-empty) and returns
// the HTTP status: the reload call of the pipeline's publish task (pipeline::ReloadPoster).
Result<int> HttpPostJson(const std::string& url, const std::string& body, const std::string& token);

}  // namespace reco
