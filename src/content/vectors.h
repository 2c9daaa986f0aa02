// Item vectors supplied by the catalogue: Gorse's convention of an `embedding` label (an item's
// Labels object holding {"embedding": [0.1, 0.2, ...]}), read and validated here, and written
// back into the labels by the vectors route.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::content {

// Vector kinds (one ANN index each): "text" (the built-in embedder), "supplied" (labels or the
// vectors route) and "clip" (CLIP image vectors written by the item_images job).
inline constexpr std::string_view kKindText = "text";
inline constexpr std::string_view kKindSupplied = "supplied";
inline constexpr std::string_view kKindClip = "clip";

inline constexpr size_t kMaxVectorDimension = 4096;

// InvalidArgument naming `field` unless `values` has `dimension` entries (any size in
// 1..kMaxVectorDimension when dimension is 0), all finite and not all zero.
Status ValidateVector(std::span<const float> values, size_t dimension, std::string_view field);

// The vector in label `label` of `labels_json`: nullopt when the labels are no object or have no
// such key; InvalidArgument naming `field` when the value is not an array of numbers or fails
// ValidateVector.
Result<std::optional<std::vector<float>>> SuppliedVector(std::string_view labels_json,
                                                         std::string_view label, size_t dimension,
                                                         std::string_view field);

// `labels_json` with label `label` set to `values` (the other labels kept as they are). "null"
// or empty labels become an object; InvalidArgument naming `field` when the labels are JSON
// that is not an object (an array of strings has no place for a vector).
Result<std::string> WithVectorLabel(std::string_view labels_json, std::string_view label,
                                    std::span<const float> values, std::string_view field);

// `labels_json` without label `label` (the text unchanged when it has none or is no object).
std::string WithoutLabel(std::string_view labels_json, std::string_view label);

// The string value of label `label`; nullopt when absent, not a string, or the labels are no
// object.
std::optional<std::string> StringLabel(std::string_view labels_json, std::string_view label);

// Scales `values` to unit length in place; false (unchanged) when its norm is 0.
bool NormalizeInPlace(std::span<float> values);

}  // namespace reco::content
