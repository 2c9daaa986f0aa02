// Reading datasets from files (LightGCN, CSV, MovieLens, Gorse JSON, ... through the ingest
// readers) for offline evaluation and tuning.
#include "data/loader.h"

#include <utility>

namespace reco {
namespace {

constexpr size_t kIssuesKept = 5;

Dataset BuildDataset(ingest::ImportBatch& batch) {
  DatasetBuilder builder;
  for (const User& user : batch.users) builder.AddUser(user.user_id);
  for (const Item& item : batch.items) builder.AddItem(item);
  for (const Feedback& f : batch.feedback) builder.AddFeedback(f);
  batch = ingest::ImportBatch();
  return std::move(builder).Build();
}

}  // namespace

Status ReadImportFile(const std::filesystem::path& path, ingest::ImportFormat format,
                      ingest::ImportBatch& batch, int64_t* bad_lines,
                      std::vector<std::string>* issues) {
  ingest::SourceOptions source;
  source.default_timestamp = 0;
  std::vector<ingest::ImportIssue> found;
  RECO_RETURN_IF_ERROR(ingest::ReadSource(path, format, source, batch, found));
  if (bad_lines != nullptr) *bad_lines += static_cast<int64_t>(found.size());
  if (issues != nullptr) {
    for (size_t i = 0; i < found.size() && issues->size() < kIssuesKept; ++i) {
      issues->push_back(found[i].ToString());
    }
  }
  return Status::Ok();
}

Result<Dataset> LoadDataset(const std::filesystem::path& path, ingest::ImportFormat format,
                            int64_t* bad_lines, std::vector<std::string>* issues) {
  ingest::ImportBatch batch;
  RECO_RETURN_IF_ERROR(ReadImportFile(path, format, batch, bad_lines, issues));
  return BuildDataset(batch);
}

}  // namespace reco
