#include "service/pipeline_service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>

#include "core/file_util.h"
#include "pipeline/data_files.h"

#include <utility>

namespace reco::service {

PipelineService::PipelineService(StartPipelineRun start, const std::filesystem::path& data_dir,
                                 const Clock& clock)
    : data_dir_(data_dir), start_(std::move(start)), runs_(data_dir, {}, clock) {}

Result<std::string> PipelineService::Start(pipeline::RunRequest request) {
  return start_(std::move(request));
}

Result<PipelineRunList> PipelineService::List(const ListPipelineRunsRequest& request) const {
  PipelineRunList list;
  RECO_ASSIGN_OR_RETURN(list.runs, runs_.List(&list.problems));
  std::reverse(list.runs.begin(), list.runs.end());
  const size_t n = request.n > 0 ? static_cast<size_t>(request.n) : 0;
  if (list.runs.size() > n) list.runs.resize(n);
  return list;
}

Result<pipeline::PipelineRun> PipelineService::Get(std::string_view run_id) const {
  return runs_.Get(run_id);
}

namespace {

bool IsDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

TimestampUs ModifiedMicros(const std::filesystem::path& path) {
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(path, ec);
  if (ec) return 0;
  const auto system = std::chrono::file_clock::to_sys(time);
  return std::chrono::duration_cast<std::chrono::microseconds>(system.time_since_epoch()).count();
}

// The file's text and time; an empty PipelineFile when it does not exist.
Result<PipelineFile> ReadPipelineFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return PipelineFile{};
  PipelineFile file;
  RECO_ASSIGN_OR_RETURN(file.json, ReadFile(path));
  file.modified = ModifiedMicros(path);
  return file;
}

}  // namespace

Result<std::string> PipelineService::TaskLog(std::string_view run_id, std::string_view task,
                                             int64_t tail_bytes) const {
  if (tail_bytes < 1 || tail_bytes > 16 * 1024 * 1024) {
    return InvalidArgument("tail_bytes must be in 1..16777216", "tail_bytes");
  }
  RECO_ASSIGN_OR_RETURN(pipeline::PipelineRun run, Get(run_id));
  auto it = std::find_if(run.tasks.begin(), run.tasks.end(),
                         [task](const pipeline::TaskRecord& t) { return t.name == task; });
  if (it == run.tasks.end()) {
    return NotFound("run " + std::string(run_id) + " has no task " + std::string(task));
  }
  if (it->log_file.empty()) {
    return NotFound("task " + std::string(task) + " of run " + std::string(run_id) +
                    " has no log yet");
  }
  const std::filesystem::path path = data_dir_ / it->log_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("the log " + it->log_file + " does not exist");
  in.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(in.tellg());
  const int64_t start = std::max<int64_t>(0, size - tail_bytes);
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

Result<EvaluationFiles> PipelineService::Evaluation() const {
  EvaluationFiles files;
  RECO_ASSIGN_OR_RETURN(files.summary, ReadPipelineFile(data_dir_ / pipeline::kSummaryFile));
  RECO_ASSIGN_OR_RETURN(files.exposure_metrics,
                        ReadPipelineFile(data_dir_ / pipeline::kExposureMetricsFile));
  std::error_code ec;
  const std::filesystem::path dir = data_dir_ / pipeline::kEvaluationDir;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string_view prefix = pipeline::kReconciliationPrefix;
    if (!name.starts_with(prefix) || !name.ends_with(".json")) continue;
    const std::string date = name.substr(prefix.size(), name.size() - prefix.size() - 5);
    if (!IsDate(date)) continue;
    files.reconciliations.push_back({date, ModifiedMicros(entry.path())});
  }
  std::sort(files.reconciliations.begin(), files.reconciliations.end(),
            [](const auto& a, const auto& b) { return a.date > b.date; });
  return files;
}

Result<PipelineFile> PipelineService::Reconciliation(std::string_view date) const {
  if (!IsDate(date)) return InvalidArgument("date must be YYYY-MM-DD", "date");
  RECO_ASSIGN_OR_RETURN(
      PipelineFile file,
      ReadPipelineFile(data_dir_ / pipeline::kEvaluationDir / pipeline::ReconciliationFileName(date)));
  if (file.json.empty() && file.modified == 0) {
    return NotFound("no reconciliation file for " + std::string(date));
  }
  return file;
}

}  // namespace reco::service
