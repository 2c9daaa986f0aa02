#include "service/realtime_service.h"

#include <algorithm>
#include <utility>

namespace reco::service {

Result<RealtimeOptions> RealtimeOptionsFromConfig(const RecoConfig& config) {
  const RealtimeConfig& c = config.realtime;
  RealtimeOptions o;
  for (const std::string& text : c.windows) {
    RECO_ASSIGN_OR_RETURN(WindowSpec spec, ParseWindowSpec(text, "realtime.windows"));
    o.windows.push_back(std::move(spec));
  }
  o.half_life_s = c.half_life_seconds;
  const std::vector<std::string>& positive = config.recommend.feedback_types.positive;
  o.hot_types = c.hot_feedback_types.empty() ? positive : c.hot_feedback_types;
  o.click_types = c.click_feedback_types.empty() ? positive : c.click_feedback_types;
  for (const RealtimeLeaderboardConfig& b : c.leaderboards) {
    o.leaderboards.push_back({b.name, b.window, b.feedback_types});
  }
  o.max_keys = static_cast<size_t>(c.max_keys);
  o.max_users = static_cast<size_t>(c.max_users);
  o.exposures_per_user = static_cast<size_t>(c.exposures_per_user);
  return o;
}

RealtimeService::RealtimeService(const Realtime* realtime, const OnlineState& state,
                                 const BundleHolder& primary, Rollout& rollout)
    : realtime_(realtime), state_(state), primary_(primary), rollout_(rollout) {}

Result<RecommendResponse> RealtimeService::Popular(const LeaderboardRequest& request) {
  if (realtime_ == nullptr) {
    return InvalidArgument("window: the real-time windows are off (realtime.enabled = false)",
                           "window");
  }
  RECO_ASSIGN_OR_RETURN(int window, realtime_->FindWindow(request.name));
  return Serve(realtime_->Hot(window), request, "popular@" + std::string(request.name));
}

Result<RecommendResponse> RealtimeService::NonPersonalized(const LeaderboardRequest& request) {
  if (realtime_ == nullptr) {
    return NotFound("no leaderboard named \"" + std::string(request.name.substr(0, 64)) +
                    "\" (the real-time windows are off: realtime.enabled = false)");
  }
  RECO_ASSIGN_OR_RETURN(std::vector<KeyValue> ranked, realtime_->Leaderboard(request.name));
  return Serve(ranked, request, "non-personalized/" + std::string(request.name));
}

RecommendResponse RealtimeService::Serve(const std::vector<KeyValue>& ranked,
                                         const LeaderboardRequest& request, std::string scenario) {
  RecommendResponse response;
  response.bundle = primary_.Get();
  if (response.bundle != nullptr) response.model_version = response.bundle->version_label();
  UserSnapshot user;
  if (!request.user_id.empty()) state_.GetUser(request.user_id, user);
  {
    const OnlineState::CatalogView view = state_.View(request.category);
    if (view.CategoryExists()) {
      int skipped = 0;
      for (const KeyValue& entry : ranked) {
        if (response.result.items.size() >= static_cast<size_t>(request.n)) break;
        const std::optional<uint32_t> index = view.Find(entry.key);
        if (!index || !view.IsRecommendable(*index)) continue;
        if (std::binary_search(user.seen.begin(), user.seen.end(), *index)) continue;
        if (skipped < request.offset) {
          ++skipped;
          continue;
        }
        response.result.items.push_back({entry.key, entry.value});
      }
    }
  }
  if (!request.category.empty()) {
    scenario += '/';
    scenario += request.category;
  }
  rollout_.RecordServed(response.bundle.get(), request.request_id, request.user_id, scenario,
                        response.result);
  return response;
}

Result<RealtimeReport> RealtimeService::Report(std::string_view window, std::string_view by,
                                               size_t n) {
  if (realtime_ == nullptr) {
    return Unavailable("the real-time windows are off (realtime.enabled = false)");
  }
  RECO_ASSIGN_OR_RETURN(RealtimeDimension dimension,
                        ParseRealtimeDimension(by.empty() ? std::string_view("item") : by));
  const std::string_view name =
      window.empty() ? std::string_view(realtime_->options().windows.front().name) : window;
  return realtime_->Report(name, dimension, n);
}

}  // namespace reco::service
