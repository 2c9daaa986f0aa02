#include "registry/json_fields.h"

#include <cmath>

namespace reco::registry::internal {

namespace dom = simdjson::dom;

Result<dom::object> ParseObject(dom::parser& parser, std::string_view json, std::string_view file) {
  dom::element root;
  // realloc_if_needed: the text is not padded.
  if (auto error = parser.parse(json.data(), json.size(), true).get(root)) {
    return DataLoss(std::string(file) + ": not valid JSON (" + simdjson::error_message(error) +
                    ")");
  }
  dom::object object;
  if (root.get_object().get(object)) {
    return DataLoss(std::string(file) + ": the top level is not a JSON object");
  }
  return object;
}

bool FieldReader::Find(std::string_view key, dom::element& out) const {
  return object_.at_key(key).get(out) == simdjson::SUCCESS && !out.is_null();
}

Status FieldReader::Error(std::string_view key, std::string_view problem) const {
  return DataLoss(std::string(file_) + ": field '" + prefix_ + std::string(key) + "' " +
                  std::string(problem));
}

Status FieldReader::Missing(std::string_view key) const { return Error(key, "is missing"); }

Status FieldReader::String(std::string_view key, std::string& out, bool required) const {
  dom::element e;
  if (!Find(key, e)) return required ? Missing(key) : Status::Ok();
  std::string_view s;
  if (e.get_string().get(s)) return Error(key, "is not a string");
  out.assign(s);
  return Status::Ok();
}

Status FieldReader::Int(std::string_view key, int64_t& out, bool required) const {
  dom::element e;
  if (!Find(key, e)) return required ? Missing(key) : Status::Ok();
  if (e.get_int64().get(out)) {
    uint64_t u = 0;
    if (e.get_uint64().get(u) == simdjson::SUCCESS) return Error(key, "is out of range");
    return Error(key, "is not an integer");
  }
  return Status::Ok();
}

Status FieldReader::Double(std::string_view key, double& out, bool required) const {
  dom::element e;
  if (!Find(key, e)) return required ? Missing(key) : Status::Ok();
  if (e.get_double().get(out)) return Error(key, "is not a number");
  return Status::Ok();
}

Status FieldReader::Timestamp(std::string_view key, TimestampUs& out, bool required) const {
  std::string text;
  RECO_RETURN_IF_ERROR(String(key, text, required));
  if (text.empty()) return Status::Ok();
  Result<TimestampUs> ts = ParseTimestamp(text);
  if (!ts.ok()) return Error(key, "is not an RFC 3339 time: " + ts.status().message());
  out = *ts;
  return Status::Ok();
}

Status FieldReader::StringList(std::string_view key, std::vector<std::string>& out) const {
  dom::element e;
  if (!Find(key, e)) return Status::Ok();
  dom::array array;
  if (e.get_array().get(array)) return Error(key, "is not an array");
  out.clear();
  for (dom::element v : array) {
    std::string_view s;
    if (v.get_string().get(s)) return Error(key, "has an element that is not a string");
    out.emplace_back(s);
  }
  return Status::Ok();
}

Result<bool> FieldReader::Object(std::string_view key, dom::object& out) const {
  dom::element e;
  if (!Find(key, e)) return false;
  if (e.get_object().get(out)) return Error(key, "is not an object");
  return true;
}

Status FieldReader::StringMap(std::string_view key, std::map<std::string, std::string>& out) const {
  dom::object object;
  RECO_ASSIGN_OR_RETURN(bool present, Object(key, object));
  if (!present) return Status::Ok();
  FieldReader inner(object, file_, prefix_ + std::string(key) + ".");
  for (auto [k, v] : object) {
    RECO_RETURN_IF_ERROR(inner.String(k, out[std::string(k)]));
  }
  return Status::Ok();
}

Status FieldReader::IntMap(std::string_view key, std::map<std::string, int64_t>& out) const {
  dom::object object;
  RECO_ASSIGN_OR_RETURN(bool present, Object(key, object));
  if (!present) return Status::Ok();
  FieldReader inner(object, file_, prefix_ + std::string(key) + ".");
  for (auto [k, v] : object) {
    RECO_RETURN_IF_ERROR(inner.Int(k, out[std::string(k)]));
  }
  return Status::Ok();
}

Status FieldReader::DoubleMap(std::string_view key, std::map<std::string, double>& out) const {
  dom::object object;
  RECO_ASSIGN_OR_RETURN(bool present, Object(key, object));
  if (!present) return Status::Ok();
  FieldReader inner(object, file_, prefix_ + std::string(key) + ".");
  for (auto [k, v] : object) {
    double value = 0;
    if (v.is_null()) {
      value = std::nan("");  // JsonWriter writes NaN as null
    } else {
      RECO_RETURN_IF_ERROR(inner.Double(k, value));
    }
    out[std::string(k)] = value;
  }
  return Status::Ok();
}

Status FieldReader::Artifacts(std::string_view key, std::vector<RunArtifact>& out) const {
  dom::element e;
  if (!Find(key, e)) return Status::Ok();
  dom::array array;
  if (e.get_array().get(array)) return Error(key, "is not an array");
  out.clear();
  size_t index = 0;
  for (dom::element v : array) {
    std::string where = prefix_ + std::string(key) + "[" + std::to_string(index++) + "].";
    dom::object object;
    if (v.get_object().get(object)) return Error(key, "has an element that is not an object");
    FieldReader inner(object, file_, where);
    RunArtifact a;
    int64_t bytes = 0;
    RECO_RETURN_IF_ERROR(inner.String("path", a.path, /*required=*/true));
    RECO_RETURN_IF_ERROR(inner.String("kind", a.kind));
    RECO_RETURN_IF_ERROR(inner.Int("bytes", bytes));
    RECO_RETURN_IF_ERROR(inner.String("sha256", a.sha256, /*required=*/true));
    if (bytes < 0) return inner.Error("bytes", "is negative");
    a.bytes = static_cast<uint64_t>(bytes);
    out.push_back(std::move(a));
  }
  return Status::Ok();
}

void WriteArtifacts(JsonWriter& w, const std::vector<RunArtifact>& artifacts) {
  w.BeginArray();
  for (const RunArtifact& a : artifacts) {
    w.BeginObject().Key("path").String(a.path).Key("kind").String(a.kind);
    w.Key("bytes").Int(static_cast<int64_t>(a.bytes)).Key("sha256").String(a.sha256).EndObject();
  }
  w.EndArray();
}

void WriteDoubleMap(JsonWriter& w, const std::map<std::string, double>& values) {
  w.BeginObject();
  for (const auto& [k, v] : values) w.Key(k).Double(v);
  w.EndObject();
}

void WriteStringMap(JsonWriter& w, const std::map<std::string, std::string>& values) {
  w.BeginObject();
  for (const auto& [k, v] : values) w.Key(k).String(v);
  w.EndObject();
}

}  // namespace reco::registry::internal
