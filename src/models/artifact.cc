#include "models/artifact.h"

#include "core/file_util.h"
#include "core/sha256.h"
#include "models/binary_io.h"

namespace reco {
namespace {

constexpr size_t kMaxHeaderString = 4096;
constexpr size_t kShaHexBytes = 64;

Status Bad(std::string_view name, std::string_view detail) {
  return DataLoss("model file " + std::string(name) + ": " + std::string(detail));
}

}  // namespace

std::string EncodeArtifact(const ArtifactHeader& header, std::string_view payload) {
  BinaryWriter w;
  for (char c : kArtifactMagic) w.U8(static_cast<uint8_t>(c));
  w.U32(kArtifactFormatVersion);
  w.String(header.kind);
  w.I64(header.created);
  w.String(header.snapshot_id);
  w.String(header.code_version);
  w.U64(payload.size());
  std::string out = w.Take();
  out += Sha256Hex(payload);
  out.append(payload);
  return out;
}

Result<Artifact> DecodeArtifact(std::string_view bytes, std::string_view name) {
  if (bytes.size() < kArtifactMagic.size() ||
      bytes.substr(0, kArtifactMagic.size()) != kArtifactMagic) {
    return Bad(name, "wrong magic (not a reco model file)");
  }
  BinaryReader r(bytes.substr(kArtifactMagic.size()), "header");
  Artifact a;
  ArtifactHeader& h = a.header;
  if (!r.U32(h.format_version).ok()) return Bad(name, "truncated header");
  if (h.format_version != kArtifactFormatVersion) {
    return Bad(name, "unsupported format version " + std::to_string(h.format_version) +
                         " (this build reads version " + std::to_string(kArtifactFormatVersion) +
                         ")");
  }
  if (!r.String(h.kind, kMaxHeaderString).ok() || !r.I64(h.created).ok() ||
      !r.String(h.snapshot_id, kMaxHeaderString).ok() ||
      !r.String(h.code_version, kMaxHeaderString).ok() || !r.U64(h.payload_size).ok() ||
      r.remaining() < kShaHexBytes) {
    return Bad(name, "truncated or corrupt header");
  }
  size_t sha_pos = kArtifactMagic.size() + r.position();
  h.payload_sha256 = std::string(bytes.substr(sha_pos, kShaHexBytes));
  std::string_view payload = bytes.substr(sha_pos + kShaHexBytes);
  if (payload.size() < h.payload_size) {
    return Bad(name, "truncated: payload has " + std::to_string(payload.size()) + " of " +
                         std::to_string(h.payload_size) + " bytes");
  }
  if (payload.size() > h.payload_size) {
    return Bad(name, std::to_string(payload.size() - h.payload_size) +
                         " bytes of trailing garbage after the payload");
  }
  if (Sha256Hex(payload) != h.payload_sha256) {
    return Bad(name, "checksum mismatch (sha256 of the payload differs from the header)");
  }
  a.payload = std::string(payload);
  return a;
}

Status WriteArtifact(const std::filesystem::path& path, const ArtifactHeader& header,
                     std::string_view payload) {
  return WriteFileAtomic(path, EncodeArtifact(header, payload));
}

Result<Artifact> ReadArtifact(const std::filesystem::path& path) {
  RECO_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodeArtifact(bytes, path.string());
}

}  // namespace reco
