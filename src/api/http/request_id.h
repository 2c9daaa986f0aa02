// Request ids: the one a client sent (X-Request-Id, gRPC metadata x-request-id) when it is sane,
// else a new one. Every transport names a request by it in logs and the exposure log.
//
// Thread-safety: GenerateRequestId uses a per-thread generator.
#pragma once

#include <string>
#include <string_view>

namespace reco {

// 1..128 printable ASCII characters without spaces.
bool SaneRequestId(std::string_view id);

// "<8 random hex digits of this thread>-<per-thread counter in hex>" into `out`.
void GenerateRequestId(std::string& out);

}  // namespace reco
