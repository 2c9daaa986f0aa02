// ShopStore: a small FakeStore catalogue for training tests. Items are PREFIX0..PREFIXn-1 and
// user u gives feedback to items 0 .. u % likes_cycle, so low indices are the popular ones.
//
// Thread-safety: a pure function. Lifetime: returns a plain value.
#pragma once

#include <cstdint>
#include <string>

#include "core/time.h"
#include "data/testing/fake_store.h"

namespace reco::testing {

struct ShopStoreOptions {
  int items = 6;
  int users = 8;
  int likes_cycle = 6;  // user u gives feedback to items 0 .. u % likes_cycle
  std::string item_prefix = "item";
  std::string user_prefix = "user";
  bool list_users = true;   // also add the users to FakeStore::users
  bool timed_items = true;  // item i created at (100 + i) s; false: timestamp 0
  // User u's feedback is at (feedback_seconds + u * feedback_seconds_per_user) s.
  int64_t feedback_seconds = 1000;
  int64_t feedback_seconds_per_user = 1;
  int star_every = 0;  // users u with u % star_every == 0 give "star", not "like" (0: none)
};

inline FakeStore ShopStore(const ShopStoreOptions& options = {}) {
  FakeStore store;
  for (int i = 0; i < options.items; ++i) {
    Item item;
    item.item_id = options.item_prefix + std::to_string(i);
    if (options.timed_items) item.timestamp = (100 + i) * kMicrosPerSecond;
    store.items.push_back(item);
  }
  for (int u = 0; u < options.users; ++u) {
    const std::string user_id = options.user_prefix + std::to_string(u);
    if (options.list_users) store.users.push_back(User{.user_id = user_id});
    const TimestampUs time =
        (options.feedback_seconds + u * options.feedback_seconds_per_user) * kMicrosPerSecond;
    const bool star = options.star_every > 0 && u % options.star_every == 0;
    for (int i = 0; i <= u % options.likes_cycle; ++i) {
      store.feedback.push_back({star ? "star" : "like", user_id,
                                options.item_prefix + std::to_string(i), 1.0, time, ""});
    }
  }
  return store;
}

}  // namespace reco::testing
