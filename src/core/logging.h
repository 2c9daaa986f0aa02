// Logging: spdlog, one line per event, key=value fields ("structured" and grep-able).
// Servers log each request at debug and each error at warn. Levels: trace debug info warn error.
//
// Thread-safety: spdlog's default logger is thread-safe; InitLogging is called once from main.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "core/status.h"

namespace reco {

// Sets the level ("info" by default, or RECO_LOG_LEVEL) and the line format. Logs go to stderr.
Status InitLogging(std::string_view level);

}  // namespace reco
