#include "service/pipeline_service.h"

#include <algorithm>
#include <utility>

namespace reco::service {

PipelineService::PipelineService(StartPipelineRun start, const std::filesystem::path& data_dir,
                                 const Clock& clock)
    : start_(std::move(start)), runs_(data_dir, {}, clock) {}

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

}  // namespace reco::service
