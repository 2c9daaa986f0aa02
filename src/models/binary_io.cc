#include "models/binary_io.h"

#include <bit>
#include <cstring>

namespace reco {
namespace {

template <typename T>
T ToLittle(T v) {
  if constexpr (std::endian::native == std::endian::little) {
    return v;
  } else {
    T out{};
    auto* src = reinterpret_cast<const unsigned char*>(&v);
    auto* dst = reinterpret_cast<unsigned char*>(&out);
    for (size_t i = 0; i < sizeof(T); ++i) dst[i] = src[sizeof(T) - 1 - i];
    return out;
  }
}

template <typename T>
void AppendScalar(std::string& out, T v) {
  v = ToLittle(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
void AppendArray(std::string& out, std::span<const T> values) {
  AppendScalar<uint64_t>(out, values.size());
  if constexpr (std::endian::native == std::endian::little) {
    out.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  } else {
    for (T v : values) AppendScalar(out, v);
  }
}

template <typename T>
T LoadScalar(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return ToLittle(v);
}

}  // namespace

void BinaryWriter::U32(uint32_t v) { AppendScalar(out_, v); }
void BinaryWriter::U64(uint64_t v) { AppendScalar(out_, v); }
void BinaryWriter::F32(float v) { AppendScalar(out_, std::bit_cast<uint32_t>(v)); }
void BinaryWriter::F64(double v) { AppendScalar(out_, std::bit_cast<uint64_t>(v)); }

void BinaryWriter::String(std::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}

void BinaryWriter::StringArray(std::span<const std::string> values) {
  U64(values.size());
  for (const std::string& s : values) String(s);
}

void BinaryWriter::U32Array(std::span<const uint32_t> values) { AppendArray(out_, values); }
void BinaryWriter::U64Array(std::span<const uint64_t> values) { AppendArray(out_, values); }
void BinaryWriter::F32Array(std::span<const float> values) { AppendArray(out_, values); }

Status BinaryReader::Corrupt(std::string_view detail) const {
  return DataLoss(what_ + " is corrupt at byte " + std::to_string(pos_) + ": " +
                  std::string(detail));
}

Status BinaryReader::Take(size_t n, const char*& p) {
  if (n > remaining()) {
    return Corrupt("needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                   " remain");
  }
  p = data_.data() + pos_;
  pos_ += n;
  return Status::Ok();
}

Status BinaryReader::U8(uint8_t& v) {
  const char* p;
  RECO_RETURN_IF_ERROR(Take(1, p));
  v = static_cast<uint8_t>(*p);
  return Status::Ok();
}

Status BinaryReader::U32(uint32_t& v) {
  const char* p;
  RECO_RETURN_IF_ERROR(Take(4, p));
  v = LoadScalar<uint32_t>(p);
  return Status::Ok();
}

Status BinaryReader::U64(uint64_t& v) {
  const char* p;
  RECO_RETURN_IF_ERROR(Take(8, p));
  v = LoadScalar<uint64_t>(p);
  return Status::Ok();
}

Status BinaryReader::I64(int64_t& v) {
  uint64_t u;
  RECO_RETURN_IF_ERROR(U64(u));
  v = static_cast<int64_t>(u);
  return Status::Ok();
}

Status BinaryReader::F32(float& v) {
  uint32_t u;
  RECO_RETURN_IF_ERROR(U32(u));
  v = std::bit_cast<float>(u);
  return Status::Ok();
}

Status BinaryReader::F64(double& v) {
  uint64_t u;
  RECO_RETURN_IF_ERROR(U64(u));
  v = std::bit_cast<double>(u);
  return Status::Ok();
}

Status BinaryReader::String(std::string& v, size_t max_len) {
  uint32_t len;
  RECO_RETURN_IF_ERROR(U32(len));
  if (len > max_len) return Corrupt("string of " + std::to_string(len) + " bytes is too long");
  const char* p;
  RECO_RETURN_IF_ERROR(Take(len, p));
  v.assign(p, len);
  return Status::Ok();
}

Status BinaryReader::ArrayCount(size_t element_size, size_t& count) {
  uint64_t n;
  RECO_RETURN_IF_ERROR(U64(n));
  if (n > remaining() / element_size) {
    return Corrupt("array of " + std::to_string(n) + " elements exceeds the " +
                   std::to_string(remaining()) + " bytes that remain");
  }
  count = static_cast<size_t>(n);
  return Status::Ok();
}

Status BinaryReader::StringArray(std::vector<std::string>& v) {
  size_t n;
  RECO_RETURN_IF_ERROR(ArrayCount(4, n));  // each string takes at least its 4-byte length
  v.clear();
  v.resize(n);
  for (std::string& s : v) RECO_RETURN_IF_ERROR(String(s));
  return Status::Ok();
}

namespace {

template <typename T, typename Bits>
Status ReadArray(std::vector<T>& v, const char* data, size_t n) {
  v.resize(n);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(v.data(), data, n * sizeof(T));
  } else {
    for (size_t i = 0; i < n; ++i) {
      v[i] = std::bit_cast<T>(LoadScalar<Bits>(data + i * sizeof(T)));
    }
  }
  return Status::Ok();
}

}  // namespace

Status BinaryReader::U32Array(std::vector<uint32_t>& v) {
  size_t n;
  const char* p;
  RECO_RETURN_IF_ERROR(ArrayCount(4, n));
  RECO_RETURN_IF_ERROR(Take(n * 4, p));
  return ReadArray<uint32_t, uint32_t>(v, p, n);
}

Status BinaryReader::U64Array(std::vector<uint64_t>& v) {
  size_t n;
  const char* p;
  RECO_RETURN_IF_ERROR(ArrayCount(8, n));
  RECO_RETURN_IF_ERROR(Take(n * 8, p));
  return ReadArray<uint64_t, uint64_t>(v, p, n);
}

Status BinaryReader::F32Array(std::vector<float>& v) {
  size_t n;
  const char* p;
  RECO_RETURN_IF_ERROR(ArrayCount(4, n));
  RECO_RETURN_IF_ERROR(Take(n * 4, p));
  return ReadArray<float, uint32_t>(v, p, n);
}

Status BinaryReader::ExpectEnd() const {
  if (remaining() != 0) return Corrupt(std::to_string(remaining()) + " unexpected trailing bytes");
  return Status::Ok();
}

}  // namespace reco
