// Internal to reco_registry: typed reads of simdjson DOM values with errors that name the file
// and the field ("runs/X.json: field 'metrics.ndcg@10' is not a number"), and the shared JSON
// forms of artifacts and string/number maps.
//
// Thread-safety: pure functions. Lifetime: elements borrow their parser's buffers.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "registry/run_tracker.h"

namespace reco::registry::internal {

// Reads one JSON object field; a missing field keeps `out` unchanged unless `required`.
class FieldReader {
 public:
  FieldReader(simdjson::dom::object object, std::string_view file, std::string prefix = {})
      : object_(object), file_(file), prefix_(std::move(prefix)) {}

  Status String(std::string_view key, std::string& out, bool required = false) const;
  Status Int(std::string_view key, int64_t& out, bool required = false) const;
  Status Double(std::string_view key, double& out, bool required = false) const;
  Status Timestamp(std::string_view key, TimestampUs& out, bool required = false) const;
  Status StringList(std::string_view key, std::vector<std::string>& out) const;
  Status StringMap(std::string_view key, std::map<std::string, std::string>& out) const;
  Status IntMap(std::string_view key, std::map<std::string, int64_t>& out) const;
  Status DoubleMap(std::string_view key, std::map<std::string, double>& out) const;
  Status Artifacts(std::string_view key, std::vector<RunArtifact>& out) const;
  // The nested object `key` (error when present but not an object); false when absent.
  Result<bool> Object(std::string_view key, simdjson::dom::object& out) const;

  Status Error(std::string_view key, std::string_view problem) const;

 private:
  // Looks `key` up; false when absent.
  bool Find(std::string_view key, simdjson::dom::element& out) const;
  Status Missing(std::string_view key) const;

  simdjson::dom::object object_;
  std::string_view file_;
  std::string prefix_;
};

// Parses `json` into `parser`'s document; DataLoss "FILE: not valid JSON (...)" or "... is not
// a JSON object".
Result<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser, std::string_view json,
                                          std::string_view file);

void WriteArtifacts(JsonWriter& w, const std::vector<RunArtifact>& artifacts);
void WriteDoubleMap(JsonWriter& w, const std::map<std::string, double>& values);
void WriteStringMap(JsonWriter& w, const std::map<std::string, std::string>& values);

}  // namespace reco::registry::internal
