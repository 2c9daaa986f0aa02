#include "service/preview_service.h"

#include <algorithm>

namespace reco::service {

PreviewService::PreviewService(const Rollout& rollout, const BundleHolder& primary,
                               CatalogueService& catalogue, FeedbackService& feedback)
    : rollout_(rollout), primary_(primary), catalogue_(catalogue), feedback_(feedback) {}

Result<PreviewResponse> PreviewService::Preview(const PreviewRequest& request) {
  if (request.user_id.empty()) return InvalidArgument("user_id is required", "user_id");
  PreviewResponse response;
  response.known_user = catalogue_.GetUser(request.user_id).ok();
  Rollout::Served served =
      rollout_.Preview(primary_.Get(), request.user_id, request.category, request.n);
  response.variant = served.variant;
  response.model_version = std::string(served.model_version);
  response.bundle = std::move(served.bundle);
  if (response.bundle != nullptr && response.bundle->has_user_recs()) {
    response.recs_algorithm = response.bundle->user_recs_algorithm();
  }
  response.degraded = std::move(served.result.degraded);
  response.items.reserve(served.result.items.size());
  for (size_t i = 0; i < served.result.items.size(); ++i) {
    PreviewItem entry{served.result.items[i], served.result.SourceOf(i), std::nullopt};
    if (Result<Item> item = catalogue_.GetItem(entry.scored.id); item.ok()) {
      entry.item = std::move(*item);
    }
    response.items.push_back(std::move(entry));
  }
  Result<std::vector<Feedback>> rows =
      feedback_.Find({.user_id = std::string(request.user_id)});
  if (!rows.ok()) return rows.status();
  std::sort(rows->begin(), rows->end(),
            [](const Feedback& a, const Feedback& b) { return a.timestamp > b.timestamp; });
  if (rows->size() > static_cast<size_t>(std::max(request.history, 0))) {
    rows->resize(static_cast<size_t>(std::max(request.history, 0)));
  }
  response.history = std::move(*rows);
  return response;
}

}  // namespace reco::service
