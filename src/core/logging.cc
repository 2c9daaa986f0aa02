#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>

namespace reco {
namespace {

// The escape of the control character at text[i] (advancing i past a multi-byte one), or ""
// when text[i] starts no control character.
std::string_view ControlEscape(std::string_view text, size_t& i, std::array<char, 8>& buf) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  if (c < 0x20 || c == 0x7f) {
    static constexpr char kHex[] = "0123456789abcdef";
    buf = {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
    return std::string_view(buf.data(), 4);
  }
  if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
    ++i;
    return "\\u0085";
  }
  if (c == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
    const auto last = static_cast<unsigned char>(text[i + 2]);
    if (last == 0xa8 || last == 0xa9) {
      i += 2;
      return last == 0xa8 ? "\\u2028" : "\\u2029";
    }
  }
  return {};
}

template <typename Out>
void AppendEscaped(std::string_view text, Out& out) {
  size_t copied = 0;  // text[copied, i) is still to be copied unchanged
  std::array<char, 8> buf{};
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t start = i;
    std::string_view escape = ControlEscape(text, i, buf);
    if (escape.empty()) continue;
    out.append(text.data() + copied, text.data() + start);
    out.append(escape.data(), escape.data() + escape.size());
    copied = i + 1;
  }
  out.append(text.data() + copied, text.data() + text.size());
}

// `%*`: the message, escaped.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

}  // namespace

void AppendLogText(std::string_view text, std::string& out) { AppendEscaped(text, out); }

std::string EscapeLogText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(text, out);
  return out;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*').set_pattern(std::string(kLogPattern));
  return formatter;
}

Status InitLogging(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return InvalidArgument("unknown log level \"" + std::string(level) +
                               "\" (accepted: trace, debug, info, warn, error, off)",
                           "log_level");
  }
  auto logger = spdlog::stderr_color_mt("reco");
  spdlog::set_default_logger(logger);
  spdlog::set_formatter(MakeLogFormatter());
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::warn);
  return Status::Ok();
}

}  // namespace reco
