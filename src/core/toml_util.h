// ParseTomlFile: reads a TOML file into a table, turning a syntax error into a Status that names
// the file and line ("PATH:LINE: description").
//
// Thread-safety: a pure function. Lifetime: the returned table owns its nodes.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "core/status.h"

namespace reco {

// InvalidArgument on `field` (the flag or setting that named the file) when the file does not
// parse as TOML.
inline Result<toml::table> ParseTomlFile(const std::filesystem::path& path,
                                         const std::string& field) {
  try {
    return toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path.string() << ":" << e.source().begin.line << ": " << e.description();
    return InvalidArgument(msg.str(), field);
  }
}

}  // namespace reco
