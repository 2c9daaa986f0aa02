// WeCom messages rendered from an Alertmanager payload with a MessageTemplate (the built-in one
// of the language, or a template file): markdown (the default; at most 4096 bytes) or plain text
// (at most 2048 bytes, with mentions when a firing alert is critical). All alerts of a group go
// into one message; what does not fit is cut at a whole alert, or at a UTF-8 character
// boundary, and ends with "…and N more".
//
// Thread-safety: pure functions; times use localtime_r, so the process's zone is set once at
// start-up (ApplyTimeZone) before any thread renders.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gateway/alert_payload.h"
#include "gateway/message_template.h"

namespace reco::gateway {

inline constexpr size_t kMarkdownMaxBytes = 4096;
inline constexpr size_t kTextMaxBytes = 2048;

struct RenderOptions {
  std::string language = "zh-CN";  // "zh-CN" or "en"
  std::string time_zone = "Asia/Shanghai";  // shown after times; ApplyTimeZone made it current
  std::vector<std::string> critical_severities = {"critical"};
  size_t max_bytes = kMarkdownMaxBytes;
  // A template of one's own (gateway.template_file); null = the built-in one of `language`.
  // The "…and N more" line is always in `language`.
  std::shared_ptr<const MessageTemplate> message_template;
};

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a UTF-8 character
// boundary.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// The markdown content of a WeCom "markdown" message for `payload`.
std::string RenderMarkdown(const AlertPayload& payload, const RenderOptions& options);
// The content of a "text" message (options.max_bytes should be kTextMaxBytes).
std::string RenderText(const AlertPayload& payload, const RenderOptions& options);

// True when an alert of `payload` fires with a severity label in options.critical_severities.
bool HasCriticalFiring(const AlertPayload& payload, const RenderOptions& options);

// A local time "2024-01-02 11:04:05" in the process's time zone.
std::string FormatLocalTime(TimestampUs ts);

// Makes `zone` (a name of the system tz database) the process's time zone for FormatLocalTime.
// Call once at start-up before threads start. InvalidArgument when the zone is unknown.
Status ApplyTimeZone(const std::string& zone);

}  // namespace reco::gateway
