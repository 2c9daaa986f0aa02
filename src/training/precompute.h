// Precomputes every user's recommendation list with a fitted Scorer — the offline
// recommendation cache `reco train` writes (UserRecsModel, kind "recs") so that `reco serve`
// answers any algorithm, however expensive its scoring, in constant time per request.
// Each list is the user's top `list_size` items by score, without the user's training items and
// without hidden items.
//
// Thread-safety: PrecomputeUserRecs is thread-safe; it uses its own worker threads.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "core/status.h"
#include "data/dataset.h"
#include "models/user_recs.h"

namespace reco::training {

struct PrecomputeOptions {
  size_t list_size = 100;      // items kept per user (> 0)
  int num_threads = 0;         // 0 = number of cores
  bool show_progress = false;  // a progress line on stderr (users/s, ETA)
};

// Users without positives get an empty list. `algorithm` and `settings` are recorded in the model.
Result<UserRecsModel> PrecomputeUserRecs(const eval::Scorer& scorer, const Dataset& dataset,
                                         std::string algorithm, std::vector<eval::Setting> settings,
                                         const PrecomputeOptions& options);

}  // namespace reco::training
