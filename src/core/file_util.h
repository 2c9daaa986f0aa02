// File helpers: crash-safe replacement of a file (write to a temporary name, fsync, rename,
// fsync the directory) and whole-file reads. A crash mid-write leaves the previous file intact.
//
// Thread-safety: functions are thread-safe for distinct paths.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco {

// Atomically replaces `path` with `contents`.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents);

Result<std::string> ReadFile(const std::filesystem::path& path);

// Creates `dir` and its parents; ok when it exists.
Status EnsureDirectory(const std::filesystem::path& dir);

}  // namespace reco
