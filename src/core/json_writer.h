// JsonWriter: appends compact JSON to a std::string. Fast enough for the serving hot path.
//
// Not thread-safe; one writer per response. Commas are inserted automatically.
// Example: JsonWriter w; w.BeginObject(); w.Key("Id"); w.String("a"); w.EndObject();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

// Appends `s` as a quoted JSON string, escaping control characters, quotes and backslashes.
void AppendJsonString(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(256); }
  explicit JsonWriter(std::string buffer) : out_(std::move(buffer)) { out_.clear(); }

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);  // shortest round-trip form; NaN/Inf are written as null
  JsonWriter& Float(float v);    // shortest form that round-trips as a float (scores)
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-serialised JSON (e.g. stored labels) verbatim.
  JsonWriter& Raw(std::string_view json);
  JsonWriter& StringArray(const std::vector<std::string>& values);
  JsonWriter& Timestamp(int64_t ts_us);        // RFC 3339 string
  JsonWriter& TimestampOrNull(int64_t ts_us);  // null for 0 (not set), else Timestamp

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace reco
