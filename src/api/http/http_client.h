// A small synchronous HTTP/1.1 client (plain http://host[:port]/path, one request per
// connection) for the CLI and the pipeline: `reco release` follows a server's pipeline run and the
// publish task calls MODEL_RELOAD_URL. Also the host name lookup bounded by a deadline that it
// and the gateway's WeCom client use.
//
// Thread-safety: HttpFetch and LookupHost are safe from any thread (each call has its own
// connection and lookup). Lifetime: nothing is retained after the call, except a lookup that
// outlived its deadline: its helper thread ends by itself when getaddrinfo returns.
#pragma once

#include <functional>
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

// A host name lookup: the numeric addresses ("10.0.0.5", "::1") of `host`.
using HostLookup = std::function<Result<std::vector<std::string>>(const std::string& host)>;

// The system's lookup (getaddrinfo: /etc/hosts, DNS, ...). Unavailable naming the host when it
// has no address.
Result<std::vector<std::string>> SystemHostLookup(const std::string& host);

// The addresses of `host`, given up at `timeout_seconds`: getaddrinfo has no timeout of its own
// and can block far longer than a caller's deadline, so `lookup` runs on a helper thread that is
// left to finish alone when the deadline passes (Unavailable "lookup of HOST gave no answer
// within N s"). A numeric address is returned as it is, without a lookup.
Result<std::vector<std::string>> LookupHost(const std::string& host, double timeout_seconds,
                                            const HostLookup& lookup = SystemHostLookup);

// Sends one request and reads the whole response, the whole exchange (host name lookup, connect,
// write, read) bounded by `timeout_seconds`. Unavailable naming host:port when the lookup or the
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
