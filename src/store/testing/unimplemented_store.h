// UnimplementedStore: a Store whose every call returns Unimplemented. Test doubles derive from it
// and override only what the code under test may call, so an unexpected call fails loudly.
//
// Thread-safety: none of its own; derived doubles state theirs.
#pragma once

#include <string>

#include "store/store.h"

namespace reco::testing {

class UnimplementedStore : public Store {
 public:
  explicit UnimplementedStore(std::string name) : name_(std::move(name)) {}

  Result<int64_t> InsertUsers(std::span<const User>) override { return No("InsertUsers"); }
  Result<User> GetUser(std::string_view) override { return No("GetUser"); }
  Result<int64_t> ModifyUser(std::string_view, const UserPatch&) override {
    return No("ModifyUser");
  }
  Result<int64_t> DeleteUser(std::string_view) override { return No("DeleteUser"); }
  Result<Page<User>> ListUsers(std::string_view, int) override { return No("ListUsers"); }
  Result<int64_t> InsertItems(std::span<const Item>) override { return No("InsertItems"); }
  Result<Item> GetItem(std::string_view) override { return No("GetItem"); }
  Result<int64_t> ModifyItem(std::string_view, const ItemPatch&) override {
    return No("ModifyItem");
  }
  Result<int64_t> DeleteItem(std::string_view) override { return No("DeleteItem"); }
  Result<int64_t> AddItemCategory(std::string_view, std::string_view) override {
    return No("AddItemCategory");
  }
  Result<int64_t> RemoveItemCategory(std::string_view, std::string_view) override {
    return No("RemoveItemCategory");
  }
  Result<Page<Item>> ListItems(std::string_view, int) override { return No("ListItems"); }
  Result<int64_t> InsertFeedback(std::span<const Feedback>, const InsertFeedbackOptions&) override {
    return No("InsertFeedback");
  }
  Result<Page<Feedback>> ListFeedback(const FeedbackFilter&, std::string_view, int) override {
    return No("ListFeedback");
  }
  Result<int64_t> DeleteFeedback(const FeedbackFilter&) override { return No("DeleteFeedback"); }
  Status Import(std::span<const User>, std::span<const Item>, std::span<const Feedback>,
                const InsertFeedbackOptions&) override {
    return No("Import");
  }
  Status ScanUsers(const std::function<void(const User&)>&) override { return No("ScanUsers"); }
  Status ScanItems(const std::function<void(const Item&)>&) override { return No("ScanItems"); }
  Status ScanFeedback(int64_t, const std::function<void(const FeedbackRecord&)>&) override {
    return No("ScanFeedback");
  }
  Result<int64_t> MaxFeedbackSeq() override { return No("MaxFeedbackSeq"); }
  Result<StoreCounts> Counts() override { return No("Counts"); }
  Result<bool> TryAcquireLease(std::string_view, std::string_view, TimestampUs, int64_t) override {
    return No("TryAcquireLease");
  }
  Status ReleaseLease(std::string_view, std::string_view) override { return No("ReleaseLease"); }
  Result<LeaseRecord> GetLease(std::string_view) override { return No("GetLease"); }
  Result<int64_t> InsertJobRun(const JobRunRecord&) override { return No("InsertJobRun"); }
  Status UpdateJobRun(const JobRunRecord&) override { return No("UpdateJobRun"); }
  Result<int64_t> NextFencingToken() override { return No("NextFencingToken"); }
  Result<int64_t> CurrentFencingToken() override { return No("CurrentFencingToken"); }
  Result<bool> ClaimJobRun(int64_t, std::string_view, TimestampUs, int64_t) override {
    return No("ClaimJobRun");
  }
  Result<JobRunRecord> GetJobRun(int64_t) override { return No("GetJobRun"); }
  Result<std::vector<JobRunRecord>> ListJobRuns(const JobRunFilter&) override {
    return No("ListJobRuns");
  }
  Status InsertExperiment(const ExperimentRecord&) override { return No("InsertExperiment"); }
  Status UpdateExperiment(const ExperimentRecord&) override { return No("UpdateExperiment"); }
  Result<ExperimentRecord> GetExperiment(std::string_view) override {
    return No("GetExperiment");
  }
  Result<std::vector<ExperimentRecord>> ListExperiments() override {
    return No("ListExperiments");
  }
  Result<int64_t> DeleteExperiment(std::string_view) override { return No("DeleteExperiment"); }
  Status InsertScenario(const ScenarioRecord&) override { return No("InsertScenario"); }
  Status UpdateScenario(const ScenarioRecord&) override { return No("UpdateScenario"); }
  Result<ScenarioRecord> GetScenario(std::string_view) override { return No("GetScenario"); }
  Result<std::vector<ScenarioRecord>> ListScenarios() override { return No("ListScenarios"); }
  Result<int64_t> DeleteScenario(std::string_view) override { return No("DeleteScenario"); }
  Status Ping() override { return Status::Ok(); }
  void Close() override {}

 protected:
  Status No(const char* method) const {
    return Unimplemented(name_ + " does not support " + method);
  }

 private:
  std::string name_;
};

}  // namespace reco::testing
