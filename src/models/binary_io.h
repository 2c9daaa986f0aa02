// Little-endian binary encoding for model payloads: BinaryWriter appends scalars, strings and
// arrays to a std::string; BinaryReader reads them back with bounds checks. A corrupt or hostile
// payload never crashes the reader nor makes it allocate more than the bytes that remain.
//
// Thread-safety: none; one writer/reader per payload. A reader borrows its input bytes, which
// must outlive it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco {

class BinaryWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F32(float v);
  void F64(double v);
  // u32 length, then the bytes.
  void String(std::string_view s);
  // u64 count, then the elements.
  void StringArray(std::span<const std::string> values);
  void U32Array(std::span<const uint32_t> values);
  void U64Array(std::span<const uint64_t> values);
  void F32Array(std::span<const float> values);

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class BinaryReader {
 public:
  // `what` names the payload in error messages (e.g. "itemcf payload").
  explicit BinaryReader(std::string_view data, std::string what = "payload")
      : data_(data), what_(std::move(what)) {}

  Status U8(uint8_t& v);
  Status U32(uint32_t& v);
  Status U64(uint64_t& v);
  Status I64(int64_t& v);
  Status F32(float& v);
  Status F64(double& v);
  // Strings longer than `max_len` bytes are rejected.
  Status String(std::string& v, size_t max_len = 1 << 20);
  Status StringArray(std::vector<std::string>& v);
  Status U32Array(std::vector<uint32_t>& v);
  Status U64Array(std::vector<uint64_t>& v);
  Status F32Array(std::vector<float>& v);
  // DataLoss unless every byte has been consumed.
  Status ExpectEnd() const;

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  // A DataLoss status naming the payload and the current offset.
  Status Corrupt(std::string_view detail) const;

 private:
  Status Take(size_t n, const char*& p);
  Status ArrayCount(size_t element_size, size_t& count);

  std::string_view data_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace reco
