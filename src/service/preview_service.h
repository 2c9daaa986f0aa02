// PreviewService: what a user would be recommended now, for the operators (the console's
// preview page): the list of the variant that would answer, each item with its catalogue entry
// and the step that supplied it, the degraded reasons, and the user's newest feedback. Nothing
// is logged as an exposure or counted in the serving metrics.
//
// Thread-safety: safe from any number of request threads. Lifetime: borrows the Rollout,
// BundleHolder and services, which must outlive it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "service/catalogue_service.h"
#include "service/feedback_service.h"
#include "serving/bundle.h"
#include "serving/rollout.h"

namespace reco::service {

struct PreviewRequest {
  std::string_view user_id;
  std::string_view category;  // "" = every category
  int n = 10;
  int history = 20;  // the user's newest feedback rows returned
};

struct PreviewItem {
  ScoredId scored;
  std::string_view source;   // RecommendResult::SourceOf
  std::optional<Item> item;  // nullopt when the catalogue no longer has it
};

struct PreviewResponse {
  bool known_user = false;
  ServingVariant variant = ServingVariant::kPrimary;
  std::shared_ptr<const ModelBundle> bundle;  // null when no models are loaded
  std::string model_version;
  std::string recs_algorithm;  // the algorithm of "precomputed" items; "" when none
  std::vector<std::string> degraded;
  std::vector<PreviewItem> items;
  std::vector<Feedback> history;  // newest first
};

class PreviewService {
 public:
  PreviewService(const Rollout& rollout, const BundleHolder& primary, CatalogueService& catalogue,
                 FeedbackService& feedback);

  // InvalidArgument naming "user_id" when it is empty.
  Result<PreviewResponse> Preview(const PreviewRequest& request);

 private:
  const Rollout& rollout_;
  const BundleHolder& primary_;
  CatalogueService& catalogue_;
  FeedbackService& feedback_;
};

}  // namespace reco::service
