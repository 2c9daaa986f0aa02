#include "experiment/experiment.h"

#include <cmath>
#include <set>
#include <string>

namespace reco::experiment {
namespace {

// Ids, layers, variant and type names: 1..kMaxNameBytes of [A-Za-z0-9_.-], so that they are safe
// in paths, metric labels and the exposure log without escaping.
Status CheckName(std::string_view value, const std::string& field) {
  if (value.empty()) return InvalidArgument(field + ": must not be empty", field);
  if (value.size() > kMaxNameBytes) {
    return InvalidArgument(field + ": longer than " + std::to_string(kMaxNameBytes) + " bytes",
                           field);
  }
  for (char c : value) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) {
      return InvalidArgument(field +
                                 ": only letters, digits, '_', '-' and '.' are allowed, got \"" +
                                 std::string(value) + "\"",
                             field);
    }
  }
  return Status::Ok();
}

Status CheckVariant(const ExperimentVariantRecord& v, const std::string& field) {
  RECO_RETURN_IF_ERROR(CheckName(v.name, field + ".name"));
  if (!(v.weight > 0) || !std::isfinite(v.weight)) {
    return InvalidArgument(field + ".weight: must be > 0", field + ".weight");
  }
  if (v.target_kind != kTargetScenario && v.target_kind != kTargetModelVersion) {
    return InvalidArgument(field +
                               ".target_kind: must be \"scenario\" or \"model_version\", got \"" +
                               v.target_kind + "\"",
                           field + ".target_kind");
  }
  return CheckName(v.target, field + ".target");
}

Status CheckTypes(const std::vector<std::string>& types, const std::string& field) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string item = field + "[" + std::to_string(i) + "]";
    RECO_RETURN_IF_ERROR(CheckName(types[i], item));
    if (!seen.insert(types[i]).second) return InvalidArgument(item + ": listed twice", item);
  }
  return Status::Ok();
}

}  // namespace

int TrafficBuckets(double traffic) {
  return std::clamp(static_cast<int>(std::lround(traffic * kBuckets)), 1, kBuckets);
}

Status Validate(const ExperimentRecord& e) {
  RECO_RETURN_IF_ERROR(CheckName(e.id, "id"));
  if (e.name.size() > 1000) return InvalidArgument("name: longer than 1000 bytes", "name");
  RECO_RETURN_IF_ERROR(CheckName(e.layer, "layer"));
  if (e.status != kDraft && e.status != kRunning && e.status != kStopped) {
    return InvalidArgument("status: must be draft, running or stopped, got \"" + e.status + "\"",
                           "status");
  }
  if (!(e.traffic > 0 && e.traffic <= 1)) {
    return InvalidArgument("traffic: must be in (0, 1]", "traffic");
  }
  if (e.variants.size() < 2 || e.variants.size() > kMaxVariants) {
    return InvalidArgument("variants: between 2 and " + std::to_string(kMaxVariants) +
                               " variants are needed, got " + std::to_string(e.variants.size()),
                           "variants");
  }
  std::set<std::string_view> names;
  for (size_t i = 0; i < e.variants.size(); ++i) {
    const std::string field = "variants[" + std::to_string(i) + "]";
    RECO_RETURN_IF_ERROR(CheckVariant(e.variants[i], field));
    if (!names.insert(e.variants[i].name).second) {
      return InvalidArgument(field + ".name: \"" + e.variants[i].name + "\" is used twice",
                             field + ".name");
    }
  }
  RECO_RETURN_IF_ERROR(CheckTypes(e.click_types, "click_types"));
  RECO_RETURN_IF_ERROR(CheckTypes(e.conversion_types, "conversion_types"));
  if (e.click_types.empty() && e.conversion_types.empty()) {
    return InvalidArgument("click_types: name at least one click or conversion feedback type",
                           "click_types");
  }
  return Status::Ok();
}

Status CheckRunningEdit(const ExperimentRecord& current, const ExperimentRecord& next) {
  auto refuse = [&](const char* field) {
    return Status(StatusCode::kFailedPrecondition,
                  std::string(field) + ": cannot change while experiment \"" + current.id +
                      "\" is running (only name and traffic can); stop it and create another",
                  field);
  };
  if (next.layer != current.layer) return refuse("layer");
  if (next.variants.size() != current.variants.size()) return refuse("variants");
  for (size_t i = 0; i < next.variants.size(); ++i) {
    const auto& a = current.variants[i];
    const auto& b = next.variants[i];
    if (a.name != b.name || a.weight != b.weight || a.target_kind != b.target_kind ||
        a.target != b.target) {
      return refuse("variants");
    }
  }
  if (next.click_types != current.click_types) return refuse("click_types");
  if (next.conversion_types != current.conversion_types) return refuse("conversion_types");
  return Status::Ok();
}

}  // namespace reco::experiment
