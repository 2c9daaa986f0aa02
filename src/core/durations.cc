#include "core/durations.h"

#include <cctype>

namespace reco {
namespace {

constexpr int64_t kMaxDurationSeconds = 10LL * 366 * 86400;

Status BadDuration(std::string_view text, std::string_view field) {
  return InvalidArgument(std::string(field) + " must be a duration like 90s, 10m, 1h or 7d, got \"" +
                             std::string(text.substr(0, 32)) + "\"",
                         std::string(field));
}

}  // namespace

Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view field) {
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) return BadDuration(text, field);
    const int64_t value = std::stoll(std::string(text.substr(start, i - start)));
    int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i++]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return BadDuration(text, field);
      }
    }
    total += value * unit;  // value < 1e9, unit <= 86400: no overflow before the check below
    if (total > kMaxDurationSeconds) {
      return InvalidArgument(std::string(field) + " \"" + std::string(text.substr(0, 32)) +
                                 "\" is longer than 10 years",
                             std::string(field));
    }
  }
  if (text.empty() || total == 0) return BadDuration(text, field);
  return total;
}

Result<WindowSpec> ParseWindowSpec(std::string_view text, std::string_view field) {
  const size_t slash = text.find('/');
  WindowSpec spec;
  spec.name = std::string(text.substr(0, slash));
  if (spec.name == "decay") {
    return InvalidArgument(std::string(field) + ": \"decay\" names the decayed score, not a window",
                           std::string(field));
  }
  RECO_ASSIGN_OR_RETURN(spec.length_s, ParseDurationSeconds(spec.name, field));
  if (slash == std::string_view::npos) {
    if (spec.length_s % 60 != 0) {
      return InvalidArgument(std::string(field) + " \"" + std::string(text.substr(0, 32)) +
                                 "\": name the bucket (LENGTH/BUCKET, e.g. 90s/1s) when the "
                                 "length is not a multiple of 60 s",
                             std::string(field));
    }
    spec.bucket_s = spec.length_s / 60;
  } else {
    RECO_ASSIGN_OR_RETURN(spec.bucket_s, ParseDurationSeconds(text.substr(slash + 1), field));
  }
  if (spec.length_s % spec.bucket_s != 0) {
    return InvalidArgument(std::string(field) + " \"" + std::string(text.substr(0, 32)) +
                               "\": the bucket must divide the window's length",
                           std::string(field));
  }
  if (spec.buckets() > kMaxWindowBuckets) {
    return InvalidArgument(std::string(field) + " \"" + std::string(text.substr(0, 32)) +
                               "\" has more than 10000 buckets; choose a longer bucket",
                           std::string(field));
  }
  return spec;
}

}  // namespace reco
