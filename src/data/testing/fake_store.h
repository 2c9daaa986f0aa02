// FakeStore: an in-memory Store for tests of code that only scans the store (dataset building,
// training). Scans and counts work; every other call returns Unimplemented.
//
// Thread-safety: none; tests use it from one thread. Lifetime: plain value owned by the test.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "store/testing/unimplemented_store.h"

namespace reco::testing {

class FakeStore final : public UnimplementedStore {
 public:
  FakeStore() : UnimplementedStore("FakeStore (scans only)") {}

  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;  // seq = position + 1
  bool fail_scans = false;

  Status ScanUsers(const std::function<void(const User&)>& fn) override {
    if (fail_scans) return Unavailable("fake store is down");
    for (const User& u : users) fn(u);
    return Status::Ok();
  }
  Status ScanItems(const std::function<void(const Item&)>& fn) override {
    if (fail_scans) return Unavailable("fake store is down");
    for (const Item& i : items) fn(i);
    return Status::Ok();
  }
  Status ScanFeedback(int64_t after_seq,
                      const std::function<void(const FeedbackRecord&)>& fn) override {
    if (fail_scans) return Unavailable("fake store is down");
    for (size_t k = static_cast<size_t>(std::max<int64_t>(after_seq, 0)); k < feedback.size();
         ++k) {
      fn(FeedbackRecord{feedback[k], static_cast<int64_t>(k + 1)});
    }
    return Status::Ok();
  }
  Result<int64_t> MaxFeedbackSeq() override { return static_cast<int64_t>(feedback.size()); }
  Result<StoreCounts> Counts() override {
    return StoreCounts{static_cast<int64_t>(users.size()), static_cast<int64_t>(items.size()),
                       static_cast<int64_t>(feedback.size())};
  }
};

}  // namespace reco::testing
