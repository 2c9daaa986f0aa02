// SessionPages: the items earlier pages of a session showed, so that the next page of a scenario
// with session dedup serves other items (GET /api/recommend/{user}?scenario=&session=). Kept in
// memory and bounded: at most `max_sessions` sessions (the one started longest ago is forgotten
// first) and `max_items` items per session (its oldest items are forgotten first). A restart
// forgets every session; a session is a short browsing visit, not a record.
//
// Thread-safety: safe from any number of threads (one mutex, held for a copy or an append).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "serving/online_state.h"

namespace reco {

struct SessionPagesOptions {
  size_t max_sessions = 10000;
  size_t max_items = 1000;
};

class SessionPages {
 public:
  explicit SessionPages(SessionPagesOptions options = {}) : options_(options) {}

  // The key of a session: its id is the client's, so it is scoped to the user and scenario.
  static std::string Key(std::string_view user_id, std::string_view scenario,
                         std::string_view session);
  // Item ids shown so far in the session, oldest first (empty for an unknown session).
  std::vector<std::string> Shown(std::string_view key) const;
  void Add(std::string_view key, std::span<const std::string_view> item_ids);
  size_t sessions() const;

 private:
  SessionPagesOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::string>, StringHash, std::equal_to<>> shown_;
  std::deque<std::string> order_;  // keys, first-seen order, for eviction
};

}  // namespace reco
