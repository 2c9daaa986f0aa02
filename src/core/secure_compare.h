// Constant-time comparison of secrets (API keys, bearer tokens). Thread-safe, no state.
#pragma once

#include <string_view>

namespace reco {

// True when `given` (what a client sent) equals `expected` (the configured secret). Every byte
// of `given` is compared, against `expected` read cyclically, and a length mismatch is folded
// into the same result: the time taken depends on given.size() only, never on where the first
// difference is nor on the secret's content. An empty `expected` matches only an empty `given`.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

}  // namespace reco
