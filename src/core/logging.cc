#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace reco {

Status InitLogging(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return InvalidArgument("unknown log level \"" + std::string(level) +
                               "\" (accepted: trace, debug, info, warn, error, off)",
                           "log_level");
  }
  auto logger = spdlog::stderr_color_mt("reco");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::warn);
  return Status::Ok();
}

}  // namespace reco
