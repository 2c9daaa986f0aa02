// Logging: spdlog, one line per event, key=value fields ("structured" and grep-able).
// Servers log each request at debug and each error at warn. Levels: trace debug info warn error.
// Every message is written through EscapeLogText: a value a client sent (a run id, a user id)
// can never break a line or forge one.
//
// Thread-safety: spdlog's default logger is thread-safe; InitLogging is called once from main.
#pragma once

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco {

// The line format of every logger: time, level, then the escaped message.
inline constexpr std::string_view kLogPattern = "%Y-%m-%dT%H:%M:%S.%e%z level=%l %*";

// Sets the level ("info" by default, or RECO_LOG_LEVEL) and the line format. Logs go to stderr.
Status InitLogging(std::string_view level);

// A formatter for kLogPattern: `%*` is the message with control characters escaped.
std::unique_ptr<spdlog::formatter> MakeLogFormatter();

// Appends `text` with every control character escaped: \n \r \t as such, other C0 bytes and
// DEL as \xNN, and the Unicode line breaks U+0085, U+2028, U+2029 as \uNNNN. Everything else
// (UTF-8 included) is copied unchanged.
void AppendLogText(std::string_view text, std::string& out);
std::string EscapeLogText(std::string_view text);

}  // namespace reco
