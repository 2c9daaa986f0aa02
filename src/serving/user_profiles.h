// UserProfiles: keeps the user profiles `reco serve` holds in memory (each user's recent
// positive history and seen set, in OnlineState) in step with feedback that reached the store by
// other paths than this server's API — the pipeline's extract task, `reco import`, other servers.
// Refresh() applies the store's feedback written after the last refresh (by write sequence), in
// write order; rows this server already applied are applied again harmlessly, and the live
// popularity counters are left alone. The `user_profiles` job and every model reload call it.
//
// Thread-safety: Refresh() may be called from any thread; calls are serialised.
// Lifetime: borrows the OnlineState and the Store, which must outlive it.
#pragma once

#include <cstdint>
#include <mutex>

#include "core/status.h"
#include "serving/online_state.h"
#include "store/store.h"

namespace reco {

struct ProfileRefreshReport {
  int64_t rows = 0;      // feedback rows applied
  int64_t users = 0;     // distinct users among them
  int64_t from_seq = 0;  // rows with seq > from_seq ...
  int64_t to_seq = 0;    // ... up to this one
  double seconds = 0;
};

class UserProfiles {
 public:
  // `loaded_seq`: the highest feedback seq already in `state` (OnlineState::LoadFromStore).
  UserProfiles(OnlineState& state, Store& store, int64_t loaded_seq)
      : state_(state), store_(store), seq_(loaded_seq) {}

  Result<ProfileRefreshReport> Refresh();
  int64_t seq() const;

 private:
  OnlineState& state_;
  Store& store_;
  mutable std::mutex mu_;
  int64_t seq_;
};

}  // namespace reco
