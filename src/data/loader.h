// Loading a Dataset from files in any import format (ingest/sources.h): what `reco eval` and
// `reco tune` read instead of the store. Rows without a time get time 0; skipped lines are
// counted and the first few described.
//
// Thread-safety: free functions, safe for distinct outputs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "ingest/sources.h"

namespace reco {

// Reads a file or directory in `format` into `batch` (appending). Skipped lines are counted in
// `bad_lines` and the first few appended to `issues` (each may be null).
Status ReadImportFile(const std::filesystem::path& path, ingest::ImportFormat format,
                      ingest::ImportBatch& batch, int64_t* bad_lines = nullptr,
                      std::vector<std::string>* issues = nullptr);

// Reads a file or directory in `format` into a Dataset (rows without a time get time 0).
// Skipped lines are counted in `bad_lines` and the first few appended to `issues`.
Result<Dataset> LoadDataset(const std::filesystem::path& path, ingest::ImportFormat format,
                            int64_t* bad_lines = nullptr,
                            std::vector<std::string>* issues = nullptr);

}  // namespace reco
