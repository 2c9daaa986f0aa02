#include "gateway/message.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace reco::gateway {
namespace {

// The words of one template language.
struct Words {
  const char* firing;
  const char* resolved;
  const char* alert_name;
  const char* severity;
  const char* summary;
  const char* description;
  const char* instance;
  const char* starts;
  const char* ends;
  const char* source;
  const char* more;  // "{}" stands for the number of alerts left out
};

constexpr Words kZh = {"告警触发", "告警恢复", "告警名称", "级别", "摘要", "详情", "实例",
                       "开始时间", "恢复时间", "查看来源", "…及其余 {} 条 (and {} more)"};
constexpr Words kEn = {"FIRING", "RESOLVED", "Alert", "Severity", "Summary", "Description",
                       "Instance", "Started", "Resolved", "Source", "…and {} more"};

const Words& WordsFor(const RenderOptions& o) { return o.language == "en" ? kEn : kZh; }

std::string MoreLine(const Words& w, int64_t n) {
  std::string out = w.more;
  for (size_t at; (at = out.find("{}")) != std::string::npos;) out.replace(at, 2, std::to_string(n));
  return out;
}

std::string TimeLine(TimestampUs ts, const RenderOptions& o) {
  return FormatLocalTime(ts) + " (" + o.time_zone + ")";
}

void Field(std::string& out, const char* name, const std::string& value, bool markdown) {
  if (value.empty()) return;
  out += markdown ? std::string("> **") + name + "**: " : std::string(name) + ": ";
  out += value;
  out += '\n';
}

// One alert's block.
std::string AlertBlock(const Alert& a, const RenderOptions& o, bool markdown) {
  const Words& w = WordsFor(o);
  std::string out;
  std::string name = a.Label("alertname");
  if (markdown) {
    const char* color = a.firing() ? "warning" : "info";
    out += std::string("**<font color=\"") + color + "\">" + (a.firing() ? w.firing : w.resolved) +
           "</font> " + name + "**\n";
  } else {
    out += std::string("[") + (a.firing() ? w.firing : w.resolved) + "] " + name + "\n";
  }
  Field(out, w.severity, a.Label("severity"), markdown);
  Field(out, w.summary, a.Annotation("summary"), markdown);
  Field(out, w.description, a.Annotation("description"), markdown);
  Field(out, w.instance, a.Label("instance"), markdown);
  Field(out, w.starts, TimeLine(a.starts_at, o), markdown);
  if (!a.firing() && a.ends_at > 0) Field(out, w.ends, TimeLine(a.ends_at, o), markdown);
  if (!a.generator_url.empty()) {
    out += markdown ? std::string("[") + w.source + "](" + a.generator_url + ")\n"
                    : std::string(w.source) + ": " + a.generator_url + "\n";
  }
  return out;
}

std::string Header(const AlertPayload& p, const RenderOptions& o, bool markdown) {
  const Words& w = WordsFor(o);
  size_t firing = 0;
  for (const Alert& a : p.alerts) firing += a.firing() ? 1 : 0;
  std::string title = std::string(p.status == "firing" ? w.firing : w.resolved) + " [" +
                      std::to_string(firing) + "/" + std::to_string(p.alerts.size()) + "] " +
                      p.receiver;
  if (!markdown) return title + "\n";
  const char* color = p.status == "firing" ? "warning" : "info";
  return std::string("## <font color=\"") + color + "\">" + title + "</font>\n";
}

// Header, then whole alert blocks while they fit with room for the "more" line.
std::string Render(const AlertPayload& p, const RenderOptions& o, bool markdown) {
  const Words& w = WordsFor(o);
  std::string out = Header(p, o, markdown);
  int64_t left_out = p.truncated_alerts;
  size_t reserve = MoreLine(w, 999999).size() + 2;
  for (size_t i = 0; i < p.alerts.size(); ++i) {
    std::string block = "\n" + AlertBlock(p.alerts[i], o, markdown);
    size_t room = o.max_bytes > out.size() + reserve ? o.max_bytes - out.size() - reserve : 0;
    if (block.size() > room) {
      if (i == 0) out += TruncateUtf8(block, room);  // at least part of the first alert
      left_out += static_cast<int64_t>(p.alerts.size() - i) - (i == 0 ? 1 : 0);
      break;
    }
    out += block;
  }
  if (left_out > 0) out += "\n" + MoreLine(w, left_out);
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
