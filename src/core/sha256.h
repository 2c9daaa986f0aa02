// SHA-256 (OpenSSL's libcrypto) as lowercase hex. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace reco {

std::string Sha256Hex(std::string_view data);

}  // namespace reco
