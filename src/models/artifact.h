// Model artifact: the versioned binary file every model is saved in.
// Layout (little-endian): magic "RECOMDL1" (8 bytes), format version (u32), kind (u32 length +
// bytes), created (i64 µs), data snapshot id (string), code version (string), payload size (u64),
// sha256 of the payload (64 lowercase hex bytes), then the payload.
//
// Thread-safety: the functions are thread-safe for distinct paths. Writes are atomic (temporary
// name + fsync + rename): readers see the old file or the complete new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "core/version.h"

namespace reco {

constexpr std::string_view kArtifactMagic = "RECOMDL1";
constexpr uint32_t kArtifactFormatVersion = 1;

struct ArtifactHeader {
  uint32_t format_version = kArtifactFormatVersion;  // set by WriteArtifact
  std::string kind;                                  // "popularity", "latest", "itemcf", ...
  TimestampUs created = 0;
  std::string snapshot_id;  // Dataset::snapshot_id() it was fitted on
  std::string code_version = CodeVersion();
  uint64_t payload_size = 0;   // set by WriteArtifact
  std::string payload_sha256;  // hex; set by WriteArtifact
};

struct Artifact {
  ArtifactHeader header;
  std::string payload;
};

// Encodes header + payload (format_version, payload_size and payload_sha256 are computed).
std::string EncodeArtifact(const ArtifactHeader& header, std::string_view payload);
// Decodes and verifies `bytes`; `name` (usually the path) appears in every error message.
// Errors are DataLoss: wrong magic, unsupported version, truncated, checksum mismatch,
// trailing bytes.
Result<Artifact> DecodeArtifact(std::string_view bytes, std::string_view name);

Status WriteArtifact(const std::filesystem::path& path, const ArtifactHeader& header,
                     std::string_view payload);
// NotFound when the file cannot be opened; DataLoss as DecodeArtifact.
Result<Artifact> ReadArtifact(const std::filesystem::path& path);

}  // namespace reco
