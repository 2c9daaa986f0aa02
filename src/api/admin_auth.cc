#include "api/admin_auth.h"

#include <boost/asio/ip/address.hpp>

#include "core/secure_compare.h"

namespace reco::api {
namespace {

constexpr std::string_view kBearer = "Bearer ";

// The configured secret of `scope` and how to name it in messages; empty secret = none.
struct ScopeCredential {
  std::string_view secret;
  std::string_view name;
  std::string_view header;  // the header an error names
};

ScopeCredential CredentialOf(AdminScope scope, const AdminCredentials& c) {
  const ScopeCredential token{c.reload_token, "MODEL_RELOAD_TOKEN", "Authorization"};
  const ScopeCredential key{c.api_key, "server.api_key", "X-API-Key"};
  if (scope == AdminScope::kReload) return !c.reload_token.empty() ? token : key;
  return !c.api_key.empty() ? key : token;
}

bool Presents(const PresentedCredentials& p, std::string_view secret) {
  std::string_view bearer = p.authorization;
  const bool has_bearer = bearer.substr(0, kBearer.size()) == kBearer;
  bearer.remove_prefix(has_bearer ? kBearer.size() : bearer.size());
  // Both headers are always compared: the time does not tell which one was checked.
  const bool by_bearer = has_bearer && ConstantTimeEquals(bearer, secret);
  const bool by_key = !p.x_api_key.empty() && ConstantTimeEquals(p.x_api_key, secret);
  return by_bearer || by_key;
}

}  // namespace

Status AuthorizeAdmin(AdminScope scope, std::string_view route, const AdminCredentials& configured,
                      const PresentedCredentials& presented) {
  const ScopeCredential credential = CredentialOf(scope, configured);
  if (credential.secret.empty()) {
    if (IsLoopbackAddress(presented.remote_address)) return Status::Ok();
    return Status(StatusCode::kPermissionDenied,
                  std::string(route) +
                      " answers only clients on the loopback interface because no credential "
                      "is configured: set server.api_key (RECO_SERVER_API_KEY) or "
                      "MODEL_RELOAD_TOKEN to call it from another host");
  }
  if (Presents(presented, credential.secret)) return Status::Ok();
  const bool sent_something = !presented.authorization.empty() || !presented.x_api_key.empty();
  return Status(StatusCode::kUnauthenticated,
                std::string(route) + (sent_something ? ": invalid credential; it" : "") +
                    " needs the header Authorization: Bearer <" + std::string(credential.name) +
                    "> (or X-API-Key: <" + std::string(credential.name) + ">)",
                std::string(credential.header));
}

bool IsLoopbackAddress(std::string_view remote_address) {
  const size_t colon = remote_address.rfind(':');  // "ip:port", the port always present
  if (colon == std::string_view::npos) return false;
  std::string_view host = remote_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .is_loopback();
  }
  return address.is_loopback();
}

std::string AdminAuthWarning(const AdminCredentials& configured) {
  if (!configured.api_key.empty() || !configured.reload_token.empty()) return "";
  return "event=admin_routes_loopback_only reason=\"no credential is configured "
         "(server.api_key / RECO_SERVER_API_KEY, MODEL_RELOAD_TOKEN)\" "
         "routes=\"POST /models/reload, POST /api/v1/jobs/{name}/run, POST "
         "/api/v1/pipeline/runs\" effect=\"they answer only clients on the loopback interface; "
         "every other route is open to anyone who reaches the port\"";
}

}  // namespace reco::api
