// RealtimeService: the real-time windows as every transport serves them — the hot list of a
// window (GET /api/popular?window=1h), the named leaderboards of realtime.leaderboards (Gorse's
// GET /api/non-personalized/{name}) and the exposures/clicks/CTR report
// (GET /api/v1/analytics/realtime). The counters are serving/realtime.h's; this service filters
// the lists for serving (hidden and deleted items, the category, the user's seen items), pages
// them and logs them as served lists.
//
// Thread-safety: safe from any number of request threads. Lifetime: borrows the Realtime (may
// be null: realtime.enabled = false), OnlineState, BundleHolder and Rollout, which must outlive
// it.
#pragma once

#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "service/recommend_service.h"
#include "serving/bundle.h"
#include "serving/online_state.h"
#include "serving/realtime.h"
#include "serving/rollout.h"

namespace reco::service {

// The options of serving/realtime.h from the configuration ([realtime], with the positive
// feedback types where the hot or click types are not given); InvalidArgument naming the key.
Result<RealtimeOptions> RealtimeOptionsFromConfig(const RecoConfig& config);

// The request fields are views: the caller keeps the text alive for the call.
struct LeaderboardRequest {
  std::string_view request_id;
  std::string_view name;      // NonPersonalized: the leaderboard; Popular: the window
  std::string_view category;  // "" = every category
  std::string_view user_id;   // "" = none; else the user's seen items are left out
  int n = 10;
  int offset = 0;
};

class RealtimeService {
 public:
  RealtimeService(const Realtime* realtime, const OnlineState& state, const BundleHolder& primary,
                  Rollout& rollout);

  // The hot items of the window `request.name` names ("1h", "24h", "decay"), score = the count
  // (or decayed score) in it. InvalidArgument naming `window` for a window not configured (or
  // any, with realtime.enabled = false). Logged as scenario "popular@WINDOW[/category]".
  Result<RecommendResponse> Popular(const LeaderboardRequest& request);
  // The leaderboard `request.name`; NotFound when none has that name. Logged as scenario
  // "non-personalized/NAME[/category]".
  Result<RecommendResponse> NonPersonalized(const LeaderboardRequest& request);
  // Exposures, clicks and CTR by `by` ("item" when empty) over `window` (the first configured
  // window when empty), at most `n` rows. Unavailable with realtime.enabled = false.
  Result<RealtimeReport> Report(std::string_view window, std::string_view by, size_t n);

  bool enabled() const { return realtime_ != nullptr; }

 private:
  // `ranked` (highest first) as a served list: filtered, paged, logged under `scenario`.
  RecommendResponse Serve(const std::vector<KeyValue>& ranked, const LeaderboardRequest& request,
                          std::string scenario);

  const Realtime* realtime_;
  const OnlineState& state_;
  const BundleHolder& primary_;
  Rollout& rollout_;
};

}  // namespace reco::service
