#include "serving/session_pages.h"

namespace reco {

std::string SessionPages::Key(std::string_view user_id, std::string_view scenario,
                              std::string_view session) {
  // Ids hold no '\n' that could make two keys collide: ids are checked at the route
  // (api/params), and this separator is outside what a client can send in one.
  std::string key;
  key.reserve(user_id.size() + scenario.size() + session.size() + 2);
  key.append(user_id).push_back('\n');
  key.append(scenario).push_back('\n');
  key.append(session);
  return key;
}

std::vector<std::string> SessionPages::Shown(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = shown_.find(key);
  if (it == shown_.end()) return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

void SessionPages::Add(std::string_view key, std::span<const std::string_view> item_ids) {
  if (item_ids.empty() || options_.max_sessions == 0 || options_.max_items == 0) return;
  std::lock_guard lock(mu_);
  auto it = shown_.find(key);
  if (it == shown_.end()) {
    while (shown_.size() >= options_.max_sessions && !order_.empty()) {
      shown_.erase(order_.front());
      order_.pop_front();
    }
    it = shown_.emplace(std::string(key), std::deque<std::string>()).first;
    order_.emplace_back(key);
  }
  std::deque<std::string>& items = it->second;
  for (std::string_view id : item_ids) items.emplace_back(id);
  while (items.size() > options_.max_items) items.pop_front();
}

size_t SessionPages::sessions() const {
  std::lock_guard lock(mu_);
  return shown_.size();
}

}  // namespace reco
