#include "content/vectors.h"

#include <simdjson.h>

#include <cmath>
#include <cstdio>

#include "core/json_writer.h"

namespace reco::content {

Status ValidateVector(std::span<const float> values, size_t dimension, std::string_view field) {
  const std::string name(field);
  if (values.empty() || values.size() > kMaxVectorDimension) {
    return InvalidArgument(name + ": a vector needs 1.." + std::to_string(kMaxVectorDimension) +
                               " values, got " + std::to_string(values.size()),
                           name);
  }
  if (dimension != 0 && values.size() != dimension) {
    return InvalidArgument(name + ": the vector has " + std::to_string(values.size()) +
                               " values, the vector set has dimension " + std::to_string(dimension),
                           name);
  }
  bool any = false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return InvalidArgument(name + "[" + std::to_string(i) + "] is not a finite number", name);
    }
    any = any || values[i] != 0.0f;
  }
  if (!any) return InvalidArgument(name + ": a vector of zeros has no direction", name);
  return Status::Ok();
}

Result<std::optional<std::vector<float>>> SuppliedVector(std::string_view labels_json,
                                                         std::string_view label, size_t dimension,
                                                         std::string_view field) {
  if (labels_json.empty() || labels_json == "null" || labels_json.front() != '{') {
    return std::optional<std::vector<float>>();
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return std::optional<std::vector<float>>();
  }
  simdjson::dom::element value;
  if (object[label].get(value) != simdjson::SUCCESS) return std::optional<std::vector<float>>();
  simdjson::dom::array array;
  const std::string name(field);
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return InvalidArgument(name + " must be an array of numbers", name);
  }
  std::vector<float> out;
  for (simdjson::dom::element e : array) {
    double v = 0;
    if (e.get_double().get(v) != simdjson::SUCCESS) {
      int64_t i = 0;
      uint64_t u = 0;
      if (e.get_int64().get(i) == simdjson::SUCCESS) {
        v = static_cast<double>(i);
      } else if (e.get_uint64().get(u) == simdjson::SUCCESS) {
        v = static_cast<double>(u);
      } else {
        return InvalidArgument(name + "[" + std::to_string(out.size()) + "] is not a number", name);
      }
    }
    if (out.size() >= kMaxVectorDimension) break;  // ValidateVector reports the size
    out.push_back(static_cast<float>(v));
  }
  if (array.size() > kMaxVectorDimension) out.resize(kMaxVectorDimension + 1, 0.0f);
  RECO_RETURN_IF_ERROR(ValidateVector(out, dimension, field));
  return std::optional<std::vector<float>>(std::move(out));
}

Result<std::string> WithVectorLabel(std::string_view labels_json, std::string_view label,
                                    std::span<const float> values, std::string_view field) {
  JsonWriter w;
  w.BeginObject();
  if (!labels_json.empty() && labels_json != "null") {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::object object;
    if (parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS ||
        root.get_object().get(object) != simdjson::SUCCESS) {
      const std::string name(field);
      return InvalidArgument(
          name + ": the item's labels are not a JSON object, so they cannot hold a vector label",
          name);
    }
    for (auto f : object) {
      if (f.key == label) continue;
      w.Key(f.key).Raw(simdjson::minify(f.value));
    }
  }
  w.Key(label).BeginArray();
  for (float v : values) w.Float(v);
  w.EndArray().EndObject();
  return w.Take();
}

std::string WithoutLabel(std::string_view labels_json, std::string_view label) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (labels_json.empty() ||
      parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return std::string(labels_json);
  }
  simdjson::dom::element unused;
  if (object[label].get(unused) != simdjson::SUCCESS) return std::string(labels_json);
  JsonWriter w;
  w.BeginObject();
  for (auto f : object) {
    if (f.key != label) w.Key(f.key).Raw(simdjson::minify(f.value));
  }
  w.EndObject();
  return w.Take();
}

std::optional<std::string> StringLabel(std::string_view labels_json, std::string_view label) {
  if (labels_json.empty() || labels_json.front() != '{') return std::nullopt;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view value;
  if (parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS ||
      root[label].get_string().get(value) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return std::string(value);
}

bool NormalizeInPlace(std::span<float> values) {
  double norm = 0;
  for (float v : values) norm += static_cast<double>(v) * v;
  if (!(norm > 0)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& v : values) v *= inv;
  return true;
}

}  // namespace reco::content
