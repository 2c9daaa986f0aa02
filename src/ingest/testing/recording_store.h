// RecordingStore: a Store for ingest tests that keeps what Import() received in memory and can
// be told to fail. Every other call is Unimplemented: the importer must only use Import().
//
// Thread-safety: not thread-safe; tests use it from one thread.
#pragma once

#include <vector>

#include "store/store.h"

namespace reco::ingest::testing {

class RecordingStore final : public Store {
 public:
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

  Result<int64_t> InsertUsers(std::span<const User>) override { return No(); }
  Result<User> GetUser(std::string_view) override { return No(); }
  Result<int64_t> ModifyUser(std::string_view, const UserPatch&) override { return No(); }
  Result<int64_t> DeleteUser(std::string_view) override { return No(); }
  Result<Page<User>> ListUsers(std::string_view, int) override { return No(); }
  Result<int64_t> InsertItems(std::span<const Item>) override { return No(); }
  Result<Item> GetItem(std::string_view) override { return No(); }
  Result<int64_t> ModifyItem(std::string_view, const ItemPatch&) override { return No(); }
  Result<int64_t> DeleteItem(std::string_view) override { return No(); }
  Result<int64_t> AddItemCategory(std::string_view, std::string_view) override { return No(); }
  Result<int64_t> RemoveItemCategory(std::string_view, std::string_view) override { return No(); }
  Result<Page<Item>> ListItems(std::string_view, int) override { return No(); }
  Result<int64_t> InsertFeedback(std::span<const Feedback>, const InsertFeedbackOptions&) override {
    return No();
  }
  Result<Page<Feedback>> ListFeedback(const FeedbackFilter&, std::string_view, int) override {
    return No();
  }
  Result<int64_t> DeleteFeedback(const FeedbackFilter&) override { return No(); }
  Status ScanUsers(const std::function<void(const User&)>&) override { return No(); }
  Status ScanItems(const std::function<void(const Item&)>&) override { return No(); }
  Status ScanFeedback(int64_t, const std::function<void(const FeedbackRecord&)>&) override {
    return No();
  }
  Result<int64_t> MaxFeedbackSeq() override { return No(); }
  Result<StoreCounts> Counts() override {
    return StoreCounts{static_cast<int64_t>(users.size()), static_cast<int64_t>(items.size()),
                       static_cast<int64_t>(feedback.size())};
  }
  Status Ping() override { return Status::Ok(); }
  void Close() override {}

 private:
  static Status No() { return Unimplemented("RecordingStore only records Import()"); }
};

}  // namespace reco::ingest::testing
