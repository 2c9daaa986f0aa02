#include "gateway/alert_payload.h"

#include <simdjson.h>

namespace reco::gateway {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Status Bad(const std::string& field, const std::string& what) {
  return InvalidArgument("Alertmanager payload: " + field + " " + what, field);
}

// The string member `key` of `obj` into `out`; absent is an error only when `required`.
Status ReadString(object obj, std::string_view key, const std::string& field, bool required,
                  std::string& out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) {
    return required ? Bad(field, "is required") : Status::Ok();
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return Bad(field, "must be a string");
  out.assign(text);
  return Status::Ok();
}

// An object of strings ({"alertname":"X"}); absent gives an empty set unless `required`.
Status ReadLabels(object obj, std::string_view key, const std::string& field, bool required,
                  LabelSet& out) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) {
    return required ? Bad(field, "is required") : Status::Ok();
  }
  object labels;
  if (value.get_object().get(labels) != simdjson::SUCCESS) {
    return Bad(field, "must be an object of strings");
  }
  for (auto [name, v] : labels) {
    std::string_view text;
    if (v.get_string().get(text) != simdjson::SUCCESS) {
      return Bad(field + "." + std::string(name), "must be a string");
    }
    out.emplace(std::string(name), std::string(text));
  }
  return Status::Ok();
}

Status ReadTime(object obj, std::string_view key, const std::string& field, bool required,
                TimestampUs& out) {
  std::string text;
  RECO_RETURN_IF_ERROR(ReadString(obj, key, field, required, text));
  if (text.empty()) return required ? Bad(field, "is required") : Status::Ok();
  Result<TimestampUs> ts = ParseTimestamp(text);
  if (!ts.ok()) return Bad(field, "must be an RFC 3339 time, got \"" + text + "\"");
  out = *ts;
  return Status::Ok();
}

Status ReadStatus(object obj, const std::string& field, std::string& out) {
  RECO_RETURN_IF_ERROR(ReadString(obj, "status", field, true, out));
  if (out != "firing" && out != "resolved") {
    return Bad(field, "must be \"firing\" or \"resolved\", got \"" + out + "\"");
  }
  return Status::Ok();
}

Status ReadAlert(element value, const std::string& field, Alert& alert) {
  object obj;
  if (value.get_object().get(obj) != simdjson::SUCCESS) return Bad(field, "must be an object");
  RECO_RETURN_IF_ERROR(ReadStatus(obj, field + ".status", alert.status));
  RECO_RETURN_IF_ERROR(ReadLabels(obj, "labels", field + ".labels", true, alert.labels));
  RECO_RETURN_IF_ERROR(
      ReadLabels(obj, "annotations", field + ".annotations", false, alert.annotations));
  RECO_RETURN_IF_ERROR(ReadTime(obj, "startsAt", field + ".startsAt", true, alert.starts_at));
  RECO_RETURN_IF_ERROR(ReadTime(obj, "endsAt", field + ".endsAt", false, alert.ends_at));
  RECO_RETURN_IF_ERROR(
      ReadString(obj, "generatorURL", field + ".generatorURL", false, alert.generator_url));
  RECO_RETURN_IF_ERROR(
      ReadString(obj, "fingerprint", field + ".fingerprint", false, alert.fingerprint));
  return Status::Ok();
}

Status ReadAlerts(object root, AlertPayload& out) {
  element value;
  if (root.at_key("alerts").get(value) != simdjson::SUCCESS) return Bad("alerts", "is required");
  simdjson::dom::array alerts;
  if (value.get_array().get(alerts) != simdjson::SUCCESS) return Bad("alerts", "must be an array");
  size_t i = 0;
  for (element item : alerts) {
    Alert alert;
    RECO_RETURN_IF_ERROR(ReadAlert(item, "alerts[" + std::to_string(i++) + "]", alert));
    out.alerts.push_back(std::move(alert));
  }
  if (out.alerts.empty()) return Bad("alerts", "must hold at least one alert");
  return Status::Ok();
}

Status ReadTruncated(object root, AlertPayload& out) {
  element value;
  if (root.at_key("truncatedAlerts").get(value) != simdjson::SUCCESS) return Status::Ok();
  int64_t n = 0;
  if (value.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
    return Bad("truncatedAlerts", "must be a non-negative integer");
  }
  out.truncated_alerts = n;
  return Status::Ok();
}

Status ReadPayload(object root, AlertPayload& out) {
  RECO_RETURN_IF_ERROR(ReadString(root, "version", "version", true, out.version));
  if (out.version != "4") {
    return Bad("version", "must be \"4\" (Alertmanager webhook v4), got \"" + out.version + "\"");
  }
  RECO_RETURN_IF_ERROR(ReadStatus(root, "status", out.status));
  RECO_RETURN_IF_ERROR(ReadString(root, "receiver", "receiver", true, out.receiver));
  if (out.receiver.empty()) return Bad("receiver", "must not be empty");
  RECO_RETURN_IF_ERROR(ReadString(root, "groupKey", "groupKey", false, out.group_key));
  RECO_RETURN_IF_ERROR(ReadAlerts(root, out));
  RECO_RETURN_IF_ERROR(ReadLabels(root, "groupLabels", "groupLabels", false, out.group_labels));
  RECO_RETURN_IF_ERROR(ReadLabels(root, "commonLabels", "commonLabels", false, out.common_labels));
  RECO_RETURN_IF_ERROR(ReadLabels(root, "commonAnnotations", "commonAnnotations", false,
                                  out.common_annotations));
  RECO_RETURN_IF_ERROR(ReadString(root, "externalURL", "externalURL", false, out.external_url));
  return ReadTruncated(root, out);
}

std::string Lookup(const LabelSet& set, std::string_view name) {
  auto it = set.find(std::string(name));
  return it == set.end() ? std::string() : it->second;
}

}  // namespace

std::string Alert::Label(std::string_view name) const { return Lookup(labels, name); }
std::string Alert::Annotation(std::string_view name) const { return Lookup(annotations, name); }

Result<AlertPayload> ParseAlertPayload(std::string_view body) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return Bad("body", "is not valid JSON");
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return Bad("body", "must be a JSON object");
  AlertPayload out;
  RECO_RETURN_IF_ERROR(ReadPayload(obj, out));
  return out;
}

}  // namespace reco::gateway
