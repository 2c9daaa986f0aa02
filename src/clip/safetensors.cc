#include "clip/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <simdjson.h>
#include <utility>

namespace reco::clip {
namespace {

// Larger headers are not written by any tool we know of; refusing them bounds what a damaged
// length field can make us allocate.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

// F32 data is read straight into floats.
static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

int DtypeBytes(std::string_view dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2") {
    return 1;
  }
  return 0;
}

Status ReadExactly(int fd, uint64_t offset, void* out, size_t size) {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) return DataLoss("the file ends early");
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

int64_t TensorInfo::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeString(std::span<const int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {  // inf / nan
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal half: normalise it
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mantissa & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float Bfloat16ToFloat(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      data_offset_(other.data_offset_),
      tensors_(std::move(other.tensors_)),
      index_(std::move(other.index_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    data_offset_ = other.data_offset_;
    tensors_ = std::move(other.tensors_);
    index_ = std::move(other.index_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<SafetensorsFile> SafetensorsFile::Open(const std::filesystem::path& path) {
  SafetensorsFile file;
  file.path_ = path;
  const std::string name = path.string();
  file.fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd_ < 0) {
    if (errno == ENOENT) return NotFound(name + " is missing");
    return Internal(name + ": " + std::strerror(errno));
  }
  const off_t size = ::lseek(file.fd_, 0, SEEK_END);
  if (size < 8) return DataLoss(name + ": not a safetensors file (shorter than 8 bytes)");
  unsigned char length_bytes[8];
  if (Status st = ReadExactly(file.fd_, 0, length_bytes, 8); !st.ok()) return st.WithPrefix(name);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | length_bytes[i];
  const uint64_t file_size = static_cast<uint64_t>(size);
  if (header_length > kMaxHeaderBytes || header_length > file_size - 8) {
    return DataLoss(name + ": not a safetensors file (header length " +
                    std::to_string(header_length) + " does not fit the file of " +
                    std::to_string(file_size) + " bytes)");
  }
  std::string header(header_length, '\0');
  if (Status st = ReadExactly(file.fd_, 8, header.data(), header.size()); !st.ok()) {
    return st.WithPrefix(name);
  }
  file.data_offset_ = 8 + header_length;
  const uint64_t data_size = file_size - file.data_offset_;

  simdjson::dom::parser parser;
  simdjson::padded_string padded(header);
  simdjson::dom::object root;
  if (parser.parse(padded).get_object().get(root)) {
    return DataLoss(name + ": the safetensors header is not a JSON object");
  }
  for (auto field : root) {
    const std::string tensor(field.key);
    if (tensor == "__metadata__") continue;
    const std::string where = name + ": tensor " + tensor;
    simdjson::dom::object entry;
    if (field.value.get_object().get(entry)) return DataLoss(where + ": entry is not an object");
    TensorInfo info;
    info.name = tensor;
    std::string_view dtype;
    if (entry["dtype"].get_string().get(dtype)) return DataLoss(where + ": no \"dtype\" string");
    info.dtype = std::string(dtype);
    const int element_bytes = DtypeBytes(dtype);
    if (element_bytes == 0) return DataLoss(where + ": unknown dtype " + info.dtype);
    simdjson::dom::array shape;
    if (entry["shape"].get_array().get(shape)) return DataLoss(where + ": no \"shape\" array");
    uint64_t elements = 1;
    for (auto d : shape) {
      int64_t v = 0;
      if (d.get_int64().get(v) || v < 0 || v > (int64_t{1} << 40)) {
        return DataLoss(where + ": \"shape\" holds something other than a size");
      }
      info.shape.push_back(v);
      elements *= static_cast<uint64_t>(v);
      if (elements > (uint64_t{1} << 40)) return DataLoss(where + ": \"shape\" is too large");
    }
    simdjson::dom::array offsets;
    uint64_t begin = 0, end = 0;
    if (entry["data_offsets"].get_array().get(offsets) || offsets.size() != 2 ||
        offsets.at(0).get_uint64().get(begin) || offsets.at(1).get_uint64().get(end)) {
      return DataLoss(where + ": \"data_offsets\" is not [begin, end]");
    }
    if (end < begin || end > data_size) {
      return DataLoss(where + ": bytes [" + std::to_string(begin) + ", " + std::to_string(end) +
                      ") lie outside the data section of " + std::to_string(data_size) +
                      " bytes (a truncated file?)");
    }
    if (end - begin != elements * static_cast<uint64_t>(element_bytes)) {
      return DataLoss(where + ": " + std::to_string(end - begin) + " bytes do not hold " +
                      info.dtype + " " + ShapeString(info.shape));
    }
    info.begin = begin;
    info.end = end;
    if (!file.index_.emplace(tensor, file.tensors_.size()).second) {
      return DataLoss(where + ": listed twice");
    }
    file.tensors_.push_back(std::move(info));
  }
  return file;
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::vector<float>> SafetensorsFile::ReadFloats(
    std::string_view name, std::span<const int64_t> expected_shape) const {
  const TensorInfo* info = Find(name);
  const std::string where = path_.string() + ": tensor " + std::string(name);
  if (info == nullptr) return NotFound(where + " is missing");
  if (!std::equal(info->shape.begin(), info->shape.end(), expected_shape.begin(),
                  expected_shape.end())) {
    return DataLoss(where + " has shape " + ShapeString(info->shape) + ", expected " +
                    ShapeString(expected_shape) + " (config.json does not match the weights)");
  }
  const size_t n = static_cast<size_t>(info->NumElements());
  std::vector<float> out(n);
  const size_t bytes = static_cast<size_t>(info->end - info->begin);
  if (info->dtype == "F32") {
    if (Status st = ReadExactly(fd_, data_offset_ + info->begin, out.data(), bytes); !st.ok()) {
      return st.WithPrefix(where);
    }
    return out;
  }
  std::vector<unsigned char> raw(bytes);
  if (Status st = ReadExactly(fd_, data_offset_ + info->begin, raw.data(), bytes); !st.ok()) {
    return st.WithPrefix(where);
  }
  if (info->dtype == "F16" || info->dtype == "BF16") {
    const bool half = info->dtype == "F16";
    for (size_t i = 0; i < n; ++i) {
      const auto h = static_cast<uint16_t>(raw[2 * i] | (raw[2 * i + 1] << 8));
      out[i] = half ? HalfToFloat(h) : Bfloat16ToFloat(h);
    }
    return out;
  }
  if (info->dtype == "F64") {
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      for (int b = 7; b >= 0; --b) bits = (bits << 8) | raw[8 * i + b];
      out[i] = static_cast<float>(std::bit_cast<double>(bits));
    }
    return out;
  }
  return DataLoss(where + " has dtype " + info->dtype + "; only F32, F16, BF16 and F64 are read");
}

}  // namespace reco::clip
