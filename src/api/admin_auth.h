// Who may call the operators' state-changing routes (model reload, job triggers, pipeline
// runs). Such a route is never open while any credential is configured:
//   POST /models/reload            MODEL_RELOAD_TOKEN, else server.api_key
//   POST /api/v1/jobs/{name}/run,  server.api_key, else MODEL_RELOAD_TOKEN
//   POST /api/v1/pipeline/runs
// The credential is sent as "Authorization: Bearer <secret>" or "X-API-Key: <secret>" and
// compared in constant time. With no credential configured at all, only clients on the loopback
// interface are answered (403 for the others).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::api {

enum class AdminScope {
  kReload,   // POST /models/reload
  kOperate,  // job triggers, pipeline runs
};

struct AdminCredentials {
  std::string api_key;       // server.api_key (RECO_SERVER_API_KEY)
  std::string reload_token;  // server.reload_token (MODEL_RELOAD_TOKEN)
};

// What a request presented.
struct PresentedCredentials {
  std::string_view x_api_key;       // the X-API-Key header, "" when absent
  std::string_view authorization;   // the Authorization header, "" when absent
  std::string_view remote_address;  // "ip:port" of the client
};

// Ok when the request may call `route` (e.g. "POST /models/reload") of `scope`. Errors:
// Unauthenticated naming the header when the scope's credential is configured and was not
// presented (or was wrong); PermissionDenied when no credential is configured and the client is
// not on the loopback interface.
Status AuthorizeAdmin(AdminScope scope, std::string_view route, const AdminCredentials& configured,
                      const PresentedCredentials& presented);

// True when the address of "ip:port" (also "[ip]:port") is 127.0.0.0/8, ::1 or
// ::ffff:127.0.0.0/104.
bool IsLoopbackAddress(std::string_view remote_address);

// The start-up warning when no credential is configured (admin routes then answer loopback
// clients only); "" otherwise.
std::string AdminAuthWarning(const AdminCredentials& configured);

}  // namespace reco::api
