#include "gateway/message.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace reco::gateway {
namespace {

// The last line when alerts are left out, in the configured language.
std::string MoreLine(const std::string& language, int64_t n) {
  std::string count = std::to_string(n);
  if (language == "en") return "…and " + count + " more";
  return "…及其余 " + count + " 条 (and " + count + " more)";
}

const MessageTemplate& TemplateFor(const RenderOptions& o, bool markdown) {
  return o.message_template ? *o.message_template : BuiltinTemplate(o.language, markdown);
}

// The head, then whole alert blocks while they fit with room for the "more" line and the tail.
std::string Render(const AlertPayload& p, const RenderOptions& o, bool markdown) {
  MessageTemplate::Parts parts = TemplateFor(o, markdown).Render(p, o.time_zone);
  std::string out = std::move(parts.head);
  int64_t left_out = p.truncated_alerts;
  size_t reserve =
      MoreLine(o.language, 999999).size() + 2 + (parts.tail.empty() ? 0 : parts.tail.size() + 1);
  for (size_t i = 0; i < parts.alerts.size(); ++i) {
    const std::string& block = parts.alerts[i];
    size_t room = o.max_bytes > out.size() + reserve ? o.max_bytes - out.size() - reserve : 0;
    if (block.size() > room) {
      if (i == 0) out += TruncateUtf8(block, room);  // at least part of the first alert
      left_out += static_cast<int64_t>(parts.alerts.size() - i) - (i == 0 ? 1 : 0);
      break;
    }
    out += block;
  }
  if (left_out > 0) {
    out += "\n" + MoreLine(o.language, left_out);
    if (!parts.tail.empty() && parts.tail.front() != '\n') out += '\n';
  }
  out += parts.tail;
  return std::string(TruncateUtf8(out, o.max_bytes));
}

}  // namespace

std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string RenderMarkdown(const AlertPayload& payload, const RenderOptions& options) {
  return Render(payload, options, true);
}

std::string RenderText(const AlertPayload& payload, const RenderOptions& options) {
  RenderOptions o = options;
  if (o.max_bytes > kTextMaxBytes) o.max_bytes = kTextMaxBytes;
  return Render(payload, o, false);
}

bool HasCriticalFiring(const AlertPayload& payload, const RenderOptions& options) {
  for (const Alert& a : payload.alerts) {
    if (!a.firing()) continue;
    std::string severity = a.Label("severity");
    for (const std::string& s : options.critical_severities) {
      if (s == severity) return true;
    }
  }
  return false;
}

std::string FormatLocalTime(TimestampUs ts) {
  time_t seconds = static_cast<time_t>(ts / kMicrosPerSecond);
  if (ts < 0 && ts % kMicrosPerSecond != 0) --seconds;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf, n);
}

Status ApplyTimeZone(const std::string& zone) {
  if (zone.empty() || zone.find("..") != std::string::npos ||
      !std::filesystem::exists("/usr/share/zoneinfo/" + zone)) {
    return InvalidArgument("time zone \"" + zone + "\" is not in /usr/share/zoneinfo",
                           "gateway.time_zone");
  }
  // localtime_r reads the zone from TZ; set once, before threads start.
  setenv("TZ", zone.c_str(), 1);
  tzset();
  return Status::Ok();
}

}  // namespace reco::gateway
