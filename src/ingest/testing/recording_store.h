// RecordingStore: a Store for ingest tests that keeps what Import() received in memory and can
// be told to fail. Every other call is Unimplemented: the importer must only use Import().
//
// Thread-safety: not thread-safe; tests use it from one thread.
#pragma once

#include <vector>

#include "store/testing/unimplemented_store.h"

namespace reco::ingest::testing {

class RecordingStore final : public reco::testing::UnimplementedStore {
 public:
  RecordingStore() : UnimplementedStore("RecordingStore (Import only)") {}

  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;
  InsertFeedbackOptions last_options;
  int import_calls = 0;
  Status fail_with;  // when not ok, Import returns it and records nothing

  Status Import(std::span<const User> u, std::span<const Item> i, std::span<const Feedback> f,
                const InsertFeedbackOptions& options) override {
    ++import_calls;
    if (!fail_with.ok()) return fail_with;
    users.assign(u.begin(), u.end());
    items.assign(i.begin(), i.end());
    feedback.assign(f.begin(), f.end());
    last_options = options;
    return Status::Ok();
  }
  Result<StoreCounts> Counts() override {
    return StoreCounts{static_cast<int64_t>(users.size()), static_cast<int64_t>(items.size()),
                       static_cast<int64_t>(feedback.size())};
  }
};

}  // namespace reco::ingest::testing
