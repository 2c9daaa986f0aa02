// LightGCN / NGCF benchmark files (train.txt): lines "user item item ...", space separated
// integer ids. Each pair becomes feedback "like", value 1, at the default timestamp.
#include <algorithm>

#include "ingest/sources.h"
#include "ingest/text_util.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Splits on spaces and tabs into `out` (cleared first).
void Tokens(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
}

}  // namespace

Status ReadLightGcnSource(const fs::path& path, const SourceOptions& options, ImportBatch& batch,
                          std::vector<ImportIssue>& issues) {
  fs::path file = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    file = path / "train.txt";
    if (!fs::exists(file, ec)) return NotFound("no train.txt in " + path.string());
  }
  std::string buffer;
  RECO_ASSIGN_OR_RETURN(std::string_view text, ReadFilePadded(file, 0, buffer));
  // One separator precedes every item id, so this bounds the number of pairs.
  size_t separators = static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; }));
  batch.feedback.reserve(batch.feedback.size() + separators);
  const std::string name = file.string();
  LineReader lines(text);
  std::string_view line;
  std::vector<std::string_view> tokens;
  while (lines.Next(line)) {
    Tokens(line, tokens);
    if (tokens.empty()) continue;
    auto bad =
        std::find_if(tokens.begin(), tokens.end(), [](std::string_view t) { return !IsDigits(t); });
    if (bad != tokens.end()) {
      issues.push_back({name, lines.line_number(),
                        "expected \"user item item ...\" integer ids, got \"" +
                            std::string(bad->substr(0, 64)) + "\""});
      continue;
    }
    for (size_t i = 1; i < tokens.size(); ++i) {
      Feedback& f = batch.feedback.emplace_back();
      f.feedback_type = "like";
      f.user_id.assign(tokens[0]);
      f.item_id.assign(tokens[i]);
      f.value = 1.0;
      f.timestamp = options.default_timestamp;
    }
  }
  return Status::Ok();
}

}  // namespace reco::ingest
