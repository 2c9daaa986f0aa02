// Explorer: the exploration mix for new users (docs/content.md, "New users: the exploration
// mix"). A user with fewer than `min_history` positive feedbacks is answered, instead of by the
// collaborative chain alone, with a list that mixes
//  - popular items of the categories the user chose (onboarding: a key of the user's labels)
//    and of the categories of the items the user liked so far, and
//  - fresh items (the newest `fresh_candidates` of the catalogue) chosen by Thompson sampling
//    over their exposures and clicks (serving/explore_sampler.h), for `share` of the mix,
// and the collaborative answer (the precomputed list, item-CF over the history) takes a growing
// part of it as the history grows: round(want * h / min_history) items for h positives, so the
// mix fades out and is gone at min_history.
//
// Fresh items sit at evenly spaced positions of the list (not all at its end, where they would
// hardly be seen and the bandit would learn little); the collaborative items come first, the
// popular ones fill the rest in order of category preference.
//
// Thread-safety: every method is safe from any thread; the fresh candidates with their counts
// are a snapshot shared by the requests and rebuilt at most every `refresh_seconds`.
// Lifetime: borrows the OnlineState, Recommender and Clock, which must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "serving/explore_sampler.h"
#include "serving/online_state.h"
#include "serving/recommender.h"

namespace reco {

class Realtime;  // serving/realtime.h

struct ExploreOptions {
  // Users with fewer positive feedbacks than this get the mix (>= 1).
  int min_history = 5;
  // The part of the mix given to fresh items chosen by the bandit, 0..1.
  double share = 0.2;
  // The mix draws on at most this many categories (chosen and inferred), in proportion to
  // their weights.
  size_t max_categories = 4;
  // The bandit's arms: the newest this many recommendable items ...
  size_t fresh_candidates = 500;
  // ... added at most this long ago (0 = any age).
  int64_t fresh_max_age_s = 0;
  BetaPrior prior;
  // How long a snapshot of the fresh candidates and their counts is reused (0 = rebuilt for
  // every request).
  double refresh_seconds = 10;
  // Non-zero: the draws are a function of the seed, the user and the request's sequence number
  // (tests, replays); 0: seeded from the system once per process.
  uint64_t seed = 0;
};

using ItemArmCounts = std::unordered_map<std::string, ArmCounts, StringHash, std::equal_to<>>;
// Exposures and clicks per item id (items without any may be absent), into `out` (cleared).
using ItemCountsFn = std::function<void(ItemArmCounts& out)>;
// The category names a user chose (onboarding); empty when none or unknown.
using ChosenCategoriesFn = std::function<std::vector<std::string>(std::string_view user_id)>;

// The categories a user's labels name under `label_key`: {"<label_key>": "books"} or
// {"<label_key>": ["books", "music"]}; a labels array of strings (Gorse's older list form)
// names categories directly. Anything else (no key, other value types, text that is not JSON)
// names none.
std::vector<std::string> ChosenCategories(std::string_view labels_json, std::string_view label_key);

// The bandit's counts from the real-time windows: impressions and clicks per item over `window`
// ("" = the longest window). InvalidArgument naming explore.window when `realtime` has no such
// window (the decayed score is not a count and is refused).
Result<ItemCountsFn> RealtimeItemCounts(const Realtime& realtime, std::string_view window);

class Explorer {
 public:
  // `counts` null: every item counts 0 exposures (the bandit draws from the prior alone);
  // `chosen` null: users choose no categories. `on_degraded` counts the reasons the mix adds
  // (as the Recommender's hook does).
  Explorer(const OnlineState& state, const Recommender& recommender, const Clock& clock,
           ExploreOptions options, ItemCountsFn counts, ChosenCategoriesFn chosen,
           Recommender::DegradedHook on_degraded = {});

  // True when `user_id` has fewer than min_history positive feedbacks (unknown users too).
  bool Applies(std::string_view user_id) const;

  // The mix for `user_id` (whether or not Applies): items [offset, offset + n) of a list of
  // offset + n, without what the user has seen; `category` ("" = every category) restricts every
  // part of it. `bundle` as in Recommender (may be null).
  RecommendResult Recommend(const ModelBundle* bundle, std::string_view user_id,
                            std::string_view category, int n, int offset) const;

  // ---- the proportions (public for tests)
  // How many of `want` items the collaborative answer may supply for a user with `history`
  // positives: round(want * history / min_history), all of them from min_history on.
  static size_t CollaborativeSlots(size_t want, size_t history, int min_history);
  // How many of `mix` items are fresh: floor(mix * share + u) for u in [0, 1) — mix * share on
  // average, whatever the size of the list.
  static size_t FreshSlots(size_t mix, double share, double u);
  // The positions of `fresh` items in a list of `total` (fresh <= total), evenly spaced.
  static std::vector<size_t> FreshPositions(size_t total, size_t fresh);

  const ExploreOptions& options() const { return options_; }

 private:
  struct Fresh {
    TimestampUs built = 0;
    std::vector<std::string> ids;  // newest first
    std::vector<ArmCounts> counts;
  };
  using Taken = std::unordered_map<std::string, bool, StringHash, std::equal_to<>>;

  std::shared_ptr<const Fresh> BuildFresh(std::string_view category) const;
  std::shared_ptr<const Fresh> FreshFor(std::string_view category) const;
  std::vector<ScoredId> PickFresh(std::string_view category, size_t want, Taken& taken,
                                  UniformSource& rng) const;
  // The (name, weight) of the categories the popular part draws on, most preferred first.
  std::vector<std::pair<std::string, double>> Taste(std::string_view user_id,
                                                    const UserSnapshot& user) const;
  // Appends popular items (then the latest) to `out` until it holds `limit`.
  void AppendPopular(const ModelBundle* bundle, std::string_view user_id, const UserSnapshot& user,
                     std::string_view category, size_t limit, Taken& taken,
                     std::vector<ScoredId>& out, RecommendResult& result) const;
  void Degraded(RecommendResult& result, const char* reason) const;

  const OnlineState& state_;
  const Recommender& recommender_;
  const Clock& clock_;
  ExploreOptions options_;
  ItemCountsFn counts_;
  ChosenCategoriesFn chosen_;
  Recommender::DegradedHook on_degraded_;
  uint64_t seed_;
  mutable std::atomic<uint64_t> sequence_{0};
  mutable std::mutex mu_;  // guards fresh_
  mutable std::shared_ptr<const Fresh> fresh_;
};

}  // namespace reco
