// SafetensorsFile: reads tensors from a `.safetensors` file (Hugging Face's weights format: an
// 8-byte little-endian header length, a JSON header {"NAME": {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {...}}, then the raw little-endian data).
//
// Open() reads and validates the whole header (every tensor's dtype, shape and byte range against
// the file size) so a truncated or damaged file fails before any weight is used; every error names
// the file and, where there is one, the tensor. F32, F16 and BF16 (and F64) are read as floats.
//
// Thread-safety: a SafetensorsFile is immutable after Open(); ReadFloats() may be called from
// several threads (it uses pread). Move-only: it owns the open file descriptor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace reco::clip {

struct TensorInfo {
  std::string name;
  std::string dtype;           // as written: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;  // empty for a scalar
  uint64_t begin = 0;          // byte range in the data section (after the header)
  uint64_t end = 0;
  int64_t NumElements() const;
};

// "[768, 3, 32, 32]".
std::string ShapeString(std::span<const int64_t> shape);

class SafetensorsFile {
 public:
  // NotFound when the file does not exist; DataLoss naming the file (and tensor) when the header
  // is malformed, a byte range does not match its dtype and shape, or lies past the end.
  static Result<SafetensorsFile> Open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* Find(std::string_view name) const;

  // The tensor's values as floats, row-major. NotFound "FILE: tensor NAME is missing";
  // DataLoss when its shape differs from `expected_shape` or its dtype is not a float type.
  Result<std::vector<float>> ReadFloats(std::string_view name,
                                        std::span<const int64_t> expected_shape) const;

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t data_offset_ = 0;  // where the data section starts in the file
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;
};

// IEEE half and bfloat16 to float (exact).
float HalfToFloat(uint16_t h);
float Bfloat16ToFloat(uint16_t h);

}  // namespace reco::clip
