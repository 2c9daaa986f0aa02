// The Alertmanager webhook payload (version "4") that `reco gateway` receives on
// POST /alertmanager, and its validation: a bad payload is an InvalidArgument naming the field
// ("alerts[2].startsAt"), which the route answers with 400.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace reco::gateway {

using LabelSet = std::map<std::string, std::string>;

struct Alert {
  std::string status;  // "firing" or "resolved"
  LabelSet labels;
  LabelSet annotations;
  TimestampUs starts_at = 0;
  TimestampUs ends_at = 0;  // Alertmanager sends 0001-01-01T00:00:00Z while an alert fires
  std::string generator_url;
  std::string fingerprint;

  bool firing() const { return status == "firing"; }
  // The label or annotation `name`, "" when absent.
  std::string Label(std::string_view name) const;
  std::string Annotation(std::string_view name) const;
};

struct AlertPayload {
  std::string version;  // "4"
  std::string status;   // "firing" or "resolved": firing when any alert still fires
  std::string receiver;
  std::string group_key;
  std::vector<Alert> alerts;
  LabelSet group_labels;
  LabelSet common_labels;
  LabelSet common_annotations;
  std::string external_url;
  int64_t truncated_alerts = 0;  // alerts Alertmanager left out (max_alerts)
};

// Parses and validates a webhook body. Required: version "4", status, receiver, alerts (an array
// of objects with status, labels, startsAt). Optional members are checked for type when present.
Result<AlertPayload> ParseAlertPayload(std::string_view body);

}  // namespace reco::gateway
