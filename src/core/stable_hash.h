// Hashes that are the same in every process, build and restart (never std::hash, whose values
// differ between standard libraries): FNV-1a 64 finished with MurmurHash3's fmix64, which
// spreads the last bytes into the high bits (FNV-1a alone leaves the top bits of keys that differ
// in their last character, "u1", "u2", ..., correlated). Users are split by them (canary
// fractions, experiment buckets), so a change of these functions moves users.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace reco {

inline constexpr uint64_t kFnv1a64Offset = 14695981039346656037ull;

// FNV-1a 64 of `bytes` continued from `h` (kFnv1a64Offset to start).
constexpr uint64_t Fnv1a64Append(uint64_t h, std::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// MurmurHash3's 64-bit finaliser.
constexpr uint64_t Fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// fmix64(FNV-1a 64(key)).
constexpr uint64_t StableHash64(std::string_view key) {
  return Fmix64(Fnv1a64Append(kFnv1a64Offset, key));
}

}  // namespace reco
